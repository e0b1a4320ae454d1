// lampi-load: MQTT load, a simulated lamp fleet, broker monitoring and reports.
// Parses options and calls one function of cli/commands.h per subcommand; see
// README.md beside this file.
#include <CLI/CLI.hpp>

#include <fmt/core.h>

#include <charconv>

#include "cli/commands.h"
#include "cluster/controller.h"
#include "cluster/worker.h"
#include "cluster/worker_report.h"
#include "lampi/files.h"
#include "lampi/log.h"
#include "lampi/log_cli.h"

namespace {

using lampi::load::cli::CommonOptions;

// How a run is driven and where its report goes: every subcommand, MQTT or web.
// `csv_files` says what --csv writes.
void add_run_options(CLI::App* app, CommonOptions& c, const std::string& csv_files) {
    app->add_option("--bind", c.bind,
                    "source addresses to spread connections over (default: 127.0.0.1..n against a loopback "
                    "server, one per 4000 connections)");
    // The default is said in words: a figure would be this machine's (and the manual page's).
    app->add_option("--threads", c.threads,
                    "worker threads, each owning a share of the connections (default: the cores, at most 4)")
        ->check(CLI::Range(1, 256));
    // Not -q: that is malaria's --qos.
    app->add_flag("--quiet", c.quiet, "no live progress line");
    app->add_flag("--json", c.output.json, "print the report as JSON instead of text");
    app->add_option("--csv", c.output.csv_prefix, "write " + csv_files);
    app->add_option("--report", c.output.html_path, "write a self-contained HTML report with charts to FILE.html");
    app->add_option("--max-time", c.max_time_s, "hard limit on the whole run in seconds")->capture_default_str();
    app->add_option("--watch-pid", c.watch_pids,
                    "report this process's CPU, memory and open files beside the load (repeatable)");
    app->add_option("--watch-name", c.watch_names,
                    "the same for every process of this name, as ps -o comm shows it (repeatable)");
    lampi::add_log_options(*app, c.log_level, c.log_format);
}

// Who may use the page of `web_option` (--web): every command that serves one.
void add_web_access_options(CLI::App* app, lampi::load::cli::WebCliOptions& web, CLI::Option* web_option) {
    app->add_option("--web-auth", web.auth,
                    "USER:PASS the page asks for (HTTP Basic, as Locust's --web-auth); needed where --web opens it "
                    "to the network, as anyone who reaches it can start a load")
        ->needs(web_option);
    app->add_option("--web-auth-file", web.auth_file,
                    "an owner-only file whose first line is USER:PASS (instead of --web-auth: keeps the password off "
                    "the command line)")
        ->needs(web_option);
    CLI::Option* cert = app->add_option("--web-tls-cert", web.tls_cert,
                                        "serve the page over HTTPS with this PEM certificate (chain), so --web-auth's "
                                        "password does not cross the network in the clear (Locust's --tls-cert)")
                            ->needs(web_option);
    app->add_option("--web-tls-key", web.tls_key, "the PEM private key of --web-tls-cert (Locust's --tls-key)")
        ->needs(cert);
    cert->needs("--web-tls-key");
}

// Ramp to failure: only where load is a number of users (http, publish).
void add_ramp_options(CLI::App* app, CommonOptions& c, const std::string& users, const std::string& ceiling) {
    app->add_option("--step-users", c.ramp.step_users,
                    "ramp to failure: start with N " + users + " and add N more every --step-time, up to " + ceiling +
                        " (default: 100 steps)")
        ->check(CLI::Range(1, 10'000'000));
    app->add_option("--step-time", c.ramp.step_time, "ramp: how long each step runs (90, 30s, 5m)");
    app->add_option("--stop-when", c.ramp.stop_when,
                    "ramp: end at the first step whose own figures meet this, e.g. 'p95>500ms or fail>1%' "
                    "(p50 p90 p95 p99 p99.9 avg max in ms/s/us, fail in %; and, or); the report gives the knee, "
                    "the most " + users + " that did not meet it");
}

void add_common(CLI::App* app, CommonOptions& c) {
    app->add_option("-H,--host", c.client.host, "MQTT broker host")->capture_default_str();
    app->add_option("-p,--port", c.client.port, "MQTT broker port")->capture_default_str()->check(CLI::Range(1, 65535));
    app->add_option("-k,--keepalive", c.client.keepalive_seconds, "MQTT keepalive in seconds")->capture_default_str();
    app->add_flag("!--no-clean-session", c.client.clean_session, "keep sessions on the broker between connections");
    app->add_option("-u,--username", c.client.username, "user name for the broker");
    CLI::Option* password = app->add_option("--password", c.client.password, "password for the broker");
    app->add_option("--password-file", c.password_file,
                    "an owner-only file whose first line is the password for the broker (a cluster run "
                    "needs it, not --password: its command line is readable on the cluster's broker)")
        ->excludes(password);
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
    app->add_flag("--sys", c.sys, "follow the broker's $SYS/# and report it beside our figures");
    add_run_options(app, c, "PREFIX_series.csv (per second) and PREFIX_summary.csv (and PREFIX_ramp.csv with a ramp)");
}

// HOST or HOST:PORT (1883 by default) into `host` and `port`; false when the port is no port.
bool parse_broker(const std::string& text, std::string& host, int& port) {
    std::size_t colon = text.rfind(':');
    host = text.substr(0, colon);
    if (colon == std::string::npos) return !host.empty();
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data() + colon + 1, end, port);
    return !host.empty() && ec == std::errc() && ptr == end && port > 0 && port < 65536;
}

