#include "certificate_authority.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "device_request.h"
#include "lampi/device_id.h"
#include "lampi/files.h"
#include "lampi/log.h"

namespace lampi::ca {
namespace fs = std::filesystem;
namespace {

constexpr std::time_t kDay = 24 * 60 * 60;
// Certificates and CRLs start a little in the past so a peer whose clock is a
// few minutes behind still accepts them.
constexpr std::time_t kClockSkew = 5 * 60;
constexpr int kMaxDays = 100 * 365;

Status check_days(int days, const char* option) {
    if (days < 1 || days > kMaxDays) {
        return Status::error(fmt::format("{} must be between 1 and {} (got {})", option, kMaxDays, days));
    }
    return Status::ok();
}

// Client names become broker usernames (use_identity_as_username) and may end up
// in ACL patterns, so MQTT wildcards, '/' and spaces are kept out; and a name that
// reads as a device id would let an operator certificate pass for a lamp.
Status check_client_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return Status::error("a client name must be 1 to 64 characters");
    for (char c : name) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')) {
            return Status::error(fmt::format(
                "client name '{}' may use only letters, digits, '-', '_', '.' and '@'", name));
        }
    }
    if (normalize_device_id(name)) {
        return Status::error(fmt::format(
            "client name '{}' reads as a device id; a lamp's certificate comes from `lampi-ca issue-device`", name));
    }
    return Status::ok();
}

Result<std::string> random_serial() {
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::error(openssl_error("no random bytes for a serial"));
    bytes[0] &= 0x7f;  // positive
    bytes[0] |= 0x40;  // and never shorter than 8 bytes
    std::string hex;
    for (unsigned char b : bytes) hex += fmt::format("{:02X}", b);
    return normalize_serial(hex);
}

Status check_output(const std::string& prefix, bool overwrite, std::vector<std::string> paths) {
    if (prefix.empty()) return Status::error("no output prefix given (--out)");
    fs::path parent = fs::path(prefix).parent_path();
    std::string dir = parent.empty() ? "." : parent.string();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Status::error(fmt::format("cannot write {}*: directory {} does not exist", prefix, dir));
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return Status::error(fmt::format("cannot write {}*: directory {} is not writable", prefix, dir));
    }
    if (!overwrite) {
        for (const std::string& path : paths) {
            if (::access(path.c_str(), F_OK) == 0) {
                return Status::error(fmt::format(
                    "{} already exists; choose another --out or pass --overwrite to replace it", path));
            }
        }
    }
    return Status::ok();
}

}  // namespace

std::string_view status_name(CertStatus status) {
    // A switch, like the other enum names in the tree: -Wswitch then names any
    // value added later without its name.
    switch (status) {
        case CertStatus::valid: return "valid";
        case CertStatus::revoked: return "revoked";
        case CertStatus::expired: return "expired";
    }
    return "unknown";
}

Result<CertificateAuthority> CertificateAuthority::create(const std::string& dir, const CreateOptions& options) {
    if (options.name.empty()) return Status::error("the CA needs a name (--name)");
    if (Status s = check_days(options.days, "--days"); !s) return s;
    if (Status s = check_days(options.crl_days, "--crl-days"); !s) return s;
    if (options.passphrase && options.passphrase->empty()) return Status::error("the passphrase is empty");

    Result<CaStore> store = CaStore::create(dir);
    if (!store) return store.status();
    Result<PkeyPtr> key = generate_key(options.key_type);
    if (!key) return key.status();
    // A random serial for the CA itself, so two CAs with the same name are told
    // apart by serial as well as by key.
    Result<std::string> serial = random_serial();
    if (!serial) return serial.status();
    std::time_t now = std::time(nullptr);
    Validity validity{now - kClockSkew, now + options.days * kDay};
    Result<X509Ptr> cert = make_ca_certificate(key->get(), options.name, *serial, validity);
    if (!cert) return cert.status();

    if (Status s = store.value().initialize_counters(); !s) return s;
    Result<SecretString> key_pem = private_key_pem(key->get(), options.passphrase);
    if (!key_pem) return key_pem.status();
    if (Status s = write_file_atomically(store->key_path(), key_pem->str(), 0600); !s) return s;
    Result<std::string> cert_pem = certificate_pem(cert->get());
    if (!cert_pem) return cert_pem.status();

    CertificateAuthority ca(std::move(store).value(), std::move(cert).value(), options.passphrase);
    if (Status s = ca.write_crl_from({}, key->get(), options.crl_days); !s) return s;
    // ca.pem last: its presence is what makes the directory a complete CA.
    if (Status s = write_file_atomically(ca.store_.cert_path(), *cert_pem, 0644); !s) return s;
    log::info("created CA \"{}\" ({} key) in {}, valid until {}", options.name, key_type_name(options.key_type), dir,
              format_utc(validity.not_after));
    return ca;
}

