#include "cli/commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "lampi/device_id.h"
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
    if (!log::init_from_option("lampi-load", c.log_level)) return false;
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
        Result<std::string> id = normalize_device_id(first_id);
        if (!id) {
            fmt::print(stderr, "lampi-load: --first-device-id: {}\n", id.status().message());
            return 2;
        }
        fleet.first_device_id = *device_id_number(*id);
    }
    if (!finish_common(common, static_cast<std::size_t>(fleet.lamps) + 1)) return 2;
    if (!fleet.cert_dir.empty() && !common.client.tls) common.client.tls = MqttTls{};  // system CAs
    fleet.client = common.client;
    FleetScenario scenario(fleet);
    return run(scenario, common);
}

}  // namespace lampi::load::cli