// How a controller or a worker reaches the cluster's broker, as given.
struct ClusterBrokerCli {
    std::string address;
    std::string cafile, cert, key;
    std::string username, password_file;
};

void add_cluster_broker_options(CLI::App* app, ClusterBrokerCli& c) {
    app->add_option("--cafile", c.cafile,
                    "TLS to the broker: the CA (PEM) its certificate must be signed by; enables TLS");
    app->add_option("--cert", c.cert, "TLS: a client certificate (PEM), for a broker that asks for one");
    app->add_option("--key", c.key, "TLS: the client certificate's private key (PEM)");
    app->add_option("--username", c.username, "the login on the broker");
    app->add_option("--password-file", c.password_file,
                    "an owner-only file whose first line is the password of --username");
}

// The broker's message_size_limit, which both ends keep to (cluster/worker_report.h).
void add_max_message_bytes_option(CLI::App* app, std::size_t& into) {
    app->add_option("--max-message-bytes", into,
                    "the broker's message_size_limit, which the broker would drop a larger message over without a "
                    "word: a start command over it is refused with the reason, a report goes in parts")
        ->capture_default_str()
        ->check(CLI::Range(lampi::load::cluster::kMinMaxMessageBytes, std::size_t{256} * 1024 * 1024));
}

// A controller's or worker's broker (given to `flag`), its log and Ctrl-C;
// false (the problem printed) when they cannot be set up.
bool set_up_cluster_command(const char* flag, const ClusterBrokerCli& broker, lampi::MqttOptions& into,
                            const std::string& log_level) {
    if (!parse_broker(broker.address, into.host, into.port)) {
        fmt::print(stderr, "lampi-load {} '{}': give HOST or HOST:PORT\n", flag, broker.address);
        return false;
    }
    if (broker.cafile.empty() && !broker.cert.empty()) {
        fmt::print(stderr, "lampi-load {}: --cert needs --cafile, the CA the broker's certificate is signed by\n",
                   flag);
        return false;
    }
    if (broker.cert.empty() != broker.key.empty()) {
        fmt::print(stderr, "lampi-load {}: give --cert and --key together\n", flag);
        return false;
    }
    if (!broker.cafile.empty()) into.tls = lampi::MqttTls{broker.cafile, broker.cert, broker.key};
    into.username = broker.username;
    if (lampi::Status s = lampi::read_password_file(into, broker.password_file); !s) {
        fmt::print(stderr, "lampi-load {}: --password-file {}: {}\n", flag, broker.password_file, s.message());
        return false;
    }
    if (!lampi::log::init_from_option("lampi-load", log_level, {}, "text")) return false;
    lampi::load::cli::install_stop_handlers();
    return true;
}

