// A CA of the platform's own and the server certificate it issued for this
// machine's loopback (127.0.0.1 and localhost), where the tests' TLS servers
// listen. Only for tests that link the CA library (lampi_ca).
#pragma once

#include <string>
#include <utility>

#include "certificate_authority.h"
#include "lampi/status.h"

namespace lampi::testing {

struct LoopbackCa {
    ca::CertificateAuthority authority;
    ca::IssuedFiles server;
};

// The CA in `dir`/ca, the server's files with the prefix `dir`/server.
inline Result<LoopbackCa> make_loopback_ca(const std::string& dir) {
    Result<ca::CertificateAuthority> created = ca::CertificateAuthority::create(dir + "/ca");
    if (!created) return created.status();
    ca::ServerRequest server;
    server.dns_names = {"localhost"};
    server.ip_addresses = {"127.0.0.1"};
    Result<ca::IssuedFiles> issued = created.value().issue_server(server, dir + "/server");
    if (!issued) return issued.status();
    return LoopbackCa{std::move(created).value(), std::move(issued).value()};
}

}  // namespace lampi::testing
