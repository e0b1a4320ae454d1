// lampi-ca: the platform certificate authority. Parses options and calls one
// function of commands.h per subcommand.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <string>

#include "commands.h"
#include "lampi/log.h"
#include "lampi/log_cli.h"

namespace {

using namespace lampi;
using namespace lampi::ca;

void add_common(CLI::App* cmd, CaLocation& common, bool signs) {
    cmd->add_option("--dir", common.dir, "the CA directory")->required()->envname("LAMPI_CA_DIR");
    if (signs) {
        cmd->add_option("--passphrase-file", common.passphrase_file,
                        "file whose first line is the CA key's passphrase (if the key is encrypted)");
    }
}

void add_issue_options(CLI::App* cmd, IssueOptions& options, std::string& out, std::string& key_type) {
    cmd->add_option("--out", out, "output prefix: writes PREFIX.pem, PREFIX.key (0600) and PREFIX-chain.pem")
        ->required();
    cmd->add_option("--days", options.days, "validity in days")->capture_default_str();
    cmd->add_option("--not-before-days-ago", options.not_before_days_ago,
                    "start the validity this many days ago (more than --days gives an expired certificate)")
        ->capture_default_str();
    cmd->add_option("--key-type", key_type, "ec (P-256) or rsa (3072 bits)")->capture_default_str();
    cmd->add_flag("--overwrite", options.overwrite_files, "replace existing output files");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"lampi-ca: the LAMPi platform certificate authority. Creates the CA, issues server,\n"
                 "device and client certificates, revokes them and keeps the CRL (crl.pem) current."};
    app.require_subcommand(1);
    std::string log_level = "warn";
    std::string log_format = "text";
    add_log_options(app, log_level, log_format);

    // init
    CaLocation init_common;
    CreateOptions create;
    std::string init_key_type = "ec";
    auto* init = app.add_subcommand("init", "create the platform CA in a new directory");
    add_common(init, init_common, false);
    init->add_option("--name", create.name, "the CA's common name")->capture_default_str();
    init->add_option("--days", create.days, "validity of the CA certificate in days")->capture_default_str();
    init->add_option("--key-type", init_key_type, "ec (P-256) or rsa (3072 bits)")->capture_default_str();
    init->add_option("--crl-days", create.crl_days, "days until the first CRL's nextUpdate")->capture_default_str();
    std::string init_passphrase_file;
    init->add_option("--passphrase-file", init_passphrase_file,
                     "encrypt ca.key with the passphrase on this file's first line");

    // issue-server
    CaLocation server_common;
    IssueOptions server_options;
    ServerRequest server_request;
    std::string server_out, server_key_type = "ec";
    auto* server = app.add_subcommand("issue-server", "issue a TLS server certificate (serverAuth) and its key");
    add_common(server, server_common, true);
    add_issue_options(server, server_options, server_out, server_key_type);
    server->add_option("--dns", server_request.dns_names, "a DNS name for the subjectAltName (repeatable)");
    server->add_option("--ip", server_request.ip_addresses, "an IP address for the subjectAltName (repeatable)");
    server->add_option("--cn", server_request.common_name, "subject CN (default: the first --dns or --ip)");

    // issue-device / issue-client
    CaLocation device_common, client_common;
    IssueOptions device_options, client_options;
    std::string device_id, device_out, device_key_type = "ec";
    std::string client_name, client_out, client_key_type = "ec";
    auto* device = app.add_subcommand("issue-device", "issue a lamp's client certificate (CN = device id)");
    device->add_option("device_id", device_id, "the lamp's 12 hex digits (b827eb74663e or B8:27:EB:74:66:3E)")
        ->required();
    add_common(device, device_common, true);
    add_issue_options(device, device_options, device_out, device_key_type);
    device->add_flag("--force", device_options.allow_duplicate,
                     "issue even if this device already has a valid certificate");
    auto* client = app.add_subcommand("issue-client", "issue a client certificate for an operator or a service");
    client->add_option("name", client_name, "the client's name (its CN and broker username)")->required();
    add_common(client, client_common, true);
    add_issue_options(client, client_options, client_out, client_key_type);
    client->add_flag("--force", client_options.allow_duplicate,
                     "issue even if this name already has a valid certificate");

    // sign-device-csr
    CaLocation csr_common;
    IssueOptions csr_options;
    std::string csr_file, csr_out;
    auto* csr = app.add_subcommand("sign-device-csr",
                                   "issue a lamp's certificate for the key in its CSR (the key never leaves the lamp)");
    csr->add_option("csr_file", csr_file, "PEM certificate request whose CN is the device id")->required();
    add_common(csr, csr_common, true);
    csr->add_option("--out", csr_out, "output prefix: writes PREFIX.pem and PREFIX-chain.pem")->required();
    csr->add_option("--days", csr_options.days, "validity in days")->capture_default_str();
    csr->add_flag("--overwrite", csr_options.overwrite_files, "replace existing output files");
    csr->add_flag("--force", csr_options.allow_duplicate, "issue even if this device already has a valid certificate");

    // revoke
    CaLocation revoke_common;
    std::string revoke_target, revoke_reason = "unspecified";
    int revoke_crl_days = 30;
    auto* revoke = app.add_subcommand("revoke", "revoke a certificate and rewrite crl.pem");
    revoke->add_option("target", revoke_target, "a serial (hex), a device id or a client/server CN")->required();
    add_common(revoke, revoke_common, true);
    revoke->add_option("--reason", revoke_reason,
                       "unspecified, keyCompromise, caCompromise, affiliationChanged, superseded, "
                       "cessationOfOperation or privilegeWithdrawn")
        ->capture_default_str();
    revoke->add_option("--crl-days", revoke_crl_days, "days until the new CRL's nextUpdate")->capture_default_str();

    // crl
    CaLocation crl_common;
    int crl_days = 30;
    auto* crl = app.add_subcommand("crl", "rewrite crl.pem (do it before its nextUpdate passes)");
    add_common(crl, crl_common, true);
    crl->add_option("--crl-days", crl_days, "days until the CRL's nextUpdate")->capture_default_str();

    // list
    CaLocation list_common;
    bool list_json = false;
    auto* list = app.add_subcommand("list", "list issued certificates and their status");
    add_common(list, list_common, false);
    list->add_flag("--json", list_json, "one JSON document instead of a table");

    CLI11_PARSE(app, argc, argv);
    if (!log::init_from_option("lampi-ca", log_level, {}, log_format)) return 2;
    if (init->parsed()) return init_command(init_common.dir, create, init_key_type, init_passphrase_file);
    if (server->parsed()) {
        return issue_server_command(server_common, server_request, server_out, server_options, server_key_type);
    }
    if (device->parsed())
        return issue_device_command(device_common, device_id, device_out, device_options, device_key_type);
    if (client->parsed())
        return issue_client_command(client_common, client_name, client_out, client_options, client_key_type);
    if (csr->parsed()) return sign_device_request_command(csr_common, csr_file, csr_out, csr_options);
    if (revoke->parsed()) return revoke_command(revoke_common, revoke_target, revoke_reason, revoke_crl_days);
    if (crl->parsed()) return crl_command(crl_common, crl_days);
    if (list->parsed()) return list_command(list_common, list_json);
    return 2;
}
