#include "cli/commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <optional>

#include "lampi/device_id.h"
#include "lampi/files.h"
#include "lampi/hmac.h"
#include "lampi/log.h"
#include "monitor/process_monitor.h"
#include "mqtt/tls_context.h"
#include "run/fd_limit.h"
#include "run/runner.h"
#include "run/source_addresses.h"
#include "run/timespan.h"
#include "scenario/scenario_files.h"
#include "web/live_run.h"
#ifdef LAMPI_LOAD_WEB
#include "web/web_console.h"
#endif

namespace lampi::load::cli {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop = true; }

}  // namespace

void install_stop_handlers();

namespace {

// A run that cannot start, already said on stderr: said to the observer too (a
// cluster worker tells its controller). Exit code 2.
int refuse(const CommonOptions& c, const std::string& why) {
    if (c.observer) c.observer->refused(why);
    return 2;
}

int run(Scenario& scenario, const CommonOptions& c, std::optional<RampOptions> ramp = std::nullopt,
        LiveRun* live = nullptr) {
    if (Status s = raise_fd_limit(scenario.connections() * kDescriptorsPerConnection + kOwnDescriptors); !s) {
        log::error("{}", s.message());
        return refuse(c, s.message());
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
            return refuse(c, s.message());
        }
        settings.processes = &*processes;
    }
    settings.hard_limit_s = c.max_time_s;
    settings.ramp = std::move(ramp);
    settings.observer = c.observer;
    if (live) {
        settings.observer = live;
        settings.finish = &live->quit_flag();
    }
    settings.stop = &g_stop;
    install_stop_handlers();
    RunReport report = run_scenario(scenario, settings);
    return emit_report(report, c.output);
}

#ifdef LAMPI_LOAD_WEB
// The USER:PASS of --web-auth or --web-auth-file ("" for neither).
Result<std::string> web_credentials(const WebCliOptions& web) {
    std::string credentials = web.auth;
    if (!web.auth_file.empty()) {
        if (!credentials.empty())
            return Status::invalid_argument("--web-auth and --web-auth-file both give it: choose one");
        Result<std::string> read = read_secret_file(web.auth_file);
        if (!read) return read.status().prefixed(fmt::format("--web-auth-file {}: ", web.auth_file));
        credentials = std::move(read).value();
    } else if (credentials.empty()) {
        return credentials;
    }
    std::size_t colon = credentials.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == credentials.size())
        return Status::invalid_argument("--web-auth: give USER:PASS, both not empty, as Locust's --web-auth");
    return credentials;
}
#endif

// Serves the live page for `live` where `web` says (--web) until the result is gone, and says where.
Result<std::shared_ptr<void>> open_live_page(LiveRun& live, const WebCliOptions& web) {
#ifdef LAMPI_LOAD_WEB
    Result<WebAddress> where = parse_web_address(web.address);
    if (!where) return where.status();
    Result<std::string> credentials = web_credentials(web);
    if (!credentials) return credentials.status();
    // The command line gives --web-tls-cert and --web-tls-key together or neither.
    const bool locked = !credentials->empty(), tls = !web.tls_cert.empty();
    auto console = std::make_shared<WebConsole>(live, *where,
                                                WebAccess{std::move(credentials).value(), web.tls_cert, web.tls_key});
    if (Status s = console->start(); !s) return s;
    const bool loopback = is_loopback_name(where->host);
    std::string access;
    if (!locked)
        access = loopback ? "; --web 0.0.0.0:PORT opens it to the network, --web-auth asks for a password"
                          : ": anyone who reaches it can start a load; --web-auth USER:PASS asks for a password";
    else if (loopback || tls) access = ", behind the user and password of --web-auth";
    else  // Basic sends the password with every request: readable on the network without TLS.
        access =
            ", behind the user and password of --web-auth, which crosses the network in the clear: "
            "--web-tls-cert and --web-tls-key serve it over HTTPS";
    fmt::print(stderr, "lampi-load: the web UI is at {} ({}{})\n", console->url(),
               loopback ? "this machine only" : "open to the network", access);
    return std::shared_ptr<void>(std::move(console));
#else
    (void)live, (void)web;
    return Status::invalid_argument(
        "--web: this lampi-load was built without its web UI (it needs the cloud in the build)");
#endif
}

// Serves the live page for `live` (--web) while `scenario` runs; `usage` reports a bad address.
int run_with_web(Scenario& scenario, LiveRun& live, const WebCliOptions& web, const CommonOptions& common,
                 const std::function<int(const std::string&)>& usage) {
    Result<std::shared_ptr<void>> page = open_live_page(live, web);
    if (!page) return usage(page.status().message());
    return run(scenario, common, std::nullopt, &live);
}

