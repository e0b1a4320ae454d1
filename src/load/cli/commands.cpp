#include "cli/commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>

#include "lampi/log.h"
#include "run/fd_limit.h"
#include "run/runner.h"
#include "run/source_addresses.h"

namespace lampi::load::cli {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop = true; }

int run(Scenario& scenario, const CommonOptions& c) {
    if (Status s = raise_fd_limit(scenario.connections() * kDescriptorsPerConnection + 64); !s) {
        log::error("{}", s.message());
        return 2;
    }
    RunSettings settings;
    settings.threads = c.threads;
    settings.progress_line = !c.quiet && !c.output.json && isatty(STDERR_FILENO);
    if (c.sys) settings.sys = c.client;
    settings.hard_limit_s = c.max_time_s;
    settings.stop = &g_stop;
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGPIPE, SIG_IGN);
    RunReport report = run_scenario(scenario, settings);
    return emit_report(report, c.output);
}

// Applies what the common options imply once all are parsed.
bool finish_common(CommonOptions& c, std::size_t connections) {
    Result<log::Level> level = log::parse_level(c.log_level);
    if (!level) {
        fmt::print(stderr, "lampi-load: {}\n", level.status().message());
        return false;
    }
    log::init("lampi-load", *level);
    if (!c.cafile.empty() || !c.cert.empty()) c.client.tls = MqttTls{c.cafile, c.cert, c.key};
    c.client.bind_addresses = choose_source_addresses(c.client.host, connections, c.bind);
    return true;
}

}  // namespace

int publish_command(PublishOptions pub, CommonOptions common) {
    if (pub.duration_s > 0) pub.count = 0;
    if (!finish_common(common, static_cast<std::size_t>(pub.clients))) return 2;
    pub.client = common.client;
    PublishScenario scenario(pub);
    return run(scenario, common);
}

int subscribe_command(SubscribeOptions sub, CommonOptions common) {
    if (!finish_common(common, static_cast<std::size_t>(sub.clients))) return 2;
    sub.client = common.client;
    SubscribeScenario scenario(sub);
    return run(scenario, common);
}

int fleet_command(FleetOptions fleet, const std::string& first_id, CommonOptions common) {
    if (!first_id.empty()) {
        std::uint64_t value = 0;
        auto [ptr, ec] = std::from_chars(first_id.data(), first_id.data() + first_id.size(), value, 16);
        if (ec != std::errc() || ptr != first_id.data() + first_id.size() || first_id.size() != 12) {
            fmt::print(stderr, "lampi-load: --first-device-id wants 12 hex digits, got '{}'\n", first_id);
            return 2;
        }
        fleet.first_device_id = value;
    }
    if (!finish_common(common, static_cast<std::size_t>(fleet.lamps) + 1)) return 2;
    if (!fleet.cert_dir.empty() && !common.client.tls) common.client.tls = MqttTls{};  // system CAs
    fleet.client = common.client;
    FleetScenario scenario(fleet);
    return run(scenario, common);
}

}  // namespace lampi::load::cli
