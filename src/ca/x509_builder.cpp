#include "x509_builder.h"

#include <arpa/inet.h>

#include <fmt/core.h>
#include <openssl/x509v3.h>

#include <array>
#include <cctype>
#include <cstring>
#include <utility>

namespace lampi::ca {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 7> kReasons{{
    {"unspecified", CRL_REASON_UNSPECIFIED},
    {"keyCompromise", CRL_REASON_KEY_COMPROMISE},
    {"caCompromise", CRL_REASON_CA_COMPROMISE},
    {"affiliationChanged", CRL_REASON_AFFILIATION_CHANGED},
    {"superseded", CRL_REASON_SUPERSEDED},
    {"cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION},
    {"privilegeWithdrawn", CRL_REASON_PRIVILEGE_WITHDRAWN},
}};

Result<Asn1IntegerPtr> serial_to_asn1(const std::string& serial) {
    BIGNUM* raw = nullptr;
    if (BN_hex2bn(&raw, serial.c_str()) == 0) return Status::error(openssl_error("bad serial " + serial));
    BignumPtr bn(raw);
    Asn1IntegerPtr integer(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!integer) return Status::error(openssl_error("cannot encode serial " + serial));
    return integer;
}

std::string asn1_integer_to_serial(const ASN1_INTEGER* integer) {
    BignumPtr bn(ASN1_INTEGER_to_BN(integer, nullptr));
    if (!bn) return {};
    OpenSslString hex(BN_bn2hex(bn.get()));
    if (!hex) return {};
    Result<std::string> canonical = normalize_serial(hex.get());
    return canonical ? *canonical : std::string(hex.get());
}

Result<NamePtr> name_with_cn(const std::string& common_name) {
    NamePtr name(X509_NAME_new());
    if (!name || !X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0)) {
        return Status::error(openssl_error(fmt::format("cannot use '{}' as a common name", common_name)));
    }
    return name;
}

// Adds one extension written in OpenSSL's config syntax ("critical,CA:TRUE").
// The values are constants of this file; names coming from users never go
// through this parser (see add_subject_alt_names).
Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
    if (!ext || !X509_add_ext(cert, ext.get(), -1)) {
        return Status::error(openssl_error(fmt::format("cannot add extension {} = {}", OBJ_nid2sn(nid), value)));
    }
    return Status::ok();
}

Status add_general_name(GENERAL_NAMES* names, int type, const unsigned char* data, int length) {
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!name) return Status::error(openssl_error("cannot allocate a subject alternative name"));
    if (type == GEN_DNS) {
        ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
        if (!dns || !ASN1_STRING_set(dns, data, length)) {
            ASN1_IA5STRING_free(dns);
            return Status::error(openssl_error("cannot encode a DNS name"));
        }
        GENERAL_NAME_set0_value(name.get(), GEN_DNS, dns);
    } else {
        ASN1_OCTET_STRING* ip = ASN1_OCTET_STRING_new();
        if (!ip || !ASN1_OCTET_STRING_set(ip, data, length)) {
            ASN1_OCTET_STRING_free(ip);
            return Status::error(openssl_error("cannot encode an IP address"));
        }
        GENERAL_NAME_set0_value(name.get(), GEN_IPADD, ip);
    }
    if (!sk_GENERAL_NAME_push(names, name.get())) return Status::error(openssl_error("cannot add a name"));
    name.release();
    return Status::ok();
}

// Built structurally rather than through the config parser, so a name with a
// comma or "IP:" in it cannot smuggle in a second entry.
Status add_subject_alt_names(X509* cert, const LeafSpec& spec) {
    if (spec.dns_names.empty() && spec.ip_addresses.empty()) return Status::ok();
    GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (!names) return Status::error(openssl_error("cannot allocate subject alternative names"));
    for (const std::string& dns : spec.dns_names) {
        if (Status s = check_dns_name(dns); !s) return s;
        Status s = add_general_name(names.get(), GEN_DNS, reinterpret_cast<const unsigned char*>(dns.data()),
                                    static_cast<int>(dns.size()));
        if (!s) return s;
    }
    for (const std::string& ip : spec.ip_addresses) {
        unsigned char bytes[16];
        int length = 0;
        if (::inet_pton(AF_INET, ip.c_str(), bytes) == 1) {
            length = 4;
        } else if (::inet_pton(AF_INET6, ip.c_str(), bytes) == 1) {
            length = 16;
        } else {
            return Status::error(fmt::format("'{}' is not an IPv4 or IPv6 address", ip));
        }
        if (Status s = add_general_name(names.get(), GEN_IPADD, bytes, length); !s) return s;
    }
    if (!X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT)) {
        return Status::error(openssl_error("cannot add subject alternative names"));
    }
    return Status::ok();
}