// More users than the process may hold sockets (the hard descriptor limit, which
// only root raises): rather than refuse, keep as many connections open as fit
// and close the others between requests, saying so. --max-connections chooses.
// When the page or a controller may ask for more users than -u while the run goes
// (`may_grow`), the process takes all the descriptors it may have at once and its
// users share them past that, as they would had -u asked for so many.
void fit_users_to_descriptors(HttpOptions& options, bool may_grow) {
    if (options.max_connections > 0) return;
    std::optional<std::uint64_t> hard = fd_hard_limit();
    if (!hard || *hard <= kOwnDescriptors * 2) return;  // run() says what is wrong
    const auto fit = static_cast<std::int64_t>((*hard - kOwnDescriptors) / kDescriptorsPerConnection);
    if (may_grow)
        if (Status s = raise_fd_limit(*hard); !s) log::warn("{}", s.message());
    const auto needed = static_cast<std::uint64_t>(options.users) * kDescriptorsPerConnection + kOwnDescriptors;
    const bool each_its_own = static_cast<bool>(raise_fd_limit(needed));
    if (may_grow || !each_its_own) options.max_connections = fit;
    if (each_its_own) return;
    fmt::print(stderr,
               "lampi-load: {} users would need {} descriptors, over this process's hard limit of {}: they share {} "
               "connections; a user that needs one when all are taken takes the one idle longest (closed as a "
               "server's keep-alive timeout would close it), or waits for one, its request's time running "
               "(--max-connections sets the number; raise the hard limit, as root, to give every user its own)\n",
               options.users, needed, *hard, options.max_connections);
}

// Publishers connecting per second from the page when --connect-rate gives none.
constexpr double kWebConnectRate = 100;

// Applies what the common options imply once all are parsed; what is wrong,
// already said on stderr.
Status finish_common(CommonOptions& c, std::size_t connections) {
    if (!log::init_from_option("lampi-load", c.log_level, {}, c.log_format))
        return Status::invalid_argument(fmt::format("--log-level '{}' or --log-format '{}' is not one lampi-load knows",
                                                    c.log_level, c.log_format));
    if (!c.password_file.empty()) {
        Result<std::string> password = c.client.username.empty()
                                           ? Status::invalid_argument("--password-file needs --username")
                                           : read_secret_file(c.password_file);
        if (!password) {
            std::string why = fmt::format("--password-file {}: {}", c.password_file, password.status().message());
            fmt::print(stderr, "lampi-load: {}\n", why);
            return Status::invalid_argument(why);
        }
        c.client.password = *password;
    }
    if (!c.cafile.empty() || !c.cert.empty()) c.client.tls = MqttTls{c.cafile, c.cert, c.key};
    c.client.bind_addresses = choose_source_addresses(c.client.host, connections, c.bind);
    return Status::ok();
}

}  // namespace

