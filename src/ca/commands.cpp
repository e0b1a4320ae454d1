#include "commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "lampi/files.h"
#include "list_output.h"

namespace lampi::ca {
namespace {

int fail(const Status& status) {
    fmt::print(stderr, "lampi-ca: {}\n", status.message());
    return 1;
}

Result<std::optional<SecretString>> read_passphrase(const std::string& path) {
    if (path.empty()) return std::optional<SecretString>();
    Result<std::string> text = read_secret_file(path);
    if (!text) return text.status();
    return std::optional<SecretString>(SecretString(std::move(text).value()));
}

Result<CertificateAuthority> open_ca(const CaLocation& location) {
    Result<std::optional<SecretString>> passphrase = read_passphrase(location.passphrase_file);
    if (!passphrase) return passphrase.status();
    return CertificateAuthority::open(location.dir, OpenOptions{std::move(passphrase).value()});
}

int print_issued(const Result<IssuedFiles>& issued) {
    if (!issued) return fail(issued.status());
    fmt::print(
        "issued {} certificate serial {} for {}, valid until {}\n  certificate {}\n  key         {}\n  "
        "chain       {}\n",
        kind_name(issued->entry.kind), issued->entry.serial, issued->entry.common_name,
        format_utc(issued->entry.not_after), issued->cert_path, issued->key_path, issued->chain_path);
    return 0;
}

// Opens the CA and issues with `issue` once the key type is known.
template <class Issue>
int issue(const CaLocation& location, IssueOptions& options, const std::string& key_type, Issue&& issue_with) {
    Result<KeyType> type = parse_key_type(key_type);
    if (!type) return fail(type.status());
    options.key_type = *type;
    Result<CertificateAuthority> ca = open_ca(location);
    if (!ca) return fail(ca.status());
    return print_issued(issue_with(ca.value()));
}

}  // namespace

int init_command(const std::string& dir, CreateOptions create, const std::string& key_type,
                 const std::string& passphrase_file) {
    Result<KeyType> type = parse_key_type(key_type);
    if (!type) return fail(type.status());
    create.key_type = *type;
    Result<std::optional<SecretString>> passphrase = read_passphrase(passphrase_file);
    if (!passphrase) return fail(passphrase.status());
    create.passphrase = std::move(passphrase).value();
    Result<CertificateAuthority> ca = CertificateAuthority::create(dir, create);
    if (!ca) return fail(ca.status());
    fmt::print("created CA \"{}\" in {}\n  certificate {}\n  CRL         {}\n", create.name, ca->dir(),
               ca->ca_cert_path(), ca->crl_path());
    return 0;
}

int issue_server_command(const CaLocation& ca, const ServerRequest& request, const std::string& out,
                         IssueOptions options, const std::string& key_type) {
    return issue(ca, options, key_type,
                 [&](CertificateAuthority& opened) { return opened.issue_server(request, out, options); });
}

int issue_device_command(const CaLocation& ca, const std::string& device_id, const std::string& out,
                         IssueOptions options, const std::string& key_type) {
    return issue(ca, options, key_type,
                 [&](CertificateAuthority& opened) { return opened.issue_device(device_id, out, options); });
}

int issue_client_command(const CaLocation& ca, const std::string& name, const std::string& out, IssueOptions options,
                         const std::string& key_type) {
    return issue(ca, options, key_type,
                 [&](CertificateAuthority& opened) { return opened.issue_client(name, out, options); });
}

int sign_device_request_command(const CaLocation& location, const std::string& csr_file, const std::string& out,
                                const IssueOptions& options) {
    if (out.empty()) return fail(Status::error("no output prefix given (--out)"));
    std::string cert_path = out + ".pem", chain_path = out + "-chain.pem";
    for (const std::string& path : {cert_path, chain_path}) {
        if (!options.overwrite_files && ::access(path.c_str(), F_OK) == 0) {
            return fail(Status::error(fmt::format(
                "{} already exists; choose another --out or pass --overwrite to replace it", path)));
        }
    }
    Result<std::string> csr = read_text_file(csr_file);
    if (!csr) return fail(csr.status());
    Result<CertificateAuthority> ca = open_ca(location);
    if (!ca) return fail(ca.status());
    Result<SignedCertificate> signed_cert = ca.value().sign_device_request(*csr, options);
    if (!signed_cert) return fail(Status::error(fmt::format("{}: {}", csr_file, signed_cert.status().message())));
    if (Status s = write_file_atomically(cert_path, signed_cert->cert_pem, 0644); !s) return fail(s);
    if (Status s = write_file_atomically(chain_path, signed_cert->chain_pem, 0644); !s) return fail(s);
    fmt::print("issued device certificate serial {} for {}, valid until {}\n  certificate {}\n  chain       {}\n",
               signed_cert->entry.serial, signed_cert->entry.common_name, format_utc(signed_cert->entry.not_after),
               cert_path, chain_path);
    return 0;
}

int revoke_command(const CaLocation& location, const std::string& target, const std::string& reason, int crl_days) {
    Result<CertificateAuthority> ca = open_ca(location);
    if (!ca) return fail(ca.status());
    Result<IndexEntry> entry = ca.value().revoke(target, reason, crl_days);
    if (!entry) return fail(entry.status());
    fmt::print("revoked serial {} ({} \"{}\"); CRL rewritten: {}\n", entry->serial, kind_name(entry->kind),
               entry->common_name, ca->crl_path());
    return 0;
}

int crl_command(const CaLocation& location, int crl_days) {
    Result<CertificateAuthority> ca = open_ca(location);
    if (!ca) return fail(ca.status());
    if (Status s = ca.value().write_crl(crl_days); !s) return fail(s);
    fmt::print("CRL rewritten: {}\n", ca->crl_path());
    return 0;
}

int list_command(const CaLocation& location, bool json) {
    Result<CertificateAuthority> ca = open_ca(location);
    if (!ca) return fail(ca.status());
    Result<std::vector<ListedCertificate>> listed = ca->list();
    if (!listed) return fail(listed.status());
    fmt::print("{}", json ? list_as_json(*listed) : list_as_table(*listed));
    return 0;
}

}  // namespace lampi::ca
