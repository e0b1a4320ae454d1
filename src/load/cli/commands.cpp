#include "cli/commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <optional>

#include "lampi/device_id.h"
#include "lampi/log.h"
#include "monitor/process_monitor.h"
#include "mqtt/tls_context.h"
#include "run/fd_limit.h"
#include "run/runner.h"
#include "run/source_addresses.h"
#include "run/timespan.h"

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
    std::optional<ProcessMonitor> processes;
    if (!c.watch_pids.empty() || !c.watch_names.empty()) {
        processes.emplace(c.watch_pids, c.watch_names);
        if (Status s = processes->start(); !s) {
            log::error("{}", s.message());
            return 2;
        }
        settings.processes = &*processes;
    }
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
    if (!log::init_from_option("lampi-load", c.log_level, {}, c.log_format)) return false;
    if (!c.cafile.empty() || !c.cert.empty()) c.client.tls = MqttTls{c.cafile, c.cert, c.key};
    c.client.bind_addresses = choose_source_addresses(c.client.host, connections, c.bind);
    return true;
}

}  // namespace

int http_command(HttpOptions options, const HttpCliOptions& cli, const CommonOptions& common) {
    auto usage = [](const std::string& message) {
        fmt::print(stderr, "lampi-load http: {}\n", message);
        return 2;
    };
    if (!log::init_from_option("lampi-load", common.log_level, {}, common.log_format)) return 2;
    if (cli.scenario != "course")
        return usage(
            fmt::format("--scenario '{}': the built-in scenario is 'course'; -f FILE.lua runs your own", cli.scenario));
    Result<http::Url> url = http::parse_url(cli.host);
    if (!url) return usage(url.status().message());
    options.url = *url;
    std::size_t colon = cli.login.find(':');
    if (cli.script.empty() && (colon == std::string::npos || colon == 0))
        return usage("--login USER:PASS is required by the course scenario (USER may hold {n}, the user's number)");
    if (colon != std::string::npos) {
        options.username = cli.login.substr(0, colon);
        options.password = cli.login.substr(colon + 1);
    }
    if (!cli.run_time.empty()) {
        options.run_time_s = parse_timespan(cli.run_time);
        if (options.run_time_s <= 0)
            return usage(fmt::format("-t '{}': give seconds, or 30s, 5m, 1h30m", cli.run_time));
    }
    if (!cli.wait.empty()) {
        std::size_t dash = cli.wait.find('-');
        try {
            options.wait_min_s = std::stod(cli.wait.substr(0, dash));
            options.wait_max_s = dash == std::string::npos ? options.wait_min_s : std::stod(cli.wait.substr(dash + 1));
        } catch (const std::exception&) {
            return usage(fmt::format("--wait '{}': give MIN-MAX seconds (5-9) or one number", cli.wait));
        }
    }
    if (options.wait_min_s < 0 || options.wait_max_s < options.wait_min_s)
        return usage("--wait: MIN must be 0 or more and MAX at least MIN");
    if (options.spawn_rate <= 0) return usage("-r: the spawn rate must be above 0");
    if (options.url.tls) {
        // A CA file that cannot be used is a setup error: say so before any user starts.
        auto tls = TlsContext::create(MqttTls{options.cafile, "", ""}, !options.insecure, !options.insecure);
        if (!tls) return usage(tls.status().message());
    }
    if (options.stop_timeout_s < 0) return usage("--stop-timeout: give 0 or more seconds");
    options.bind_addresses =
        choose_source_addresses(options.url.host, static_cast<std::size_t>(options.users), common.bind);
    if (!cli.script.empty()) {
        if (Status s = check_lua_scenario(cli.script, options); !s) return usage(s.message());
        HttpLuaScenario scenario(options, cli.script);
        return run(scenario, common);
    }
    HttpCourseScenario scenario(options);
    return run(scenario, common);
}

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
