#include "cli/serve_arguments.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>

#include "analytics/group_rollup.h"
#include "certificate_authority.h"
#include "lampi/files.h"

namespace lampi::cloud::cli {
namespace {

// Secrets come from files only their owner can read: never from the command
// line or the environment, which other local users can read in /proc.
bool read_secret_file(const std::string& path, std::string& out) {
    Result<std::string> secret = lampi::read_secret_file(path);
    if (!secret) {
        fmt::print(stderr, "lampi-cloud: {}\n", secret.status().message());
        return false;
    }
    out = *secret;
    return true;
}

}  // namespace

int serve_with(ServeArguments a, const CommonConfig& common) {
    ServeConfig& config = a.serve;
    config.common = common;
    config.app.signup_enabled = !a.no_signup;
    config.server.relay.idle_timeout = std::chrono::seconds(a.relay_idle_seconds);
    config.server.relay.write_timeout = std::chrono::seconds(a.relay_write_seconds);
    config.mqtt_enabled = !config.mqtt.host.empty();
    if (!a.mqtt_tls.ca_file.empty()) config.mqtt.tls = a.mqtt_tls;
    // Over HTTPS the cookies must never travel in clear text.
    config.app.secure_cookies = !config.server.tls_cert_file.empty();
    auto proxies = http::TrustedProxies::parse(a.trusted_proxies);
    if (!proxies) {
        fmt::print(stderr, "lampi-cloud: {}\n", proxies.status().message());
        return 2;
    }
    config.app.trusted_proxies = std::move(proxies).value();
    // Each declaration costs an upsert per distinct value in every batch of its collection.
    constexpr std::size_t kMaxGroupRollups = 32;
    if (a.analytics_group_rollups.size() > kMaxGroupRollups) {
        fmt::print(stderr, "lampi-cloud: --analytics-group-rollup is given {} times; at most {}\n",
                   a.analytics_group_rollups.size(), kMaxGroupRollups);
        return 2;
    }
    for (const std::string& text : a.analytics_group_rollups) {
        auto key = analytics::parse_group_rollup(text);
        if (!key) {
            fmt::print(stderr, "lampi-cloud: --analytics-group-rollup {}\n", key.status().message());
            return 2;
        }
        std::vector<analytics::GroupRollupKey>& keys = config.app.analytics_group_rollups;
        if (std::find(keys.begin(), keys.end(), *key) == keys.end()) keys.push_back(std::move(key).value());
    }
    if (!config.redirect_listen.empty() && config.server.tls_cert_file.empty() && config.public_https_port == 0) {
        fmt::print(stderr,
                   "lampi-cloud: --redirect-listen without --tls-cert needs --public-https-port "
                   "(the HTTPS port of the proxy in front)\n");
        return 2;
    }
    if (!a.mqtt_password_file.empty() && !read_secret_file(a.mqtt_password_file, config.mqtt.password)) return 2;
    if (!a.auth_secret_file.empty() && !read_secret_file(a.auth_secret_file, config.app.auth_secret)) return 2;
    for (const std::string& entry : a.service_accounts) {
        std::size_t colon = entry.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
            fmt::print(stderr, "lampi-cloud: --service-account-file wants NAME:FILE\n");
            return 2;
        }
        std::string password;
        if (!read_secret_file(entry.substr(colon + 1), password)) return 2;
        config.app.service_accounts.push_back({entry.substr(0, colon), password, true});
    }
    if (!a.enroll_ca_passphrase_file.empty() && a.enroll_ca_dir.empty()) {
        fmt::print(stderr, "lampi-cloud: --enroll-ca-passphrase-file needs --enroll-ca-dir\n");
        return 2;
    }
    if (!a.enroll_ca_dir.empty()) {
        enroll::CaAccess& ca = config.app.enrollment_ca;
        ca.dir = a.enroll_ca_dir;
        ca.days = a.enroll_days;
        if (!a.enroll_ca_passphrase_file.empty()) {
            std::string passphrase;
            if (!read_secret_file(a.enroll_ca_passphrase_file, passphrase)) return 2;
            ca.passphrase = ca::SecretString(std::move(passphrase));
        }
        // Found now rather than at the first lamp's enrollment.
        if (auto opened = ca::CertificateAuthority::open(ca.dir, ca::OpenOptions{ca.passphrase}); !opened) {
            fmt::print(stderr, "lampi-cloud: --enroll-ca-dir: {}\n", opened.status().message());
            return 2;
        }
    }
    return serve(std::move(config));
}

}  // namespace lampi::cloud::cli