// The secret a controller and its workers share, from `path` (lampi/files.h:
// owner-only, first line); false (the problem printed) when it cannot be used.
bool read_cluster_secret(const std::string& path, std::string& secret) {
    auto read = lampi::read_secret_file(path);
    if (!read) {
        fmt::print(stderr, "lampi-load --secret-file {}: {}\n", path, read.status().message());
        return false;
    }
    if (read->size() < lampi::load::cluster::kMinSecretSize) {
        fmt::print(stderr,
                   "lampi-load --secret-file {}: the secret is shorter than {} bytes (make one with: head -c 32 "
                   "/dev/urandom | base64 > FILE; chmod 600 FILE)\n",
                   path, lampi::load::cluster::kMinSecretSize);
        return false;
    }
    secret = std::move(read).value();
    return true;
}

// With `parse_problem`, only parses: 0, or 2 with what CLI11 says is wrong there.
int run_command_line(int argc, char** argv, lampi::load::RunObserver* observer, std::string* parse_problem = nullptr);

int run_args(std::vector<std::string> args, lampi::load::RunObserver* observer, std::string* parse_problem) {
    args.insert(args.begin(), "lampi-load");
    std::vector<char*> argv;
    argv.reserve(args.size());
    for (std::string& a : args) argv.push_back(a.data());
    return run_command_line(static_cast<int>(argv.size()), argv.data(), observer, parse_problem);
}

// A worker's run: the controller's command line, parsed and run as main() runs one.
int run_for_worker(const std::vector<std::string>& args, lampi::load::RunObserver* observer) {
    return run_args(args, observer, nullptr);
}

// What the worker's parser would refuse in a share, so the controller refuses it before any worker runs.
std::string share_problem(const std::vector<std::string>& args) {
    std::string problem;
    run_args(args, nullptr, &problem);
    return problem;
}

