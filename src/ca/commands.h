// The lampi-ca subcommands, each a function from parsed options to an exit code
// (0 ok, 1 failed). main.cpp only parses options and calls these. What was written
// goes to stdout; errors to stderr as "lampi-ca: <what is wrong>".
#pragma once

#include <string>

#include "certificate_authority.h"

namespace lampi::ca {

// Where the CA is, and the file holding its key's passphrase ("": the key is not encrypted).
struct CaLocation {
    std::string dir;
    std::string passphrase_file;
};

// key_type: "ec" or "rsa"; passphrase_file ("": none) encrypts ca.key.
int init_command(const std::string& dir, CreateOptions create, const std::string& key_type,
                 const std::string& passphrase_file);
int issue_server_command(const CaLocation& ca, const ServerRequest& request, const std::string& out,
                         IssueOptions options, const std::string& key_type);
int issue_device_command(const CaLocation& ca, const std::string& device_id, const std::string& out,
                         IssueOptions options, const std::string& key_type);
int issue_client_command(const CaLocation& ca, const std::string& name, const std::string& out, IssueOptions options,
                         const std::string& key_type);
// Signs the device CSR in `csr_file`; writes <out>.pem and <out>-chain.pem (no key:
// it stays with whoever made the request).
int sign_device_request_command(const CaLocation& ca, const std::string& csr_file, const std::string& out,
                                const IssueOptions& options);
int revoke_command(const CaLocation& ca, const std::string& target, const std::string& reason, int crl_days);
int crl_command(const CaLocation& ca, int crl_days);
int list_command(const CaLocation& ca, bool json);

}  // namespace lampi::ca