// Everything but extensions and the signature.
Status fill_basics(X509* cert, const std::string& serial, const X509_NAME* subject, const X509_NAME* issuer,
                   Validity validity, EVP_PKEY* subject_key) {
    Result<Asn1IntegerPtr> integer = serial_to_asn1(serial);
    if (!integer) return integer.status();
    if (!X509_set_version(cert, X509_VERSION_3) || !X509_set_serialNumber(cert, integer->get()) ||
        !X509_set_subject_name(cert, subject) || !X509_set_issuer_name(cert, issuer) ||
        !ASN1_TIME_set(X509_getm_notBefore(cert), validity.not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(cert), validity.not_after) || !X509_set_pubkey(cert, subject_key)) {
        return Status::error(openssl_error("cannot fill in a certificate"));
    }
    return Status::ok();
}

Status sign(X509* cert, EVP_PKEY* key) {
    if (X509_sign(cert, key, EVP_sha256()) <= 0) return Status::error(openssl_error("cannot sign a certificate"));
    return Status::ok();
}

const char* leaf_key_usage(EVP_PKEY* key) {
    // RSA key transport (TLS 1.2 RSA kex) needs keyEncipherment; EC keys never do.
    return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? "critical,digitalSignature,keyEncipherment"
                                                     : "critical,digitalSignature";
}

}  // namespace

std::string_view kind_name(CertKind kind) {
    // A switch on purpose: -Wswitch names any value added later without its name.
    switch (kind) {
        case CertKind::server: return "server";
        case CertKind::device: return "device";
        case CertKind::client: return "client";
    }
    return "unknown";
}

Result<CertKind> parse_kind(std::string_view text) {
    if (text == "server") return CertKind::server;
    if (text == "device") return CertKind::device;
    if (text == "client") return CertKind::client;
    return Status::error(fmt::format("unknown certificate kind '{}' (server, device or client)", text));
}

Result<std::string> normalize_serial(std::string_view text) {
    std::string_view digits = text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) digits.remove_prefix(2);
    if (digits.empty()) return Status::error("an empty serial number");
    for (char c : digits) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return Status::error(fmt::format("'{}' is not a hexadecimal serial number", text));
        }
    }
    while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
    std::string out;
    if (digits.size() % 2 == 1) out.push_back('0');
    for (char c : digits) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (out == "00") return Status::error("serial number 0 is not allowed");
    if (out.size() > 40) return Status::error(fmt::format("serial '{}' is longer than 20 bytes", text));
    return out;
}

Result<int> crl_reason_code(std::string_view reason) {
    std::string names;
    for (const auto& [name, code] : kReasons) {
        if (name == reason) return code;
        names += names.empty() ? "" : ", ";
        names += name;
    }
    return Status::error(fmt::format("unknown revocation reason '{}': use one of {}", reason, names));
}

Status check_dns_name(std::string_view name) {
    std::string_view rest = name;
    if (rest.size() > 2 && rest.substr(0, 2) == "*.") rest.remove_prefix(2);
    bool ok = !rest.empty() && rest.size() <= 253 && rest.front() != '.' && rest.front() != '-' && rest.back() != '.';
    for (char c : rest) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) ok = false;
    }
    if (!ok) return Status::error(fmt::format("'{}' is not a DNS name (letters, digits, '-' and '.')", name));
    return Status::ok();
}

Status check_ip_address(std::string_view ip) {
    std::string text(ip);
    unsigned char bytes[16];
    if (::inet_pton(AF_INET, text.c_str(), bytes) == 1 || ::inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
        return Status::ok();
    }
    return Status::error(fmt::format("'{}' is not an IPv4 or IPv6 address", ip));
}

Result<X509Ptr> make_ca_certificate(EVP_PKEY* key, const std::string& name, const std::string& serial,
                                    Validity validity) {
    Result<NamePtr> subject = name_with_cn(name);
    if (!subject) return subject.status();
    X509Ptr cert(X509_new());
    if (!cert) return Status::error(openssl_error("cannot allocate a certificate"));
    if (Status s = fill_basics(cert.get(), serial, subject->get(), subject->get(), validity, key); !s) return s;

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    // Self-signed: issuer and subject are the same certificate, and the issuer's
    // key is given explicitly for the authority key identifier.
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    if (!X509V3_set_issuer_pkey(&ctx, key)) return Status::error(openssl_error("cannot set the issuer key"));
    // pathlen:0: this CA signs only leaf certificates, never another CA.
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                              std::pair{NID_key_usage, "critical,keyCertSign,cRLSign"},
                              std::pair{NID_subject_key_identifier, "hash"},
                              std::pair{NID_authority_key_identifier, "keyid:always"}}) {
        if (Status s = add_extension(cert.get(), &ctx, nid, value); !s) return s;
    }
    if (Status s = sign(cert.get(), key); !s) return s;
    return cert;
}