Result<CertificateAuthority> CertificateAuthority::open(const std::string& dir, OpenOptions options,
                                                        std::chrono::milliseconds lock_wait) {
    Result<CaStore> store = CaStore::open(dir, lock_wait);
    if (!store) return store.status();
    Result<X509Ptr> cert = load_certificate(store->cert_path());
    if (!cert) return cert.status();
    return CertificateAuthority(std::move(store).value(), std::move(cert).value(), std::move(options.passphrase));
}

Result<IssuedFiles> CertificateAuthority::issue_server(const ServerRequest& request, const std::string& out_prefix,
                                                       const IssueOptions& options) {
    if (request.dns_names.empty() && request.ip_addresses.empty()) {
        return Status::error("a server certificate needs at least one --dns name or --ip address");
    }
    for (const std::string& dns : request.dns_names) {
        if (Status s = check_dns_name(dns); !s) return s;
    }
    for (const std::string& ip : request.ip_addresses) {
        if (Status s = check_ip_address(ip); !s) return s;
    }
    LeafSpec spec;
    spec.kind = CertKind::server;
    spec.common_name = !request.common_name.empty() ? request.common_name
                       : !request.dns_names.empty() ? request.dns_names.front()
                                                    : request.ip_addresses.front();
    spec.dns_names = request.dns_names;
    spec.ip_addresses = request.ip_addresses;
    return issue(std::move(spec), out_prefix, options);
}

Result<IssuedFiles> CertificateAuthority::issue_device(std::string_view device_id, const std::string& out_prefix,
                                                       const IssueOptions& options) {
    Result<std::string> id = normalize_device_id(device_id);
    if (!id) return id.status();
    LeafSpec spec;
    spec.kind = CertKind::device;
    spec.common_name = *id;
    return issue(std::move(spec), out_prefix, options);
}

Result<IssuedFiles> CertificateAuthority::issue_client(std::string_view name, const std::string& out_prefix,
                                                       const IssueOptions& options) {
    if (Status s = check_client_name(name); !s) return s;
    LeafSpec spec;
    spec.kind = CertKind::client;
    spec.common_name = std::string(name);
    return issue(std::move(spec), out_prefix, options);
}

Result<SignedCertificate> CertificateAuthority::sign_device_request(std::string_view csr_pem,
                                                                    const IssueOptions& options) {
    Result<DeviceRequest> request = read_device_request(csr_pem);
    if (!request) return request.status();
    LeafSpec spec;
    spec.kind = CertKind::device;
    spec.common_name = request->device_id;
    return sign_leaf(std::move(spec), request->public_key.get(), options);
}

