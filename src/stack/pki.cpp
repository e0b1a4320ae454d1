#include "pki.h"

#include <fmt/core.h>

#include <filesystem>
#include <optional>

#include "certificate_authority.h"

namespace fs = std::filesystem;

namespace lampi::stack {
namespace {

constexpr int kCrlDays = 30;

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
    if (!fs::exists(plan.server_cert) || !fs::exists(plan.server_key)) {
        if (Status s = open_ca(); !s) return s;
        ca::ServerRequest request{"127.0.0.1", {"localhost"}, {"127.0.0.1", "::1"}};
        auto issued = authority->issue_server(request, plan.pki_dir + "/server", options);
        if (!issued) return issued.status();
    }
    // Lamps get their certificates by enrolling (lampid --enroll-token-file). A lamp
    // whose files went missing enrolls again: the certificates of its lost key are
    // revoked, since the cloud signs none for a device that still has a valid one.
    for (const LampPlan& lamp : plan.lamps) {
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
