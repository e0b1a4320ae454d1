// Building and reading X.509 objects: the CA certificate, leaf certificates for
// servers, devices and clients, and CRLs. Pure functions over OpenSSL objects;
// nothing here touches the file system.
//
// Profiles (what a relying party such as Mosquitto checks):
// - CA: basicConstraints critical CA:TRUE pathlen:0, keyUsage keyCertSign+cRLSign.
// - server: CA:FALSE, keyUsage digitalSignature (+keyEncipherment for RSA),
//   extendedKeyUsage serverAuth, subjectAltName with the DNS names and IPs.
// - device / client: CA:FALSE, same keyUsage, extendedKeyUsage clientAuth;
//   the identity is the subject CN (a device id for a lamp).
// Every certificate carries subject and authority key identifiers and is signed
// with SHA-256.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"
#include "openssl_handles.h"

namespace lampi::ca {

enum class CertKind { server, device, client };

std::string_view kind_name(CertKind kind);
Result<CertKind> parse_kind(std::string_view text);

struct Validity {
    std::time_t not_before = 0;
    std::time_t not_after = 0;
};

struct LeafSpec {
    CertKind kind = CertKind::device;
    std::string common_name;
    std::vector<std::string> dns_names;     // server only
    std::vector<std::string> ip_addresses;  // server only, IPv4 or IPv6 text
    std::string serial;                     // canonical hex, see normalize_serial
    Validity validity;
};

struct RevokedSerial {
    std::string serial;
    std::time_t revoked_at = 0;
    std::string reason;  // a name accepted by crl_reason_code
};

// Upper-case hex without leading zero bytes ("0x0a", "a", "000A" -> "0A");
// an error for anything that is not a positive hex number of at most 20 bytes.
Result<std::string> normalize_serial(std::string_view text);

// RFC 5280 reason names: unspecified, keyCompromise, caCompromise,
// affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn.
Result<int> crl_reason_code(std::string_view reason);

// Checks a DNS name (letters, digits, '-', '.', a leading "*." wildcard) or an IP.
Status check_dns_name(std::string_view name);
Status check_ip_address(std::string_view ip);

Result<X509Ptr> make_ca_certificate(EVP_PKEY* key, const std::string& name, const std::string& serial,
                                    Validity validity);
Result<X509Ptr> make_leaf_certificate(const LeafSpec& spec, EVP_PKEY* subject_key, X509* ca_cert, EVP_PKEY* ca_key);
Result<CrlPtr> make_crl(X509* ca_cert, EVP_PKEY* ca_key, const std::vector<RevokedSerial>& revoked,
                        std::uint64_t crl_number, std::time_t this_update, std::time_t next_update);

// Reading back.
std::string subject_common_name(const X509* cert);
std::string certificate_serial(const X509* cert);  // canonical hex
Result<std::time_t> asn1_time_to_time_t(const ASN1_TIME* time);

}  // namespace lampi::ca