Result<SignedCertificate> CertificateAuthority::renew_device(std::string_view current_pem, std::string_view csr_pem,
                                                             std::string_view signature, IssueOptions options) {
    Result<DeviceRequest> request = read_device_request(csr_pem);
    if (!request) return Status::invalid_argument(request.status().message());
    Result<X509Ptr> current = parse_certificate_pem(current_pem);
    if (!current) {
        clear_openssl_errors();
        return Status::invalid_argument("the current certificate is not a PEM certificate");
    }
    // Chains to this CA, for client authentication, and is unexpired now.
    StorePtr store(X509_STORE_new());
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!store || !ctx || !X509_STORE_add_cert(store.get(), ca_cert_.get()) ||
        !X509_STORE_CTX_init(ctx.get(), store.get(), current->get(), nullptr)) {
        return Status::error(openssl_error("cannot set up certificate verification"));
    }
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
    if (X509_verify_cert(ctx.get()) != 1) {
        int error = X509_STORE_CTX_get_error(ctx.get());
        clear_openssl_errors();
        return Status::permission_denied(
            fmt::format("the current certificate is not valid here: {}", X509_verify_cert_error_string(error)));
    }
    std::string cn = subject_common_name(current->get());
    if (cn != request->device_id) {
        return Status::permission_denied(fmt::format("the current certificate is for '{}', the request for {}",
                                                     cn.substr(0, 64), request->device_id));
    }
    std::string serial = certificate_serial(current->get());
    Result<std::vector<IndexEntry>> index = store_.load_index();
    if (!index) return index.status();
    auto entry = std::find_if(index->begin(), index->end(), [&](const IndexEntry& e) { return e.serial == serial; });
    if (entry == index->end() || entry->kind != CertKind::device) {
        return Status::permission_denied("the current certificate is not a device certificate this CA issued");
    }
    if (entry->revoked_at) return Status::permission_denied("the current certificate has been revoked");
    if (Status s = check_renewal_signature(current->get(), csr_pem, signature); !s) {
        return Status::permission_denied(s.message());
    }
    options.renewing_serial = serial;
    LeafSpec spec;
    spec.kind = CertKind::device;
    spec.common_name = request->device_id;
    return sign_leaf(std::move(spec), request->public_key.get(), options);
}

Result<IssuedFiles> CertificateAuthority::issue(LeafSpec spec, const std::string& out_prefix,
                                                const IssueOptions& options) {
    IssuedFiles files;
    files.cert_path = out_prefix + ".pem";
    files.key_path = out_prefix + ".key";
    files.chain_path = out_prefix + "-chain.pem";
    Status out_ok = check_output(out_prefix, options.overwrite_files, {files.cert_path, files.key_path, files.chain_path});
    if (!out_ok) return out_ok;
    Result<PkeyPtr> key = generate_key(options.key_type);
    if (!key) return key.status();
    Result<SignedCertificate> signed_cert = sign_leaf(std::move(spec), key->get(), options);
    if (!signed_cert) return signed_cert.status();
    Result<SecretString> key_pem = private_key_pem(key->get());
    if (!key_pem) return key_pem.status();

    if (Status s = write_file_atomically(files.key_path, key_pem->str(), 0600); !s) return s;
    if (Status s = write_file_atomically(files.cert_path, signed_cert->cert_pem, 0644); !s) return s;
    if (Status s = write_file_atomically(files.chain_path, signed_cert->chain_pem, 0644); !s) return s;
    files.entry = std::move(signed_cert.value().entry);
    return files;
}