int run_command_line(int argc, char** argv, lampi::load::RunObserver* observer, std::string* parse_problem) {
    using namespace lampi;
    CLI::App app{
        "lampi-load: load tester for LAMPi. Publish and subscribe load with malaria-compatible\n"
        "options, a simulated lamp fleet speaking the LAMPi contract, $SYS monitoring, web users\n"
        "with Locust's flags and reports, and\n"
        "text/JSON/CSV/HTML reports. Exit code 0: the run succeeded; 1: it ran but failed\n"
        "(errors, loss, unconfirmed messages); 2: bad options or environment."};
    app.require_subcommand(1);
    CommonOptions common;
    common.observer = observer;

    load::PublishOptions pub;
    CLI::App* publish = app.add_subcommand("publish", "publish messages from many clients and time their confirmation");
    add_common(publish, common);
    // malaria publish's flags mean here what they mean there: -q -n -s -t -T -P -c -H -p,
    // and the course fork's -D; our own longer names stay as aliases.
    publish->add_option("-n,--msg_count,--count", pub.count, "messages per client (malaria -n)")->capture_default_str();
    publish->add_option("-P,--processes,--clients", pub.clients, "concurrent clients/connections (malaria -P)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1'000'000));
    publish
        ->add_option("-c,--clientid,-D,--device-id", pub.client_prefix,
                     "client id prefix; ids are PREFIX-0, PREFIX-1, ... (malaria -c, the course's -D)")
        ->capture_default_str();
    publish->add_option("-q,--qos", pub.qos, "QoS 0, 1 or 2")->capture_default_str()->check(CLI::Range(0, 2));
    publish
        ->add_option("-s,--msg_size,--size", pub.payload_size,
                     "payload bytes (at least the ~40-byte sequence/timestamp header; malaria -s)")
        ->capture_default_str();
    bool timing = false;
    publish->add_flag("-t,--timing", timing,
                      "accepted for malaria's command lines: payloads always carry timing (malaria -t)");
    publish->add_option("--topic", pub.topic, "topic template: {client} and {seq} are replaced")->capture_default_str();
    publish->add_flag("--retain", pub.retain, "publish retained");
    publish->add_option("-d,--duration", pub.duration_s, "publish for this many seconds instead of a count");
    publish->add_option("-T,--msgs_per_second,--rate", pub.rate_per_client,
                        "target messages/s per client (malaria -T; default: as fast as confirmed)");
    publish->add_option("--total-rate", pub.rate_total, "target messages/s over all clients");
    publish->add_option("--connect-rate", pub.connect_rate, "new connections per second (default: all at once)");
    publish->add_option("--inflight", pub.inflight, "unconfirmed messages per client before it waits")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    publish->add_option("--drain-timeout", pub.drain_timeout_s, "seconds to wait for the last confirmations")
        ->capture_default_str();
    add_ramp_options(publish, common, "publishing clients", "-P");
    publish
        ->add_option("--steered", pub.steered,
                     "start N of the -P clients, then run as many as the controller's steers say (a controller's "
                     "ramp gives each worker its share so); they publish until it ends the run")
        ->check(CLI::Range(0, 1'000'000));
    load::cli::PublishCliOptions publish_cli;
    CLI::Option* publish_web =
        publish
            ->add_option("--web", publish_cli.web_page.address,
                         "serve a live UI at ADDR:PORT (default 127.0.0.1:8089, loopback only): start, stop and "
                         "change the clients and their rate from the page, live charts; clients start from the page "
                         "(-P, --connect-rate and -T fill its form) and publish until the run is ended there")
            ->expected(0, 1);
    add_web_access_options(publish, publish_cli.web_page, publish_web);

    load::SubscribeOptions sub;
    CLI::App* subscribe = app.add_subcommand(
        "subscribe", "count what arrives, find loss, duplicates and reordering, time flight from the payload");
    add_common(subscribe, common);
    subscribe->add_option("-t,--topic", sub.topic, "topic filter")->capture_default_str();
    subscribe->add_option("-q,--qos", sub.qos, "QoS 0, 1 or 2")->capture_default_str()->check(CLI::Range(0, 2));
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

    load::HttpOptions http;
    load::cli::HttpCliOptions http_cli;
    CLI::App* http_cmd = app.add_subcommand(
        "http", "simulated web users (the course's login-and-browse flow, or a Lua scenario), reported as Locust does");
    http_cmd->add_option("-H,--host", http_cli.host, "base URL, e.g. http://127.0.0.1:8000 or https://lampi.example")
        ->required();
    http_cmd->add_option("-u,--users", http.users, "peak number of concurrent users (Locust -u)")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000'000));
    http_cmd->add_option("-r,--spawn-rate", http.spawn_rate, "users started per second (Locust -r)")
        ->capture_default_str();
    http_cmd->add_option("-t,--run-time", http_cli.run_time, "stop after 90, 30s, 5m, 1h30m (default: at Ctrl-C)");
    http_cmd->add_flag("--headless", http_cli.headless,
                       "accepted for Locust's command lines; without --web lampi-load always runs so");
    CLI::Option* web =
        http_cmd
            ->add_option("--web", http_cli.web_page.address,
                         "serve a live UI at ADDR:PORT (default 127.0.0.1:8089, loopback only): start, stop and "
                         "change users from the page, live charts, tables and downloads; users start from the page")
            ->expected(0, 1);
    add_web_access_options(http_cmd, http_cli.web_page, web);
    http_cmd->add_option("--scenario", http_cli.scenario, "the built-in flow to run")->capture_default_str();
    http_cmd->add_option("-f,--locustfile", http_cli.script,
                         "a Lua 5.4 scenario to run instead (tasks, on_start/on_stop, checks, CSV data, MQTT)");
    http_cmd
        ->add_option("--max-connections", http.max_connections,
                     "keep at most N connections open between requests; past them a user's connection is closed once "
                     "answered and opened again for its next request (default: one per user, or as many as the "
                     "descriptor limit allows, said when it is fewer)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{100'000'000}));
    http_cmd->add_option("--stop-timeout", http.stop_timeout_s, "seconds the users' on_stop may take once the run ends")
        ->capture_default_str();
    http_cmd->add_option("--login", http_cli.login, "USER:PASS for the login form; {n} in USER is the user's number");
    http_cmd->add_option("--login-file", http_cli.login_file,
                         "an owner-only file whose first line is USER:PASS (instead of --login: keeps the password off "
                         "the command line; a controller's runs need it)");
    http_cmd
        ->add_option("--first-user", http.first_user,
                     "number the users from N ({n} in --login; a controller gives each worker its own range)")
        ->capture_default_str();
    http_cmd->add_option("--locustfile-sha256", http_cli.script_sha256,
                         "run -f FILE only if its SHA-256 is this (a controller checks each worker's copy so)");
    http_cmd->add_option("--scenario-data-sha256", http_cli.data_sha256,
                         "with --locustfile-sha256: the digest of the files -f FILE reads as it loads (its CSV files "
                         "and modules), none when not given");
    http_cmd->add_option("--accounts", http.accounts, "with {n}: number users modulo this many accounts");
    http_cmd->add_option("--wait", http_cli.wait, "think time between page loads, MIN-MAX seconds (default 5-9)");
    http_cmd->add_option("--cafile", http.cafile, "https: verify the server against this CA (default: the system's)");
    http_cmd->add_flag("--insecure", http.insecure, "https: accept any server certificate");
    add_run_options(http_cmd, common,
                    "Locust's PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv and "
                    "PREFIX_exceptions.csv (and PREFIX_ramp.csv with a ramp)");
    add_ramp_options(http_cmd, common, "users", "-u");

    load::cluster::ControllerOptions controller;
    ClusterBrokerCli controller_broker;
    controller_broker.address = "127.0.0.1:1883";
    CLI::App* controller_cmd = app.add_subcommand(
        "controller",
        "run one load on several workers (lampi-load worker) through an MQTT broker, merging their figures");
    controller_cmd->add_option("--broker", controller_broker.address, "HOST[:PORT] of the broker the workers listen on")
        ->capture_default_str();
    add_cluster_broker_options(controller_cmd, controller_broker);
    add_max_message_bytes_option(controller_cmd, controller.max_message_bytes);
    controller_cmd->add_option("--workers", controller.workers, "workers to run the load on")
        ->capture_default_str()
        ->check(CLI::Range(1, 100'000));
    controller_cmd->add_option("--wait-workers", controller.wait_workers_s, "seconds to wait for them to be ready")
        ->capture_default_str();
    controller_cmd
        ->add_option("--silence", controller.silence_s, "a worker that reports nothing this many seconds has vanished")
        ->capture_default_str();
    controller_cmd->add_flag("--json", controller.json, "print the merged figures as JSON");
    controller_cmd->add_option(
        "--csv", controller.csv_prefix,
        "write the merged figures as one run writes them: PREFIX_summary.csv and PREFIX_series.csv, or "
        "Locust's four files for an http run");
    controller_cmd->add_option("--report", controller.html_path,
                               "write the merged figures as a self-contained HTML report to FILE.html");
    load::cli::WebCliOptions controller_web_page;
    CLI::Option* controller_web = controller_cmd->add_option(
        "--web", controller_web_page.address,
        "serve the run's live UI at [ADDR:]PORT (8089 is Locust's; ADDR 127.0.0.1, loopback only, "
        "unless given): the merged charts and tables, and the users, spawn rate, stop and end of a "
        "web users' run steered from the page");
    add_web_access_options(controller_cmd, controller_web_page, controller_web);
    controller_cmd->add_option("--log-level", common.log_level, "trace|debug|info|warn|error")->capture_default_str();
    std::string controller_secret_file;
    controller_cmd
        ->add_option("--secret-file", controller_secret_file,
                     "an owner-only file whose first line is the secret shared with the workers (seals the run)")
        ->required();
    controller_cmd->add_option(
        "command", controller.args,
        "after --: the lampi-load command line, its clients and total rates divided among the workers "
        "(publish ... or http ...)");

    load::cluster::WorkerOptions worker;
    ClusterBrokerCli worker_broker;
    CLI::App* worker_cmd =
        app.add_subcommand("worker", "run the loads a controller sends, reporting to it every second");
    worker_cmd->add_option("--controller", worker_broker.address, "HOST[:PORT] of the broker the controller uses")
        ->required();
    add_cluster_broker_options(worker_cmd, worker_broker);
    add_max_message_bytes_option(worker_cmd, worker.max_message_bytes);
    worker_cmd->add_option("--id", worker.id, "this worker's name (default: host name and process id)");
    worker_cmd
        ->add_option("--orphan-after", worker.orphan_after_s,
                     "end a run whose controller the broker says has been gone this many seconds")
        ->capture_default_str();
    std::string worker_secret_file;
    worker_cmd
        ->add_option("--secret-file", worker_secret_file,
                     "an owner-only file whose first line is the secret shared with the controller: only runs "
                     "sealed with it are run")
        ->required();
    worker_cmd->add_option("--log-level", common.log_level, "trace|debug|info|warn|error")->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help (and --version) are "parse errors" that exit 0, and run nothing.
        std::string problem = e.get_exit_code() == 0 ? "--help prints the help and runs no load" : e.what();
        if (parse_problem) {
            *parse_problem = problem;
            return 2;
        }
        if (observer) observer->refused(problem);
        // Real usage errors share exit code 2.
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (parse_problem) return 0;

    http_cli.web = web->count() > 0;
    publish_cli.web = publish_web->count() > 0;
    publish_cli.count_given = publish->count("-n") > 0;
    publish_cli.total_rate_given = publish->count("--total-rate") > 0;
    common.ramp.ceiling_given = publish->parsed() ? publish->count("-P") > 0 : http_cmd->count("-u") > 0;
    if (controller_cmd->parsed()) {
        if (!set_up_cluster_command("controller --broker", controller_broker, controller.broker, common.log_level) ||
            !read_cluster_secret(controller_secret_file, controller.secret))
            return 2;
        controller.share_problem = share_problem;
        if (controller_web->count() > 0) controller.serve_web = load::cli::live_page_at(controller_web_page);
        // The options that take a value are those of the command the controller divides.
        const CLI::App* divided = !controller.args.empty() && controller.args.front() == "http" ? http_cmd : publish;
        for (const CLI::Option* o : divided->get_options()) {
            if (o->get_items_expected_min() == 0) continue;  // a flag
            for (const std::string& name : o->get_snames()) controller.options_with_values.push_back("-" + name);
            for (const std::string& name : o->get_lnames()) controller.options_with_values.push_back("--" + name);
        }
        return load::cluster::run_controller(controller, load::cli::stop_requested());
    }
    if (worker_cmd->parsed()) {
        if (!set_up_cluster_command("worker --controller", worker_broker, worker.broker, common.log_level) ||
            !read_cluster_secret(worker_secret_file, worker.secret))
            return 2;
        return load::cluster::run_worker(worker, run_for_worker, load::cli::stop_requested());
    }
    if (publish->parsed()) return load::cli::publish_command(pub, publish_cli, common);
    if (subscribe->parsed()) return load::cli::subscribe_command(sub, common);
    if (http_cmd->parsed()) return load::cli::http_command(http, http_cli, common);
    return load::cli::fleet_command(fleet, first_id, common);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run_command_line(argc, argv, nullptr);
    } catch (const std::exception& e) {
        fmt::print(stderr, "lampi-load: {}\n", e.what());
        return 1;
    }
}
