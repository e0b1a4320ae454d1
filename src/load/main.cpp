// lampi-load: MQTT load, a simulated lamp fleet, broker monitoring and reports.
// Parses options and wires the parts together; see README.md beside this file.
#include <CLI/CLI.hpp>
#include <csignal>
#include <thread>
#include <unistd.h>

#include "fleet/fleet.h"
#include "lampi/device_id.h"
#include "lampi/log.h"
#include "report/outputs.h"
#include "run/fd_limit.h"
#include "run/runner.h"
#include "run/source_addresses.h"
#include "scenario/publish.h"
#include "scenario/subscribe.h"

namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop = true; }

// What every subcommand shares: the broker, the client's identity and TLS, how
// the run is driven and where its report goes.
struct Common {
    lampi::load::ClientOptions client;
    std::string cafile, cert, key;
    std::vector<std::string> bind;
    int threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
    bool quiet = false;
    bool sys = false;
    double max_time_s = 3600;
    std::string log_level = "warn";
    lampi::load::OutputOptions output;
};

void add_common(CLI::App* app, Common& c) {
    app->add_option("-H,--host", c.client.host, "MQTT broker host")->capture_default_str();
    app->add_option("-p,--port", c.client.port, "MQTT broker port")->capture_default_str()->check(CLI::Range(1, 65535));
    app->add_option("-k,--keepalive", c.client.keepalive_seconds, "MQTT keepalive in seconds")->capture_default_str();
    app->add_flag("!--no-clean-session", c.client.clean_session, "keep sessions on the broker between connections");
    app->add_option("-u,--username", c.client.username, "user name for the broker");
    app->add_option("--password", c.client.password, "password for the broker");
    app->add_option("--cafile", c.cafile, "TLS: CA certificate (PEM); enables TLS");
    app->add_option("--cert", c.cert, "TLS: client certificate (PEM) for mutual TLS");
    app->add_option("--key", c.key, "TLS: client private key (PEM)");
    app->add_flag("--insecure", c.client.tls_insecure, "TLS: do not check the broker's host name");
    app->add_flag("!--no-reconnect", c.client.reconnect,
                  "end a client when the broker drops its connection (default: reconnect with backoff)");
    app->add_option("--reconnect-max", c.client.reconnect_max_s, "longest wait between reconnect attempts, seconds")
        ->capture_default_str();
    app->add_option("--reconnect-give-up", c.client.reconnect_give_up_s,
                    "stop reconnecting a client that stayed out this many seconds")
        ->capture_default_str();
    app->add_option("--bind", c.bind,
                    "source addresses to spread connections over (default: 127.0.0.1..n against a loopback "
                    "broker, one per 4000 connections)");
    app->add_option("--threads", c.threads, "worker threads (each owns a share of the connections)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    app->add_flag("-q,--quiet", c.quiet, "no live progress line");
    app->add_flag("--json", c.output.json, "print the report as JSON instead of text");
    app->add_option("--csv", c.output.csv_prefix, "write PREFIX_series.csv (per second) and PREFIX_summary.csv");
    app->add_option("--report", c.output.html_path, "write a self-contained HTML report with charts to FILE.html");
    app->add_flag("--sys", c.sys, "follow the broker's $SYS/# and report it beside our figures");
    app->add_option("--max-time", c.max_time_s, "hard limit on the whole run in seconds")->capture_default_str();
    app->add_option("--log-level", c.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
}

int run(lampi::load::Scenario& scenario, Common& c) {
    using namespace lampi;
    if (Status s = load::raise_fd_limit(scenario.connections() * load::kDescriptorsPerConnection + 64); !s) {
        log::error("{}", s.message());
        return 2;
    }
    load::RunSettings settings;
    settings.threads = c.threads;
    settings.progress_line = !c.quiet && !c.output.json && isatty(STDERR_FILENO);
    if (c.sys) settings.sys = c.client;
    settings.hard_limit_s = c.max_time_s;
    settings.stop = &g_stop;
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGPIPE, SIG_IGN);
    load::RunReport report = load::run_scenario(scenario, settings);
    return load::emit_report(report, c.output);
}

// Applies what the common options imply once all are parsed.
bool finish_common(Common& c, std::size_t connections) {
    using namespace lampi;
    if (!log::init_from_option("lampi-load", c.log_level)) return false;
    if (!c.cafile.empty() || !c.cert.empty()) c.client.tls = MqttTls{c.cafile, c.cert, c.key};
    c.client.bind_addresses = load::choose_source_addresses(c.client.host, connections, c.bind);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace lampi;
    CLI::App app{"lampi-load: MQTT load tester for LAMPi. Publish and subscribe load with malaria-compatible\n"
                 "options, a simulated lamp fleet speaking the LAMPi contract, $SYS monitoring, and\n"
                 "text/JSON/CSV/HTML reports. Exit code 0: the run succeeded; 1: it ran but failed\n"
                 "(errors, loss, unconfirmed messages); 2: bad options or environment."};
    app.require_subcommand(1);
    Common common;

    load::PublishOptions pub;
    CLI::App* publish = app.add_subcommand("publish", "publish messages from many clients and time their confirmation");
    add_common(publish, common);
    publish->add_option("-n,--count", pub.count, "messages per client (malaria -n)")->capture_default_str();
    publish->add_option("-P,--processes,-c,--clients", pub.clients, "concurrent clients/connections (malaria -P)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1'000'000));
    publish->add_option("-D,--device-id", pub.client_prefix, "client id prefix; ids are PREFIX-0, PREFIX-1, ...")
        ->capture_default_str();
    publish->add_option("--qos", pub.qos, "QoS 0, 1 or 2")->capture_default_str()->check(CLI::Range(0, 2));
    publish->add_option("-s,--size", pub.payload_size,
                        "payload bytes (at least the ~40-byte sequence/timestamp header)")
        ->capture_default_str();
    publish->add_option("-t,--topic", pub.topic, "topic template: {client} and {seq} are replaced")->capture_default_str();
    publish->add_flag("--retain", pub.retain, "publish retained");
    publish->add_option("-d,--duration", pub.duration_s, "publish for this many seconds instead of a count");
    publish->add_option("--rate", pub.rate_per_client, "target messages/s per client (default: as fast as confirmed)");
    publish->add_option("--total-rate", pub.rate_total, "target messages/s over all clients");
    publish->add_option("--connect-rate", pub.connect_rate, "new connections per second (default: all at once)");
    publish->add_option("--inflight", pub.inflight, "unconfirmed messages per client before it waits")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    publish->add_option("--drain-timeout", pub.drain_timeout_s, "seconds to wait for the last confirmations")
        ->capture_default_str();

    load::SubscribeOptions sub;
    CLI::App* subscribe = app.add_subcommand(
        "subscribe", "count what arrives, find loss, duplicates and reordering, time flight from the payload");
    add_common(subscribe, common);
    subscribe->add_option("-t,--topic", sub.topic, "topic filter")->capture_default_str();
    subscribe->add_option("--qos", sub.qos, "QoS 0, 1 or 2")->capture_default_str()->check(CLI::Range(0, 2));
    subscribe->add_option("-c,--clients", sub.clients, "subscribing clients, each receives everything")
        ->capture_default_str()
        ->check(CLI::Range(1, 1'000'000));
    subscribe->add_option("-D,--device-id", sub.client_prefix, "client id prefix")->capture_default_str();
    subscribe->add_option("-d,--duration", sub.duration_s, "longest run in seconds")->capture_default_str();
    subscribe->add_option("-n,--expect", sub.expect, "stop once each client received this many messages");
    subscribe->add_option("--idle-timeout", sub.idle_timeout_s, "stop this many seconds after the last message");
    subscribe->add_option("--connect-rate", sub.connect_rate, "new connections per second (default: all at once)");

    load::FleetOptions fleet;
    CLI::App* fleet_cmd = app.add_subcommand("fleet", "simulate a fleet of lamps on the cloud broker");
    add_common(fleet_cmd, common);
    fleet_cmd->add_option("--lamps", fleet.lamps, "number of lamps")->capture_default_str()->check(CLI::Range(1, 1'000'000));
    fleet_cmd->add_option("--commands", fleet.commands_per_s, "set_config commands per second to random lamps")
        ->capture_default_str();
    fleet_cmd->add_option("-d,--duration", fleet.duration_s, "seconds to run once every lamp connected")
        ->capture_default_str();
    fleet_cmd->add_option("--connect-rate", fleet.connect_rate, "lamps connecting per second")->capture_default_str();
    fleet_cmd->add_option("--answer-timeout", fleet.answer_timeout_s, "seconds before a command counts as unanswered")
        ->capture_default_str();
    fleet_cmd->add_option("--cert-dir", fleet.cert_dir,
                          "per-lamp client certificates (mutual TLS): DIR/<device id>.crt or .pem, and .key");
    std::string first_id;
    fleet_cmd->add_option("--first-device-id", first_id, "12 hex digits; lamp ids count up from here (default f1ee70000000)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help is a "parse error" that exits 0; real usage errors share exit code 2.
        return app.exit(e) == 0 ? 0 : 2;
    }

    if (publish->parsed()) {
        if (pub.duration_s > 0) pub.count = 0;
        if (!finish_common(common, static_cast<std::size_t>(pub.clients))) return 2;
        pub.client = common.client;
        load::PublishScenario scenario(pub);
        return run(scenario, common);
    }
    if (subscribe->parsed()) {
        if (!finish_common(common, static_cast<std::size_t>(sub.clients))) return 2;
        sub.client = common.client;
        load::SubscribeScenario scenario(sub);
        return run(scenario, common);
    }
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
    load::FleetScenario scenario(fleet);
    return run(scenario, common);
}