Result<SignedCertificate> CertificateAuthority::sign_leaf(LeafSpec spec, EVP_PKEY* subject_key,
                                                          const IssueOptions& options) {
    if (Status s = check_days(options.days, "--days"); !s) return s;
    if (options.not_before_days_ago < 0 || options.not_before_days_ago > kMaxDays) {
        return Status::error(fmt::format("--not-before-days-ago must be between 0 and {}", kMaxDays));
    }
    std::time_t now = std::time(nullptr);
    std::time_t start = now - options.not_before_days_ago * kDay;
    spec.validity = Validity{start - kClockSkew, start + options.days * kDay};
    Result<std::time_t> ca_not_after = asn1_time_to_time_t(X509_get0_notAfter(ca_cert_.get()));
    if (!ca_not_after) return ca_not_after.status();
    if (*ca_not_after < now) {
        return Status::error(fmt::format("the CA in {} expired on {}: create a new CA with `lampi-ca init`", dir(),
                                         format_utc(*ca_not_after)));
    }
    if (spec.validity.not_after > *ca_not_after) {
        return Status::error(fmt::format("a certificate valid for {} days would outlive the CA (valid until {}); "
                                         "ask for fewer --days",
                                         options.days, format_utc(*ca_not_after)));
    }

    Result<std::vector<IndexEntry>> index = store_.load_index();
    if (!index) return index.status();
    if (spec.kind != CertKind::server && !options.allow_duplicate) {
        // A renewal is blocked only by a certificate issued after the one it renews (that
        // one was renewed already); the ones before it are what earlier renewals replaced,
        // and stay valid until they expire. The index lists certificates as issued.
        auto renewing = std::find_if(index->begin(), index->end(),
                                     [&](const IndexEntry& e) { return e.serial == options.renewing_serial; });
        auto first_blocking = options.renewing_serial.empty() || renewing == index->end() ? index->begin() : renewing;
        for (auto it = first_blocking; it != index->end(); ++it) {
            const IndexEntry& e = *it;
            if (e.kind == spec.kind && e.common_name == spec.common_name && !e.revoked_at && e.not_after > now &&
                e.serial != options.renewing_serial) {
                return Status::already_exists(fmt::format(
                    "a valid {} certificate for {} already exists (serial {}, until {}); revoke it first "
                    "(`lampi-ca revoke {} --dir {}`) or pass --force to issue another",
                    kind_name(e.kind), e.common_name, e.serial, format_utc(e.not_after), e.serial, dir()));
            }
        }
    }

    Result<PkeyPtr> ca_key = load_private_key(store_.key_path(), passphrase_);
    if (!ca_key) return ca_key.status();
    if (X509_check_private_key(ca_cert_.get(), ca_key->get()) != 1) {
        clear_openssl_errors();
        return Status::error(fmt::format("{} does not match {}: the CA directory is damaged", store_.key_path(),
                                         store_.cert_path()));
    }
    Result<std::string> serial = store_.take_serial();
    if (!serial) return serial.status();
    spec.serial = *serial;
    Result<X509Ptr> cert = make_leaf_certificate(spec, subject_key, ca_cert_.get(), ca_key->get());
    if (!cert) return cert.status();
    Result<std::string> cert_pem = certificate_pem(cert->get());
    if (!cert_pem) return cert_pem.status();
    Result<std::string> ca_pem = certificate_pem(ca_cert_.get());
    if (!ca_pem) return ca_pem.status();

    // Recorded before it is handed out: a certificate missing from the index
    // could never be revoked by serial.
    if (Status s = write_file_atomically(store_.issued_path(spec.serial), *cert_pem, 0644); !s) return s;
    // Field by field on purpose: the index keeps only what listing and revoking
    // need, never the key.
    IndexEntry entry;
    entry.serial = spec.serial;
    entry.kind = spec.kind;
    entry.common_name = spec.common_name;
    entry.dns_names = spec.dns_names;
    entry.ip_addresses = spec.ip_addresses;
    entry.not_before = spec.validity.not_before;
    entry.not_after = spec.validity.not_after;
    index.value().push_back(entry);
    if (Status s = store_.save_index(*index); !s) return s;
    log::info("issued {} certificate serial {} for \"{}\", valid {} .. {}", kind_name(entry.kind), entry.serial,
              entry.common_name, format_utc(entry.not_before), format_utc(entry.not_after));
    return SignedCertificate{std::move(entry), *cert_pem, *cert_pem + *ca_pem};
}

