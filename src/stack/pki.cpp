#include "pki.h"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "certificate_authority.h"
#include "lampi/files.h"

namespace fs = std::filesystem;

namespace lampi::stack {
namespace {

constexpr int kCrlDays = 30;

// One line per name, as the certificate was issued: a changed --public-name or
// --listen-address gets a certificate of its own at the next render.
std::string server_names(const StackPlan& plan) {
    std::string names;
    for (const std::string& name : plan.server_dns_names) names += "DNS:" + name + "\n";
    for (const std::string& address : plan.server_ip_addresses) names += "IP:" + address + "\n";
    return names;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

Status ensure_pki(const StackPlan& plan) {
    std::string ca_dir = plan.pki_dir + "/ca";
    std::error_code ec;
    fs::create_directories(plan.pki_dir, ec);
    if (ec) return Status::error(fmt::format("cannot create {}: {}", plan.pki_dir, ec.message()));

    std::optional<ca::CertificateAuthority> authority;
    auto open_ca = [&]() -> Status {
        if (authority) return Status::ok();
        auto opened = fs::exists(plan.ca_file) ? ca::CertificateAuthority::open(ca_dir)
                                               : ca::CertificateAuthority::create(ca_dir);
        if (!opened) return opened.status();
        authority.emplace(std::move(opened).value());
        return Status::ok();
    };
    ca::IssueOptions options;
    options.overwrite_files = true;
    // A certificate file that went missing is issued again for the same name.
    options.allow_duplicate = true;
    // A stack rendered before the names were kept has the demo's: 127.0.0.1 and localhost.
    std::string names_file = plan.pki_dir + "/server.names";
    std::string names = server_names(plan);
    bool names_known = fs::exists(names_file);
    bool same_names = names_known ? read_text(names_file) == names
                                  : plan.server_dns_names == std::vector<std::string>{"localhost"} &&
                                        plan.server_ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"};
    if (!fs::exists(plan.server_cert) || !fs::exists(plan.server_key) || !same_names) {
        if (Status s = open_ca(); !s) return s;
        ca::ServerRequest request{plan.server_ip_addresses.front(), plan.server_dns_names, plan.server_ip_addresses};
        // A cloud host's certificate is known by its name first.
        if (plan.server_dns_names.front() != "localhost") request.common_name = plan.server_dns_names.front();
        auto issued = authority->issue_server(request, plan.pki_dir + "/server", options);
        if (!issued) return issued.status();
    }
    if (!names_known || !same_names) {
        if (Status s = write_file_atomically(names_file, names); !s) return s;
    }
    // Lamps get their certificates by enrolling (lampid --enroll-token-file). A lamp
    // whose files went missing enrolls again: the certificates of its lost key are
    // revoked, since the cloud signs none for a device that still has a valid one.
    // A cloud host holds no lamp's files: its lamps are elsewhere.
    for (const LampPlan& lamp : plan.runs_lamps ? plan.lamps : std::vector<LampPlan>{}) {
        if (fs::exists(lamp.dir + "/lamp.pem") && fs::exists(lamp.dir + "/lamp.key")) continue;
        if (Status s = open_ca(); !s) return s;
        auto listed = authority->list();
        if (!listed) return listed.status();
        for (const ca::ListedCertificate& c : *listed) {
            if (c.status != ca::CertStatus::valid || c.entry.kind != ca::CertKind::device ||
                c.entry.common_name != lamp.device_id)
                continue;
            if (auto revoked = authority->revoke(c.entry.serial, "cessationOfOperation", kCrlDays); !revoked)
                return revoked.status();
        }
    }
    // A CRL past its nextUpdate makes the broker refuse every lamp: renew it on each start.
    if (Status s = open_ca(); !s) return s;
    return authority->write_crl(kCrlDays);
}

}  // namespace lampi::stack
