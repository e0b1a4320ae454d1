// CertificateAuthority: the LAMPi platform CA as a C++ API. lampi-ca's commands
// are thin wrappers over it; the stack renderer and the tests call it directly.
//
// Contract:
// - create() makes a new CA in a directory (see ca_store.h for the layout) and
//   refuses to touch a directory that already holds one. open() loads an existing
//   one. Both hold the directory's lock until the object is destroyed, so keep
//   the object only as long as one command needs it: a second open() of the same
//   directory waits up to `lock_wait`, then fails.
// - The CA private key is read from the directory only while signing and never
//   written anywhere else. With a passphrase it is stored encrypted.
// - issue_*() write <prefix>.pem (certificate), <prefix>.key (private key, 0600)
//   and <prefix>-chain.pem (certificate then CA). The certificate is recorded in
//   the index before any of those files exist, so nothing issued can be missing
//   from the index (and so from revocation).
// - revoke() marks certificates revoked in the index and rewrites crl.pem.
// - Every failure is a Status whose message says what is wrong and what to do.
// Not thread-safe; one object per thread (the directory lock serialises processes).
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ca_store.h"
#include "key_files.h"
#include "lampi/status.h"
#include "x509_builder.h"

namespace lampi::ca {

struct CreateOptions {
    std::string name = "LAMPi platform CA";
    int days = 3650;
    KeyType key_type = KeyType::ec_p256;
    int crl_days = 30;                        // nextUpdate of the initial empty CRL
    std::optional<SecretString> passphrase;   // encrypts ca.key when set
};

struct OpenOptions {
    std::optional<SecretString> passphrase;   // needed to sign if ca.key is encrypted
};

struct IssueOptions {
    // The certificate is valid from `not_before_days_ago` days ago for `days`
    // days; not_before_days_ago > days makes one that has already expired.
    int days = 365;
    int not_before_days_ago = 0;
    KeyType key_type = KeyType::ec_p256;
    bool allow_duplicate = false;    // another valid device/client certificate with the same CN
    bool overwrite_files = false;    // replace existing <prefix>.pem/.key/-chain.pem
    // Serial of a valid certificate this one replaces: the duplicate rule lets
    // it coexist with the new one until it expires or is revoked.
    std::string renewing_serial;
};

struct ServerRequest {
    std::string common_name;                // defaults to the first DNS name or IP
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
};

// A certificate the CA signed for a key it never saw the private half of.
struct SignedCertificate {
    IndexEntry entry;
    std::string cert_pem;
    std::string chain_pem;  // the certificate then the CA
};

struct IssuedFiles {
    IndexEntry entry;
    std::string cert_path;
    std::string key_path;
    std::string chain_path;
};

enum class CertStatus { valid, revoked, expired };
std::string_view status_name(CertStatus status);

struct ListedCertificate {
    IndexEntry entry;
    CertStatus status = CertStatus::valid;
};

class CertificateAuthority {
public:
    static Result<CertificateAuthority> create(const std::string& dir, const CreateOptions& options = {});
    static Result<CertificateAuthority> open(const std::string& dir, OpenOptions options = {},
                                             std::chrono::milliseconds lock_wait = CaStore::kLockWait);

    Result<IssuedFiles> issue_server(const ServerRequest& request, const std::string& out_prefix,
                                     const IssueOptions& options = {});
    // `device_id` goes through lampi::normalize_device_id ("B8:27:EB:..." is fine).
    Result<IssuedFiles> issue_device(std::string_view device_id, const std::string& out_prefix,
                                     const IssueOptions& options = {});
    Result<IssuedFiles> issue_client(std::string_view name, const std::string& out_prefix,
                                     const IssueOptions& options = {});
    // A device certificate for the key in a PEM CSR (see device_request.h for
    // what is checked and what is taken from it). Same profile, validity rules,
    // index record and duplicate rule as issue_device; nothing is written
    // outside the CA directory. options.key_type and overwrite_files are unused.
    Result<SignedCertificate> sign_device_request(std::string_view csr_pem, const IssueOptions& options = {});
    // A new certificate for a lamp that proves it holds its current one: `current_pem`
    // must be a device certificate of this CA, unexpired, not revoked in the index,
    // with the CN of the request; `signature` is sign_renewal's over `csr_pem` by its
    // key. The current certificate stays valid until it expires or is revoked.
    // Failures the lamp caused are permission_denied/invalid_argument.
    Result<SignedCertificate> renew_device(std::string_view current_pem, std::string_view csr_pem,
                                           std::string_view signature, IssueOptions options = {});

    // `target` is a serial (hex) or a common name (a device id, a client name).
    // A CN must match exactly one unrevoked certificate. Rewrites crl.pem.
    Result<IndexEntry> revoke(std::string_view target, std::string_view reason = "unspecified",
                              int crl_days = 30);
    // Rewrites crl.pem from the index with nextUpdate `days` from now.
    Status write_crl(int days = 30);

    Result<std::vector<ListedCertificate>> list(std::time_t now = std::time(nullptr)) const;

    const std::string& dir() const { return store_.dir(); }
    std::string ca_cert_path() const { return store_.cert_path(); }
    std::string crl_path() const { return store_.crl_path(); }
    X509* ca_certificate() const { return ca_cert_.get(); }

private:
    CertificateAuthority(CaStore store, X509Ptr ca_cert, std::optional<SecretString> passphrase)
        : store_(std::move(store)), ca_cert_(std::move(ca_cert)), passphrase_(std::move(passphrase)) {}

    Result<IssuedFiles> issue(LeafSpec spec, const std::string& out_prefix, const IssueOptions& options);
    // Checks, signs and records in the index; writes nothing else.
    Result<SignedCertificate> sign_leaf(LeafSpec spec, EVP_PKEY* subject_key, const IssueOptions& options);
    Status write_crl_from(const std::vector<IndexEntry>& entries, EVP_PKEY* ca_key, int days);

    CaStore store_;
    X509Ptr ca_cert_;
    std::optional<SecretString> passphrase_;
};

}  // namespace lampi::ca