Result<IndexEntry> CertificateAuthority::revoke(std::string_view target, std::string_view reason, int crl_days) {
    if (Result<int> code = crl_reason_code(reason); !code) return code.status();
    if (Status s = check_days(crl_days, "--crl-days"); !s) return s;
    if (target.empty()) return Status::error("nothing to revoke: give a serial, a device id or a common name");
    Result<std::vector<IndexEntry>> index = store_.load_index();
    if (!index) return index.status();

    Result<std::string> serial = normalize_serial(target);
    Result<std::string> device = normalize_device_id(target);
    std::string cn = device ? *device : std::string(target);
    std::vector<size_t> by_serial, by_cn, revoked_cn;
    for (size_t i = 0; i < index->size(); ++i) {
        const IndexEntry& e = (*index)[i];
        if (serial && e.serial == *serial) by_serial.push_back(i);
        if (e.common_name == cn) (e.revoked_at ? revoked_cn : by_cn).push_back(i);
    }
    size_t chosen = 0;
    if (!by_serial.empty() && !by_cn.empty() && !(by_cn.size() == 1 && by_cn[0] == by_serial[0])) {
        return Status::error(fmt::format(
            "'{}' is both serial {} and the common name of another certificate; revoke by serial with a 0x prefix "
            "or check `lampi-ca list --dir {}`",
            target, *serial, dir()));
    }
    if (!by_serial.empty()) {
        chosen = by_serial[0];
    } else if (by_cn.size() == 1) {
        chosen = by_cn[0];
    } else if (by_cn.size() > 1) {
        std::string serials;
        for (size_t i : by_cn) serials += (serials.empty() ? "" : ", ") + (*index)[i].serial;
        return Status::error(fmt::format("\"{}\" has {} unrevoked certificates (serials {}); revoke them one at a "
                                         "time by serial",
                                         cn, by_cn.size(), serials));
    } else if (!revoked_cn.empty()) {
        return Status::error(fmt::format("every certificate for \"{}\" is already revoked", cn));
    } else {
        return Status::error(fmt::format("no certificate with serial or common name '{}' in {}; see `lampi-ca list "
                                         "--dir {}`",
                                         target, store_.index_path(), dir()));
    }
    IndexEntry& entry = index.value()[chosen];
    if (entry.revoked_at) {
        return Status::error(fmt::format("serial {} (\"{}\") was already revoked on {}", entry.serial,
                                         entry.common_name, format_utc(*entry.revoked_at)));
    }
    Result<PkeyPtr> ca_key = load_private_key(store_.key_path(), passphrase_);
    if (!ca_key) return ca_key.status();
    entry.revoked_at = std::time(nullptr);
    entry.revocation_reason = std::string(reason);
    if (Status s = store_.save_index(*index); !s) return s;
    if (Status s = write_crl_from(*index, ca_key->get(), crl_days); !s) {
        return Status::error(fmt::format("serial {} is revoked in the index but the CRL was not rewritten ({}); run "
                                         "`lampi-ca crl --dir {}`",
                                         entry.serial, s.message(), dir()));
    }
    log::info("revoked serial {} (\"{}\", {}); {} rewritten", entry.serial, entry.common_name, reason,
              store_.crl_path());
    return entry;
}

Status CertificateAuthority::write_crl(int days) {
    if (Status s = check_days(days, "--crl-days"); !s) return s;
    Result<std::vector<IndexEntry>> index = store_.load_index();
    if (!index) return index.status();
    Result<PkeyPtr> ca_key = load_private_key(store_.key_path(), passphrase_);
    if (!ca_key) return ca_key.status();
    return write_crl_from(*index, ca_key->get(), days);
}

Status CertificateAuthority::write_crl_from(const std::vector<IndexEntry>& entries, EVP_PKEY* ca_key, int days) {
    std::vector<RevokedSerial> revoked;
    for (const IndexEntry& e : entries) {
        if (e.revoked_at) revoked.push_back({e.serial, *e.revoked_at, e.revocation_reason});
    }
    Result<std::uint64_t> number = store_.take_crl_number();
    if (!number) return number.status();
    std::time_t now = std::time(nullptr);
    Result<CrlPtr> crl = make_crl(ca_cert_.get(), ca_key, revoked, *number, now - kClockSkew, now + days * kDay);
    if (!crl) return crl.status();
    Result<std::string> pem = crl_pem(crl->get());
    if (!pem) return pem.status();
    if (Status s = write_file_atomically(store_.crl_path(), *pem, 0644); !s) return s;
    log::info("wrote CRL #{} with {} revoked certificate(s), next update {}", *number, revoked.size(),
              format_utc(now + days * kDay));
    return Status::ok();
}

Result<std::vector<ListedCertificate>> CertificateAuthority::list(std::time_t now) const {
    Result<std::vector<IndexEntry>> index = store_.load_index();
    if (!index) return index.status();
    std::vector<ListedCertificate> out;
    for (IndexEntry& e : index.value()) {
        CertStatus status = e.revoked_at ? CertStatus::revoked
                            : e.not_after < now ? CertStatus::expired
                                                : CertStatus::valid;
        out.push_back({std::move(e), status});
    }
    return out;
}

}  // namespace lampi::ca