Result<X509Ptr> make_leaf_certificate(const LeafSpec& spec, EVP_PKEY* subject_key, X509* ca_cert, EVP_PKEY* ca_key) {
    if (spec.common_name.empty()) return Status::error("a certificate needs a non-empty common name");
    Result<NamePtr> subject = name_with_cn(spec.common_name);
    if (!subject) return subject.status();
    X509Ptr cert(X509_new());
    if (!cert) return Status::error(openssl_error("cannot allocate a certificate"));
    Status s = fill_basics(cert.get(), spec.serial, subject->get(), X509_get_subject_name(ca_cert), spec.validity,
                           subject_key);
    if (!s) return s;

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca_cert, cert.get(), nullptr, nullptr, 0);
    const char* eku = spec.kind == CertKind::server ? "serverAuth" : "clientAuth";
    for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:FALSE"},
                              std::pair{NID_key_usage, leaf_key_usage(subject_key)},
                              std::pair{NID_ext_key_usage, eku},
                              std::pair{NID_subject_key_identifier, "hash"},
                              std::pair{NID_authority_key_identifier, "keyid:always"}}) {
        if (Status st = add_extension(cert.get(), &ctx, nid, value); !st) return st;
    }
    if (Status st = add_subject_alt_names(cert.get(), spec); !st) return st;
    if (Status st = sign(cert.get(), ca_key); !st) return st;
    return cert;
}

Result<CrlPtr> make_crl(X509* ca_cert, EVP_PKEY* ca_key, const std::vector<RevokedSerial>& revoked,
                        std::uint64_t crl_number, std::time_t this_update, std::time_t next_update) {
    CrlPtr crl(X509_CRL_new());
    Asn1TimePtr last(ASN1_TIME_set(nullptr, this_update));
    Asn1TimePtr next(ASN1_TIME_set(nullptr, next_update));
    if (!crl || !last || !next || !X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca_cert)) ||
        !X509_CRL_set1_lastUpdate(crl.get(), last.get()) || !X509_CRL_set1_nextUpdate(crl.get(), next.get())) {
        return Status::error(openssl_error("cannot fill in a CRL"));
    }
    for (const RevokedSerial& entry : revoked) {
        Result<Asn1IntegerPtr> serial = serial_to_asn1(entry.serial);
        if (!serial) return serial.status();
        Result<int> code = crl_reason_code(entry.reason);
        if (!code) return code.status();
        RevokedPtr item(X509_REVOKED_new());
        Asn1TimePtr when(ASN1_TIME_set(nullptr, entry.revoked_at));
        Asn1EnumPtr reason(ASN1_ENUMERATED_new());
        if (!item || !when || !reason || !X509_REVOKED_set_serialNumber(item.get(), serial->get()) ||
            !X509_REVOKED_set_revocationDate(item.get(), when.get())) {
            return Status::error(openssl_error("cannot add serial " + entry.serial + " to the CRL"));
        }
        // RFC 5280 5.3.1: leave the reason code out rather than say "unspecified".
        if (*code != CRL_REASON_UNSPECIFIED &&
            (!ASN1_ENUMERATED_set(reason.get(), *code) ||
             !X509_REVOKED_add1_ext_i2d(item.get(), NID_crl_reason, reason.get(), 0, X509V3_ADD_DEFAULT))) {
            return Status::error(openssl_error("cannot add the revocation reason for serial " + entry.serial));
        }
        if (!X509_CRL_add0_revoked(crl.get(), item.get())) {
            return Status::error(openssl_error("cannot add serial " + entry.serial + " to the CRL"));
        }
        item.release();
    }
    Asn1IntegerPtr number(ASN1_INTEGER_new());
    if (!number || !ASN1_INTEGER_set_uint64(number.get(), crl_number) ||
        !X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT)) {
        return Status::error(openssl_error("cannot add the CRL number"));
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca_cert, nullptr, nullptr, crl.get(), 0);
    ExtensionPtr akid(X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!akid || !X509_CRL_add_ext(crl.get(), akid.get(), -1)) {
        return Status::error(openssl_error("cannot add the authority key identifier to the CRL"));
    }
    // Revoked entries in serial order, as DER encoding of the SET expects.
    if (!X509_CRL_sort(crl.get()) || X509_CRL_sign(crl.get(), ca_key, EVP_sha256()) <= 0) {
        return Status::error(openssl_error("cannot sign the CRL"));
    }
    return crl;
}

std::string subject_common_name(const X509* cert) {
    const X509_NAME* name = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) return {};
    std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
    return cn;
}

std::string certificate_serial(const X509* cert) { return asn1_integer_to_serial(X509_get0_serialNumber(cert)); }

Result<std::time_t> asn1_time_to_time_t(const ASN1_TIME* time) {
    std::tm tm{};
    if (!time || !ASN1_TIME_to_tm(time, &tm)) return Status::error(openssl_error("cannot read a certificate time"));
    return timegm(&tm);
}

}  // namespace lampi::ca