int http_command(HttpOptions options, const HttpCliOptions& cli, const CommonOptions& common) {
    auto usage = [&common](const std::string& message) {
        fmt::print(stderr, "lampi-load http: {}\n", message);
        return refuse(common, message);
    };
    if (!log::init_from_option("lampi-load", common.log_level, {}, common.log_format)) return 2;
    if (cli.scenario != "course")
        return usage(
            fmt::format("--scenario '{}': the built-in scenario is 'course'; -f FILE.lua runs your own", cli.scenario));
    Result<http::Url> url = http::parse_url(cli.host);
    if (!url) return usage(url.status().message());
    options.url = *url;
    std::string login = cli.login;
    if (!cli.login_file.empty()) {
        if (!login.empty()) return usage("--login and --login-file both give the login: choose one");
        Result<std::string> read = read_secret_file(cli.login_file);
        if (!read) return usage(fmt::format("--login-file {}: {}", cli.login_file, read.status().message()));
        login = std::move(read).value();
    }
    std::size_t colon = login.find(':');
    if (cli.script.empty() && (colon == std::string::npos || colon == 0))
        return usage(
            "--login USER:PASS (or --login-file FILE holding it) is required by the course scenario (USER may hold "
            "{n}, the user's number)");
    if (colon != std::string::npos) {
        options.username = login.substr(0, colon);
        options.password = login.substr(colon + 1);
    }
    if (!cli.data_sha256.empty() && cli.script_sha256.empty())
        return usage("--scenario-data-sha256 comes with --locustfile-sha256 (a controller gives both)");
    if (!cli.script_sha256.empty()) {
        if (cli.script.empty()) return usage("--locustfile-sha256 checks the file of -f: give -f FILE too");
        Result<std::optional<std::string>> text = read_file_if_exists(cli.script, kMaxScenarioFileBytes);
        if (!text || !*text)
            return usage(fmt::format("-f {}: {} (a controller's run needs a copy of its file at that path here)",
                                     cli.script, text ? "no such file" : text.status().message()));
        if (std::string digest = sha256_hex(**text); digest != cli.script_sha256)
            return usage(fmt::format(
                "-f {}: this copy (SHA-256 {}) differs from the controller's ({}): copy the controller's file "
                "here, so every worker runs the same scenario",
                cli.script, digest.substr(0, 12), cli.script_sha256.substr(0, 12)));
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
    if (common.ramp.step_users > 0) options.users = ramp_ceiling(common.ramp, options.users);
    auto ramp = ramp_options(common.ramp, options.users, options.spawn_rate);
    if (!ramp) return usage(ramp.status().message());
    fit_users_to_descriptors(options, cli.web || common.observer != nullptr);
    options.bind_addresses =
        choose_source_addresses(options.url.host, static_cast<std::size_t>(options.users), common.bind);
    if (cli.web) {
        if (*ramp) return usage("--web and --step-users both steer the users: choose one");
        if (!cli.run_time.empty())
            return usage("--web runs until it is ended from the page or with Ctrl-C: leave out -t");
    }
    std::unique_ptr<HttpUsersScenario> scenario;
    if (!cli.script.empty()) {
        if (cli.script_sha256.empty()) {
            if (Status s = check_lua_scenario(cli.script, options); !s) return usage(s.message());
        } else {
            // A controller's worker: the load that checks the scenario also lists what it read.
            Result<std::vector<ScenarioFile>> data = scenario_data_files(cli.script, options);
            if (!data) return usage(data.status().message());
            if (scenario_data_digest(*data) != cli.data_sha256)
                return usage(fmt::format(
                    "-f {}: the files it reads here ({}) differ from the controller's copies (the controller "
                    "printed their digests): copy the controller's files here, so every worker runs the same "
                    "scenario",
                    cli.script, data->empty() ? "none" : describe_scenario_data(*data)));
            options.pinned_data = true;
        }
        scenario = std::make_unique<HttpLuaScenario>(options, cli.script);
    } else {
        scenario = std::make_unique<HttpCourseScenario>(options);
    }
    if (!cli.web) return run(*scenario, common, *ramp);
    LiveRun live(*scenario->load_target(), options.users, options.spawn_rate,
                 options.url.origin() + options.url.base_path);
    return run_with_web(*scenario, live, cli.web_page, common, usage);
}

std::function<Result<std::shared_ptr<void>>(LiveRun&)> live_page_at(const WebCliOptions& web) {
    return [web](LiveRun& live) { return open_live_page(live, web); };
}

const std::atomic<bool>& stop_requested() { return g_stop; }

void install_stop_handlers() {
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGPIPE, SIG_IGN);
}

int publish_command(PublishOptions pub, const PublishCliOptions& cli, CommonOptions common) {
    auto usage = [&common](const std::string& message) {
        fmt::print(stderr, "lampi-load publish: {}\n", message);
        return refuse(common, message);
    };
    if (cli.web) {
        if (common.ramp.step_users > 0) return usage("--web and --step-users both steer the clients: choose one");
        if (pub.duration_s > 0 || cli.count_given)
            return usage("--web publishes until the run is ended from the page or with Ctrl-C: leave out -n and -d");
        if (cli.total_rate_given)
            return usage("--web: the page sets the messages per second of each client (-T), not --total-rate");
        if (pub.rate_per_client < 0) return usage("-T: give 0 (as fast as confirmed) or more messages per second");
        pub.ramped = true;
        pub.web = true;
    }
    if (pub.steered >= 0) {
        if (cli.web || common.ramp.step_users > 0)
            return usage("--steered: the clients follow a controller's steers, not --web or a ramp of their own");
        if (pub.steered > pub.clients)
            return usage(fmt::format("--steered {}: at most the {} clients of -P", pub.steered, pub.clients));
        pub.ramped = true;
    }
    if (pub.duration_s > 0) pub.count = 0;
    if (common.ramp.step_users > 0) {
        pub.clients = ramp_ceiling(common.ramp, pub.clients);
        pub.ramped = true;
    }
    auto ramp = ramp_options(common.ramp, pub.clients, pub.connect_rate);
    if (!ramp) return usage(ramp.status().message());
    if (Status s = finish_common(common, static_cast<std::size_t>(pub.clients)); !s) return refuse(common, s.message());
    pub.client = common.client;
    PublishScenario scenario(pub);
    if (!cli.web) return run(scenario, common, *ramp);
    // The page's connect rate must be a rate: "all at once" (the default) becomes a brisk one.
    double connect_rate = pub.connect_rate > 0 ? pub.connect_rate : kWebConnectRate;
    LiveRun live(*scenario.load_target(), pub.clients, connect_rate,
                 fmt::format("mqtt{}://{}:{}", common.client.tls ? "s" : "", common.client.host, common.client.port),
                 &scenario.message_rate());
    return run_with_web(scenario, live, cli.web_page, common, usage);
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
