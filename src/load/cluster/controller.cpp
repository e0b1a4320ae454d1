#include "cluster/controller.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "cluster/broker.h"
#include "cluster/merged_series.h"
#include "cluster/worker.h"
#include "lampi/files.h"
#include "lampi/hmac.h"
#include "lampi/log.h"
#include "lampi/mqtt_client.h"
#include "ramp/ramp_flags.h"
#include "report/csv_report.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "report/locust_report.h"
#include "report/text_summary.h"
#include "run/clock.h"
#include "scenario/http_lua.h"
#include "scenario/scenario_files.h"
#include "web/live_run.h"

namespace lampi::load::cluster {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr auto kConnectDeadline = std::chrono::seconds(10);
// After Ctrl-C, how long the workers have to end their shares and send their final figures.
constexpr double kStopGraceS = 10;
// A gap this long between two turns of the controller's loop (100 ms apart) means it did not run.
constexpr double kStalledS = 1.5;
// The controller's own heartbeat (once a second) not back from the broker for this long: say the broker stalls.
constexpr double kEchoLateS = 3;
// No heartbeat of its own back this long into the run: it cannot read its topic; warn once.
constexpr double kNoEchoS = 5;

double unix_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double seconds_since(Clock::time_point from) { return std::chrono::duration<double>(Clock::now() - from).count(); }

// What the broker told the controller, from its network thread.
struct Heard {
    std::mutex mutex;
    std::vector<std::string> ready;                 // workers announcing "ready", in order of arrival
    std::map<std::string, std::string> hello;       // each worker's last announcement
    std::map<std::string, Clock::time_point> gone;  // when its Will (or goodbye) came
    std::map<std::string, WorkerReport> latest;     // each worker's latest report of this run
    ReportAssembler reports;                        // this run's reports, those in parts put together
    HelloOrder hello_order;                         // the hellos that are news
    explicit Heard(const std::string& run) : reports(run) {}
    std::map<std::string, Clock::time_point> when;  // of that report
    std::set<std::string> warned;                   // about forged messages: once per kind and worker
    // Once the run is started, a retained hello (sent again on a resubscribe after an
    // outage, such as the Will a restarted broker kept) is old news: the workers' reports
    // and their silence tell the rest.
    bool started = false;
    // When the controller's own state last came back through the broker (Heard::echo_at):
    // the broker carried messages then. Nothing until the first.
    std::optional<Clock::time_point> echo_at;
};

// A hello or report that did not open: said once per worker, as a forger may send many.
void ignore_forged(Heard& heard, const char* kind, const std::string& worker, const Status& why) {
    if (!heard.warned.insert(fmt::format("{} {}", kind, worker)).second) return;
    log::warn(
        "controller: ignored a {} on worker {}'s topic: {} (someone on the broker without the secret, or a "
        "worker with another --secret-file); its next ones are ignored without a word",
        kind, worker, why.message());
}

// Ends the controller's session on the broker: a clean connection with its client id.
void discard_session(const MqttOptions& options) {
    MqttOptions clean = options;
    clean.clean_session = true;
    clean.will.reset();
    MqttClient client(clean);
    // Short: a controller ending because the broker is gone should not wait long for it.
    if (Status s = connect_to_cluster(client, std::chrono::seconds(2)); !s) {
        log::warn("controller: the broker keeps this run's session ({}) until it restarts: {}", clean.client_id,
                  s.message());
        return;
    }
    // The run's retained "here" goes too: the run is over.
    if (options.will) (void)client.publish_confirmed(options.will->topic, "", 1, true, std::chrono::seconds(2));
    client.stop_background();
}

std::string usage_of(const std::vector<std::string>& args) {
    if (args.empty())
        return "give the workers' command line after --, e.g. -- publish -H broker -P 100 -d 60, or -- http -H URL "
               "-u 1000 -r 50 -t 5m --login-file FILE";
    if (args.front() != "publish" && args.front() != "http")
        return fmt::format("'{}': only publish and http runs are distributed (-- publish ..., -- http ...)",
                           args.front());
    for (const auto& a : args) {
        if (a == "--web" || a.starts_with("--web=")) return "--web: a worker's run is steered by the controller";
        // The start command is sealed, not encrypted: anyone on the cluster's broker may read it.
        if (a == "--password" || a.starts_with("--password="))
            return "--password: the workers' command line can be read by anyone on the cluster's broker; give "
                   "--password-file FILE instead, an owner-only file at that path on every worker";
        if (args.front() == "http" && (a == "--login" || a.starts_with("--login=")))
            return "--login USER:PASS: the workers' command line can be read by anyone on the cluster's broker; give "
                   "--login-file FILE instead, an owner-only file holding USER:PASS at that path on every worker";
    }
    return {};
}

// A Lua scenario runs from each worker's own copy of the file and of what it
// reads as it loads: every share carries the digests of the controller's, and a
// worker whose copies differ refuses to run it (lampi-load http
// --locustfile-sha256, --scenario-data-sha256; scenario/scenario_files.h).
Status pin_scenario_files(const std::vector<std::string>& args, std::vector<RunShare>& shares) {
    if (args.empty() || args.front() != "http") return Status::ok();
    std::optional<std::string> script = option_value(args, {"-f", "--locustfile"});
    if (!script) return Status::ok();
    Result<std::optional<std::string>> text = read_file_if_exists(*script, kMaxScenarioFileBytes);
    if (!text || !*text)
        return Status::invalid_argument(fmt::format(
            "-f {}: cannot read it on the controller ({}): each worker runs its own copy at that path, and the "
            "controller checks that they all hold its own",
            *script, text ? "no such file" : text.status().message()));
    std::string digest = sha256_hex(**text);
    Result<std::vector<ScenarioFile>> data = scenario_data_files(*script, HttpOptions{});
    if (!data)
        return Status::invalid_argument(fmt::format(
            "-f {}: it does not load on the controller ({}): the controller loads it to pin the files it reads",
            *script, data.status().message()));
    std::string data_digest = scenario_data_digest(*data);
    if (!data_digest.empty())
        fmt::print(stderr, "lampi-load controller: -f {} reads {}: every worker must hold the same copies\n", *script,
                   describe_scenario_data(*data));
    for (RunShare& share : shares) {
        share.args.emplace_back("--locustfile-sha256");
        share.args.push_back(digest);
        if (data_digest.empty()) continue;
        share.args.emplace_back("--scenario-data-sha256");
        share.args.push_back(data_digest);
    }
    return Status::ok();
}

// A ramp from the command line's flags, as a single run reads them
// (ramp/ramp_flags.h): of web users (-u, -r) or publishers (-P, --connect-rate);
// nothing without --step-users.
Result<std::optional<RampOptions>> cluster_ramp(const std::vector<std::string>& args) {
    if (args.empty()) return std::optional<RampOptions>();
    const bool http = args.front() == "http";
    RampCliOptions flags;
    auto number = [](const std::optional<std::string>& text, auto& into) {
        return !text || std::from_chars(text->data(), text->data() + text->size(), into).ec == std::errc();
    };
    std::optional<std::string> step = option_value(args, {"--step-users"});
    std::optional<std::string> users = http ? option_value(args, {"-u", "--users"})
                                            : option_value(args, {"-P", "--processes", "--clients"});
    std::optional<std::string> rate = http ? option_value(args, {"-r", "--spawn-rate"})
                                           : option_value(args, {"--connect-rate"});
    int ceiling = 1;
    double spawn_rate = http ? 1 : 0;  // each command's default
    // Numbers split_run() reads too, and says what is wrong with.
    if (!number(step, flags.step_users) || !number(users, ceiling) || !number(rate, spawn_rate))
        return std::optional<RampOptions>();
    flags.step_time = option_value(args, {"--step-time"}).value_or("");
    flags.stop_when = option_value(args, {"--stop-when"}).value_or("");
    flags.ceiling_given = users.has_value();
    return ramp_options(flags, ramp_ceiling(flags, ceiling), spawn_rate);
}

// What a ramp's step is judged on, all the workers' so far: the latencies, the
// operations (requests, or messages confirmed or failed) and the failures.
struct RampFigures {
    Histogram latency;
    std::uint64_t operations = 0;
    std::uint64_t failures = 0;
};

RampFigures ramp_figures(const RequestTable& requests) {
    RequestEntry total = requests.total();
    return {total.times, total.requests, total.failures};
}

// A publish run's, as one run's ramp counts them (run/runner.cpp).
RampFigures ramp_figures(const std::vector<const WorkerReport*>& latest) {
    RampFigures f;
    for (const WorkerReport* r : latest) {
        f.latency.merge(r->latency);
        const std::uint64_t errors = r->counters[static_cast<std::size_t>(Counter::errors)];
        f.operations += r->counters[static_cast<std::size_t>(Counter::completed)] + errors;
        f.failures += errors;
    }
    return f;
}

std::string latency_line(const Histogram& h) {
    auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
    return fmt::format("p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms (n={})", ms(h.percentile(0.5)),
                       ms(h.percentile(0.9)), ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max()), h.count());
}

}  // namespace

std::optional<RequestTable> merge_requests(const std::vector<const WorkerReport*>& latest) {
    std::optional<RequestTable> merged;
    for (const WorkerReport* r : latest) {
        if (!r->requests) continue;
        if (!merged) merged.emplace();
        merged->merge(*r->requests);
    }
    return merged;
}

namespace {

// The longest of the workers' runs: the cluster's.
double longest_run_s(const ClusterResult& r) {
    double longest = 0;
    for (const auto& w : r.workers) longest = std::max(longest, w.report.elapsed_s);
    return longest;
}

}  // namespace

void merge_reports(ClusterResult& result) {
    result.counters = {};
    result.latency.reset();
    result.connect.reset();
    result.malaria_clients.clear();
    result.planned_messages = 0;
    result.errors.clear();
    result.failures.clear();
    result.users = 0;
    result.peak_users = 0;
    result.memory_per_user_bytes = 0;
    std::vector<const WorkerReport*> latest;
    for (const auto& w : result.workers) latest.push_back(&w.report);
    result.requests = merge_requests(latest);
    // A web users' report leaves out its primary latency: the total of its requests is it.
    if (result.requests) result.latency = result.requests->total().times;
    for (const ClusterResult::Worker& w : result.workers) {
        for (std::size_t i = 0; i < result.counters.size(); ++i) result.counters[i] += w.report.counters[i];
        result.users += w.report.users;
        result.peak_users += w.report.peak_users;
        if (!result.requests) result.latency.merge(w.report.latency);
        result.connect.merge(w.report.connect);
        result.malaria_clients.insert(result.malaria_clients.end(), w.report.malaria_clients.begin(),
                                      w.report.malaria_clients.end());
        result.planned_messages += w.report.planned_messages;
        for (const auto& [reason, n] : w.report.errors) result.errors[reason] += n;
        if (w.state == "vanished") {
            result.failures.push_back(
                fmt::format("worker {} vanished {:.1f} s into the run: {}", w.id, w.last_heard_s, w.why));
        } else if (w.state != "done" && w.state != "failed") {
            result.failures.push_back(fmt::format("worker {} had not finished when the controller stopped", w.id));
        } else {
            for (const auto& f : w.report.failures) result.failures.push_back(fmt::format("worker {}: {}", w.id, f));
            if (!w.report.ok && w.report.failures.empty())
                result.failures.push_back(fmt::format("worker {}: its run failed", w.id));
        }
    }
    // Each worker's memory above its idle process, added, over their users added.
    double memory = 0, users = 0;
    for (const ClusterResult::Worker& w : result.workers) {
        if (w.report.memory_per_user_bytes <= 0 || w.report.peak_users <= 0) continue;
        memory += w.report.memory_per_user_bytes * static_cast<double>(w.report.peak_users);
        users += static_cast<double>(w.report.peak_users);
    }
    if (users > 0) result.memory_per_user_bytes = memory / users;
}

std::string cluster_text(const ClusterResult& r) {
    // Web users, also when no worker's run started to report requests.
    const bool http = r.requests.has_value() || r.command.starts_with("http ");
    std::string out;
    // An http run opens with Locust's tables, as one run does.
    if (r.requests) out += locust_tables(cluster_run_report(r));
    // A publish run opens with malaria's blocks, as one run does: every worker's clients, then their aggregate.
    if (!http && !r.malaria_clients.empty())
        out += malaria_summary(r.malaria_clients, r.planned_messages, longest_run_s(r));
    out +=
        fmt::format("Run {} on {} workers, {} {}:\n", r.run, r.workers.size(), r.clients(), http ? "users" : "clients");
    for (const auto& w : r.workers) {
        std::string figures;
        if (http) {
            RequestEntry total = w.report.requests ? w.report.requests->total() : RequestEntry{};
            figures = fmt::format("{} requests, {} failed", total.requests, total.failures);
        } else {
            figures = fmt::format("{} sent, {} confirmed", w.report.counters[static_cast<std::size_t>(Counter::sent)],
                                  w.report.counters[static_cast<std::size_t>(Counter::completed)]);
        }
        out += fmt::format("  {}: {} {}, {}{} ({}, last heard {:.1f} s)\n", w.id, w.clients, http ? "users" : "clients",
                           w.state, w.why.empty() ? "" : " - " + w.why, figures, w.last_heard_s);
    }
    if (http) {
        RequestEntry total = r.requests ? r.requests->total() : RequestEntry{};
        out += fmt::format("Requests: {} made, {} failed\n", total.requests, total.failures);
        out += fmt::format("Response time (every worker's requests): {}\n", latency_line(r.latency));
        out += fmt::format("Users: {} most at once (each worker's most, added)", r.peak_users);
        if (r.memory_per_user_bytes > 0)
            out += fmt::format("; {:.1f} KiB resident memory per user", r.memory_per_user_bytes / 1024);
        out += "\n";
    } else {
        out += fmt::format("Messages: {} sent, {} confirmed, {} errors\n",
                           r.counters[static_cast<std::size_t>(Counter::sent)],
                           r.counters[static_cast<std::size_t>(Counter::completed)],
                           r.counters[static_cast<std::size_t>(Counter::errors)]);
        out += fmt::format("Latency (publish -> confirmation, every worker's messages): {}\n", latency_line(r.latency));
        if (r.connect.count() > 0)
            out += fmt::format("Connect (connect -> CONNACK, every worker's clients): {}\n", latency_line(r.connect));
    }
    for (const auto& [reason, n] : r.errors) out += fmt::format("Error x{}: {}\n", n, reason);
    if (r.ramp) out += ramp_summary(*r.ramp);
    for (const auto& f : r.failures) out += fmt::format("Failure: {}\n", f);
    out += r.ok() ? "Result: OK\n" : "Result: FAILED\n";
    return out;
}

std::string cluster_json(const ClusterResult& r) {
    auto counters_json = [](const auto& counters) {
        json::object o;
        for (std::size_t i = 0; i < counters.size(); ++i) o[counter_name(static_cast<Counter>(i))] = counters[i];
        return o;
    };
    json::array workers;
    for (const auto& w : r.workers) {
        // A worker's own fields, written out as json_report.cpp writes a run's records.
        workers.push_back(json::object{{"id", w.id},
                                       {"clients", w.clients},
                                       {"state", w.state},
                                       {"why", w.why},
                                       {"last_heard_s", w.last_heard_s},
                                       {"counters", counters_json(w.report.counters)},
                                       {"latency", latency_json(w.report.latency)}});
        if (w.report.requests) {
            RequestEntry total = w.report.requests->total();
            workers.back().as_object()["requests"] = total.requests;
            workers.back().as_object()["request_failures"] = total.failures;
            workers.back().as_object()["peak_users"] = w.report.peak_users;
            if (w.report.memory_per_user_bytes > 0)
                workers.back().as_object()["memory_per_user_bytes"] = w.report.memory_per_user_bytes;
        }
    }
    json::object errors;
    for (const auto& [reason, n] : r.errors) errors[reason] = n;
    json::array failures;
    for (const auto& f : r.failures) failures.emplace_back(f);
    json::object out{{"run", r.run},
                     {"ok", r.ok()},
                     {"clients", r.clients()},
                     {"workers", std::move(workers)},
                     {"counters", counters_json(r.counters)},
                     {"latency", latency_json(r.latency)},
                     {"connect", latency_json(r.connect)},
                     {"errors", std::move(errors)},
                     {"failures", std::move(failures)}};
    if (r.requests) {
        add_requests_json(*r.requests, out);
        out["peak_users"] = r.peak_users;
        if (r.memory_per_user_bytes > 0) out["memory_per_user_bytes"] = r.memory_per_user_bytes;
    }
    if (r.ramp) out["ramp"] = ramp_to_json(*r.ramp);
    return json::serialize(out) + "\n";
}

RunReport cluster_run_report(const ClusterResult& r) {
    RunReport report;
    report.scenario = r.requests ? "http" : "publish";
    std::string shares;
    for (const auto& w : r.workers)
        shares +=
            fmt::format("{}{}: {} {}", shares.empty() ? "" : ", ", w.id, w.clients, r.requests ? "users" : "clients");
    report.description = fmt::format("run {} on {} workers ({}): {}", r.run, r.workers.size(), shares, r.command);
    report.primary_latency = r.requests ? "request -> whole response, every worker's requests"
                                        : "publish -> confirmation, every worker's messages";
    report.duration_s = longest_run_s(r);
    // Workers do not report their active time: the longest run stands for it (the rate is then a floor).
    report.totals.active_s = report.duration_s;
    // The sum of each worker's peak: the most the cluster can have had open at once.
    for (const auto& w : r.workers) report.totals.peak_connections += w.report.peak_connections;
    report.totals.counters = r.counters;
    report.totals.latencies[static_cast<std::size_t>(Latency::primary)] = r.latency;
    report.totals.latencies[static_cast<std::size_t>(Latency::connect)] = r.connect;
    report.malaria_block = !r.requests.has_value();
    report.malaria_clients = r.malaria_clients;
    report.planned_messages = r.planned_messages;
    report.totals.error_reasons = r.errors;
    report.clients = r.clients();
    report.failures = r.failures;
    report.series = r.series;
    report.requests = r.requests;
    report.request_history = r.request_history;
    report.requests_started_s = r.started_unix_s;
    report.ramp = r.ramp;
    if (r.requests) {
        report.figures.push_back(
            {"users", "Users (most at once, each worker's most added)", static_cast<double>(r.peak_users), ""});
        if (r.memory_per_user_bytes > 0)
            report.figures.push_back({"memory_per_user_bytes",
                                      "Memory per user (resident, above the idle processes, over every worker)",
                                      r.memory_per_user_bytes, "bytes"});
    }
    return report;
}

int run_controller(const ControllerOptions& options, const std::atomic<bool>& stop) {
    if (std::string wrong = usage_of(options.args); !wrong.empty()) {
        fmt::print(stderr, "lampi-load controller: {}\n", wrong);
        return 2;
    }
    // The worker checks its secret alike (worker.cpp), each naming the peer it shares it with.
    if (options.secret.size() < kMinSecretSize) {
        fmt::print(stderr,
                   "lampi-load controller: give the secret shared with the workers (--secret-file, at least {} "
                   "bytes)\n",
                   kMinSecretSize);
        return 2;
    }
    if (!std::isfinite(options.silence_s) || options.silence_s < 2) {
        fmt::print(stderr,
                   "lampi-load controller: --silence {}: give at least 2 seconds (a worker reports once a second, "
                   "so less would give up on live ones)\n",
                   options.silence_s);
        return 2;
    }
    if (!std::isfinite(options.wait_workers_s) || options.wait_workers_s <= 0) {
        fmt::print(stderr, "lampi-load controller: --wait-workers {}: give the seconds to wait, above 0\n",
                   options.wait_workers_s);
        return 2;
    }
    if (options.max_message_bytes < kMinMaxMessageBytes) {
        fmt::print(stderr,
                   "lampi-load controller: --max-message-bytes {}: give at least {} (the broker's "
                   "message_size_limit; a worker's report without its histogram must fit)\n",
                   options.max_message_bytes, kMinMaxMessageBytes);
        return 2;
    }
    Result<std::optional<RampOptions>> ramp_options = cluster_ramp(options.args);
    if (!ramp_options) {
        fmt::print(stderr, "lampi-load controller: {}\n", ramp_options.status().message());
        return 2;
    }
    Result<std::vector<RunShare>> shares = split_run(options.args, options.workers, options.options_with_values);
    if (!shares) {
        fmt::print(stderr, "lampi-load controller: {}\n", shares.status().message());
        return 2;
    }
    if (Status s = pin_scenario_files(options.args, shares.value()); !s) {
        fmt::print(stderr, "lampi-load controller: {}\n", s.message());
        return 2;
    }
    // A share its worker's parser refuses would fail on every worker: said here, before anything is sent.
    for (std::size_t i = 0; options.share_problem && i < shares->size(); ++i) {
        const std::vector<std::string>& args = (*shares)[i].args;
        if (std::string problem = options.share_problem(worker_args(args, "worker")); !problem.empty()) {
            fmt::print(
                stderr,
                "lampi-load controller: the share of worker {} of {} cannot run (lampi-load {}): {}: correct the "
                "command line after --{}\n",
                i + 1, shares->size(), fmt::join(args, " "), problem,
                options.workers > 1 ? " (a share over a limit may fit on more --workers)" : "");
            return 2;
        }
    }
    // The run's users and spawn rate, the shares' sum. --web: the page is up before any
    // worker is asked, so that a port in use stops nothing under way.
    int share_users = 0;
    double share_rate = 0;
    for (const RunShare& s : *shares) {
        share_users += s.clients;
        share_rate += s.spawn_rate;
    }
    LoadTarget web_target(share_users, share_rate);
    std::optional<LiveRun> live;
    std::shared_ptr<void> page;
    if (options.serve_web) {
        if (options.args.front() != "http" || *ramp_options) {
            fmt::print(stderr,
                       "lampi-load controller: --web steers the users of a web users' run (-- http ...): leave it "
                       "out{}\n",
                       *ramp_options ? ", or the ramp's flags (both steer the users)" : " for a publish run");
            return 2;
        }
        live.emplace(web_target, share_users, share_rate, option_value(options.args, {"--host", "-H"}).value_or(""));
        (void)live->start(share_users, share_rate);
        Result<std::shared_ptr<void>> served = options.serve_web(*live);
        if (!served) {
            fmt::print(stderr, "lampi-load controller: --web: {}\n", served.status().message());
            return 2;
        }
        page = std::move(served).value();
    }
    std::uint64_t web_asked_before = web_target.generation();

    const std::string run = fmt::format("{:x}-{}", Clock::now().time_since_epoch().count() & 0xffffffff, getpid());
    const std::string reports = report_topic(run, "+");
    Heard heard(run);
    MqttOptions o = options.broker;
    o.client_id = "lampi-load-controller-" + run;
    // A session the broker keeps while this connection is down (a break between the
    // controller and a broker that stays up): the QoS 1 final reports sent meanwhile
    // reach the controller on its return. Discarded at the end (discard_session). Its
    // Will tells the workers it is gone (controller_topic()).
    o.clean_session = false;
    o.will = MqttWill{controller_topic(run), seal_controller_state(run, "gone", options.secret), 1, true};
    MqttClient client(o);
    client.on_connect = [&] {
        (void)client.subscribe(hello_topic("+"), 1);
        (void)client.subscribe(reports, 1);
        // Its own heartbeats back tell it the broker carries messages (Heard::echo_at).
        (void)client.subscribe(controller_topic(run), 0);
        // After a break too: the workers hear that the controller is back before they give up on it.
        (void)client.publish(controller_topic(run), seal_controller_state(run, "here", options.secret), 1, true);
    };
    client.on_message = [&](const MqttMessage& m) {
        std::lock_guard lock(heard.mutex);
        if (m.topic == controller_topic(run)) {
            // A retained copy (at a resubscription) is old news, not the broker carrying it now.
            if (!m.retain && open_controller_state(run, m.payload, options.secret)) heard.echo_at = Clock::now();
            return;
        }
        if (m.topic.starts_with(hello_topic(""))) {
            std::string id = m.topic.substr(hello_topic("").size());
            if (m.payload.empty() || (m.retain && heard.started)) return;  // cleared, or old news
            Result<Hello> hello = open_hello(id, m.payload, options.secret);
            if (!hello) return ignore_forged(heard, "hello", id, hello.status());
            if (!heard.hello_order.take(id, *hello)) {
                if (heard.warned.insert("replayed " + id).second)
                    log::warn(
                        "controller: ignored a \"{}\" of worker {} older than one it had (a copy replayed on "
                        "the broker); its next ones are ignored without a word",
                        hello->state, id);
                return;
            }
            const std::string& state = hello->state;
            if (state == "ready") {
                // A "ready" sealed long ago is a copy replayed on the broker (or the worker's clock is off).
                std::int64_t age_ms = wall_ms() - hello->at_ms;
                if (age_ms > kStartMaxAgeMs || -age_ms > kStartMaxAgeMs) {
                    if (heard.warned.insert("stale " + id).second)
                        log::warn(
                            "controller: ignored worker {}'s \"ready\": it was sealed {:.0f} s ago by its clock (a "
                            "copy replayed on the broker, or the worker's clock is out of step: set both with NTP)",
                            id, static_cast<double>(age_ms) / 1000.0);
                    return;
                }
            }
            heard.hello[id] = state;
            if (state == "gone") heard.gone[id] = Clock::now();
            auto it = std::find(heard.ready.begin(), heard.ready.end(), id);
            if (state == "ready" && it == heard.ready.end()) heard.ready.push_back(id);
            if (state != "ready" && it != heard.ready.end()) heard.ready.erase(it);
            return;
        }
        std::string worker = m.topic.substr(report_topic(run, "").size());
        Result<std::optional<WorkerReport>> completed = heard.reports.add(worker, m.payload, options.secret);
        if (!completed) return ignore_forged(heard, "report", worker, completed.status());
        std::optional<WorkerReport> report = std::move(completed).value();
        if (!report) return;  // parts still to come
        auto it = heard.latest.find(report->worker);
        // Reports may cross on the way: the latest is the one with the highest number.
        if (it != heard.latest.end() && it->second.seq >= report->seq) return;
        heard.when[worker] = Clock::now();
        heard.latest[worker] = std::move(report).value();
    };
    if (Status s = connect_to_cluster(client, kConnectDeadline); !s) {
        fmt::print(stderr, "lampi-load controller: cannot use the broker: {}\n", s.message());
        return 2;
    }
    // However the controller ends from here (each way stops `client` first), its session goes.
    struct DiscardAtEnd {
        const MqttOptions& options;
        ~DiscardAtEnd() { discard_session(options); }
    } discard_at_end{o};

    // Workers.
    ClusterResult result;
    result.run = run;
    result.command = fmt::format("{}", fmt::join(options.args, " "));
    auto waiting_since = Clock::now();
    for (;;) {
        {
            std::lock_guard lock(heard.mutex);
            if (static_cast<int>(heard.ready.size()) >= options.workers) {
                // The first ready, in the order of their names, so who takes the larger shares does not
                // depend on who announced itself first.
                std::vector<std::string> chosen(heard.ready.begin(), heard.ready.begin() + options.workers);
                std::sort(chosen.begin(), chosen.end());
                for (std::size_t i = 0; i < chosen.size(); ++i)
                    result.workers.push_back({chosen[i], (*shares)[i].clients, "running", "", 0, {}});
                break;
            }
        }
        if (stop || seconds_since(waiting_since) > options.wait_workers_s) {
            std::lock_guard lock(heard.mutex);
            // The time really waited: Ctrl-C may come long before --wait-workers.
            fmt::print(stderr, "lampi-load controller: {} of {} workers were ready on {}:{} after {:.1f} s{}\n",
                       heard.ready.size(), options.workers, options.broker.host, options.broker.port,
                       seconds_since(waiting_since), stop ? " (stopped)" : "");
            client.stop_background();
            return 2;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // One sealed start per worker, so the size of each is its own command line's,
    // whatever the number of workers; every one is checked before any is sent.
    const std::int64_t issued_at_ms = wall_ms();
    std::vector<std::string> starts;
    std::string who;
    for (std::size_t i = 0; i < result.workers.size(); ++i) {
        StartCommand start{run, {{result.workers[i].id, (*shares)[i].args}}, issued_at_ms, 0};
        // Web users whose worker stops hearing the controller stop before it counts them vanished
        // (its --silence) and shares them out to the others: they never run twice. Not sooner
        // than 1.5 s: a heartbeat comes about every 1.1 s.
        if (options.args.front() == "http") start.pause_after_s = std::max(options.silence_s / 2, 1.5);
        starts.push_back(seal_start(start, options.secret));
        if (starts.back().size() > options.max_message_bytes) {
            fmt::print(stderr,
                       "lampi-load controller: the start command for worker {} is {} bytes, over the {} bytes of "
                       "--max-message-bytes (the broker's message_size_limit drops a larger message without a "
                       "word): shorten the command line after --, or raise message_size_limit in the broker's "
                       "configuration and --max-message-bytes on the controller and the workers; nothing was sent\n",
                       result.workers[i].id, starts.back().size(), options.max_message_bytes);
            client.stop_background();
            return 2;
        }
        who += fmt::format("{}{} ({} clients)", i ? ", " : "", result.workers[i].id, result.workers[i].clients);
    }
    for (std::size_t i = 0; i < starts.size(); ++i) {
        if (Status s = client.publish_confirmed(start_topic(), starts[i], 1, false, std::chrono::seconds(10)); !s) {
            fmt::print(stderr, "lampi-load controller: cannot start the run on worker {}{}: {}\n", result.workers[i].id,
                       i ? " (the workers before it have started)" : "", s.message());
            client.stop_background();
            return 2;
        }
    }
    auto started = Clock::now();
    result.started_unix_s = unix_seconds();
    {
        std::lock_guard lock(heard.mutex);
        heard.started = true;
    }
    fmt::print(stderr, "lampi-load controller: run {} started on {} workers: {}\n", run, result.workers.size(), who);

    // Follow the run until every worker is done or gone. While the controller's own
    // connection is down it hears nobody: silence counts only from its return.
    auto silence_from = started;
    bool lost = false;                                 // the controller's connection to the broker,
    Clock::time_point lost_at;                         // since
    std::map<std::string, std::uint64_t> vanished_at;  // the seq of a vanished worker's last report
    std::optional<Clock::time_point> stop_sent_at;
    bool finish_sent = false;
    // A web users' run keeps its size: when a worker vanishes (or is back), the workers
    // running share its users out again, as Locust's master does. A publish run's
    // clients each send their own count of messages, so its shares stay as they are.
    const bool users_move = options.args.front() == "http";
    const char* unit = users_move ? "users" : "clients";
    int total_users = share_users;
    double total_spawn_rate = share_rate;
    std::vector<int> steered_users;  // what each worker was last told to run
    // The numbers of each worker's users ({n} in a login): its first share's, and what it was told since.
    std::vector<std::vector<std::uint64_t>> own_numbers, steered_numbers;
    for (std::size_t i = 0; i < result.workers.size(); ++i) {
        steered_users.push_back(result.workers[i].clients);
        own_numbers.push_back(
            users_move ? UserNumbers((*shares)[i].first_user).first(static_cast<std::size_t>(steered_users[i]))
                       : std::vector<std::uint64_t>{});
    }
    steered_numbers = own_numbers;
    const std::uint64_t first_user = shares->front().first_user;
    std::uint64_t steer_seq = 0;
    // A publishers' ramp steps each worker up to its share of the step, whoever runs: a worker holds
    // only its share of the ceiling, and a vanished worker's clients are not moved.
    auto move_users = [&](const std::string& why) {
        std::vector<bool> running;
        for (const auto& w : result.workers) running.push_back(w.state == "running");
        std::vector<int> users = reshare(total_users, users_move ? running : std::vector<bool>(running.size(), true));
        // A worker counted vanished holds no numbers: told again when it is back (its users may have stopped).
        for (std::size_t i = 0; i < users.size(); ++i)
            if (!running[i]) {
                steered_users[i] = 0;
                steered_numbers[i].clear();
            }
        // Publishers have client ids of their own (cluster/worker.h), not numbers.
        std::vector<std::vector<std::uint64_t>> numbers =
            users_move ? renumber(steered_numbers, users, own_numbers, first_user)
                       : std::vector<std::vector<std::uint64_t>>(users.size());
        std::string told;
        for (std::size_t i = 0; i < users.size(); ++i) {
            if (!running[i] || (users[i] == steered_users[i] && numbers[i] == steered_numbers[i])) continue;
            const Steer steer{run, result.workers[i].id, ++steer_seq, users[i],
                              total_users > 0 ? total_spawn_rate * users[i] / total_users : total_spawn_rate,
                              // None for no users: a steer's ranges each hold a number.
                              numbers[i].empty() ? std::vector<UserNumberRange>{}
                                                 : UserNumbers::of(numbers[i]).ranges()};
            if (Status s = client.publish(steer_topic(), seal_steer(steer, options.secret), 1, false); !s) {
                fmt::print(stderr, "lampi-load controller: cannot move users to worker {}: {}\n", steer.worker,
                           s.message());
                continue;
            }
            steered_users[i] = users[i];
            steered_numbers[i] = std::move(numbers[i]);
            told += fmt::format("{}{} {}", told.empty() ? "" : ", ", steer.worker, users[i]);
        }
        if (!told.empty()) fmt::print(stderr, "lampi-load controller: {}: {}\n", why, told);
    };
    // The ramp's steps are the controller's, on the merged figures of every worker:
    // each step's users are shared out as above, its end tells the workers to finish.
    LoadTarget ramp_target(total_users, total_spawn_rate);
    std::optional<Ramp> ramp;
    if (*ramp_options) {
        ramp.emplace(**ramp_options, ramp_target);
        ramp->start();
    }
    RampFigures ramp_seen;  // the merged figures at the last sample
    double ramp_seen_s = 0;
    bool ramp_over = false;
    const std::int64_t started_ns = now_ns();
    // A worker starts a step's users at its next sample after the steer and reports
    // them a second later: a step's window, and its time, take only the reports that follow one
    // in which every worker running already had its users, so it holds the step's
    // load alone and not the end of the step before.
    bool at_step_before = false;
    auto step_ramp = [&](const RampFigures& now) {
        if (!ramp || ramp_over) return;
        bool at_step = true;
        for (std::size_t i = 0; i < result.workers.size(); ++i)
            if (result.workers[i].state == "running" && result.workers[i].report.users < steered_users[i])
                at_step = false;
        const bool counts = at_step && at_step_before;
        at_step_before = at_step;
        const double elapsed = seconds_since(started);
        ramp_over = ramp->add(elapsed, elapsed - ramp_seen_s, now.latency.since(ramp_seen.latency),
                              now.operations - ramp_seen.operations, now.failures - ramp_seen.failures, now_ns(),
                              started_ns, counts);
        ramp_seen = now;
        ramp_seen_s = elapsed;
        if (int users = ramp_target.plan().users; !ramp_over && users != total_users) {
            total_users = users;
            move_users(fmt::format("the ramp steps up to {} {}", users, unit));
            at_step_before = false;
        }
    };
    MergedSeries series;
    RequestEntry live_seen;  // the merged requests the page was last shown
    double live_seen_s = 0;
    auto show_live = [&](const RequestTable& requests, std::int64_t users) {
        ClusterResult so_far = result;
        so_far.series = series.samples();
        merge_reports(so_far);
        RunReport report = cluster_run_report(so_far);
        const double elapsed = seconds_since(started);
        report.duration_s = elapsed;
        std::int64_t connections = 0;
        for (const auto& w : result.workers) connections += w.report.connections;
        RequestEntry now = requests.total();
        live->merged(std::move(report), now.times.since(live_seen.times), elapsed - live_seen_s, users, connections);
        live_seen = now;
        live_seen_s = elapsed;
    };
    auto add_sample = [&] {
        std::vector<const WorkerReport*> latest;
        std::int64_t users = 0;
        for (const auto& w : result.workers) {
            if (w.report.seq == 0) continue;
            latest.push_back(&w.report);
            users += w.report.users;
        }
        series.sample(seconds_since(started), latest);
        // Locust's stats history: the whole run so far, once a second, by the controller's clock.
        if (std::optional<RequestTable> requests = merge_requests(latest)) {
            result.request_history.push_back(next_history_row(requests->total(), users,
                                                              static_cast<std::int64_t>(unix_seconds()),
                                                              result.request_history));
            step_ramp(ramp_figures(*requests));
            if (live) show_live(*requests, users);
        } else if (ramp && !users_move && !latest.empty()) {
            // Merged only for a publishers' ramp: a plain publish run has no use for them each second.
            step_ramp(ramp_figures(latest));
        }
    };
    auto sampled_at = started;
    std::uint64_t heartbeat_seq = 0;
    auto looped_at = started;
    bool stalled = false;            // a heartbeat of its own is kEchoLateS late
    Clock::time_point stalled_since;  // with `stalled`: when the last one came back
    bool warned_no_echo = false;
    for (;;) {
        bool all_over = true;
        bool running_changed = false;  // a worker vanished, or is back
        // A controller stopped (SIGSTOP, a suspended machine) or starved of the CPU heard
        // nobody meanwhile, the workers' reports waiting unread: as after a broker outage,
        // their silence counts from its return.
        if (const double stalled = seconds_since(looped_at); stalled > kStalledS) {
            fmt::print(stderr,
                       "lampi-load controller: it did not run for {:.1f} s (stopped, or starved of the CPU); the "
                       "workers' silence counts from now\n",
                       stalled);
            silence_from = Clock::now();
        }
        looped_at = Clock::now();
        if (!client.connected() && !lost) {
            lost = true;
            lost_at = Clock::now();
            fmt::print(stderr,
                       "lampi-load controller: lost the broker {:.1f} s into the run; the workers' silence does not "
                       "count until it is back (Ctrl-C ends the run)\n",
                       seconds_since(started));
        } else if (client.connected() && lost) {
            fmt::print(stderr,
                       "lampi-load controller: back on the broker after {:.1f} s; the workers' silence counts from "
                       "now\n",
                       seconds_since(lost_at));
            lost = false;
            silence_from = Clock::now();
        }
        {
            std::lock_guard lock(heard.mutex);
            // A broker that stalls (stopped, or starved of the CPU) carries no report and
            // none of the controller's heartbeats either: the workers' silence is counted up
            // to when the broker last carried its heartbeat, so such a stall gives nobody up.
            // Without any back (a broker that lets it write its topic but not read it), by the clock.
            const auto heard_until = heard.echo_at.value_or(Clock::now());
            if (heard.echo_at && client.connected()) {
                const double late = seconds_since(*heard.echo_at);
                if (late > kEchoLateS && !stalled) {
                    stalled = true;
                    stalled_since = *heard.echo_at;
                    fmt::print(stderr,
                               "lampi-load controller: its own heartbeat has not come back through the broker for "
                               "{:.1f} s (the broker stalls, or its link does); the workers' silence counts only "
                               "while the broker carries messages\n",
                               late);
                } else if (late <= kEchoLateS && stalled) {
                    fmt::print(stderr,
                               "lampi-load controller: its own heartbeat comes back through the broker again after "
                               "{:.1f} s; the workers' silence counts from then\n",
                               std::chrono::duration<double>(*heard.echo_at - stalled_since).count());
                    stalled = false;
                }
            } else if (!heard.echo_at && !warned_no_echo && client.connected() && seconds_since(started) > kNoEchoS) {
                warned_no_echo = true;
                log::warn(
                    "controller: none of its heartbeats came back from {} in {:.0f} s (may it read the topic it "
                    "writes?): the workers' silence counts by the clock, so a broker that stalls for --silence "
                    "makes it count them vanished",
                    controller_topic(run), kNoEchoS);
            }
            for (auto& w : result.workers) {
                if (auto it = heard.latest.find(w.id); it != heard.latest.end()) {
                    w.report = it->second;
                    w.last_heard_s = std::chrono::duration<double>(heard.when[w.id] - started).count();
                }
                // Gone by its Will, unless a report came after it: a worker back on the broker
                // reports again (its "busy" may reach us only retained, which is ignored).
                const bool gone = heard.hello[w.id] == "gone" &&
                                  !(heard.when.count(w.id) && heard.when[w.id] > heard.gone[w.id]);
                // Back: a report newer than when it was given up, from a worker not gone by its own word.
                if (w.state == "vanished" && w.report.seq > vanished_at[w.id] && !gone) {
                    w.state = "running";
                    w.why.clear();
                    running_changed = true;
                    fmt::print(stderr,
                               "lampi-load controller: worker {} is back: a report {:.1f} s into the run, after it "
                               "was counted vanished; the run goes on with it\n",
                               w.id, w.last_heard_s);
                }
                if (w.state != "running") continue;
                if (w.report.done) {
                    w.state = w.report.ok ? "done" : "failed";
                    if (!w.report.ok)
                        fmt::print(stderr, "lampi-load controller: worker {}'s run failed: {}\n", w.id,
                                   w.report.failures.empty() ? std::string("it did not say why")
                                                             : fmt::format("{}", fmt::join(w.report.failures, "; ")));
                    continue;
                }
                auto last = std::max(heard.when.count(w.id) ? heard.when[w.id] : started, silence_from);
                if (lost) {
                    all_over = false;
                    continue;
                }
                if (gone) {
                    // A broker going down sends every worker's Will: each has --silence
                    // seconds (from the controller's own return) to come back.
                    if (seconds_since(std::max(heard.gone[w.id], silence_from)) <= options.silence_s) {
                        all_over = false;
                        continue;
                    }
                    w.why = "its connection to the broker was lost (its Will said gone)";
                } else if (std::chrono::duration<double>(heard_until - last).count() > options.silence_s) {
                    w.why = fmt::format("no report for {:.0f} s", options.silence_s);
                } else {
                    all_over = false;
                    continue;
                }
                w.state = "vanished";
                vanished_at[w.id] = w.report.seq;
                running_changed = true;
                fmt::print(stderr,
                           "lampi-load controller: worker {} vanished, last heard {:.1f} s into the run ({}); its "
                           "figures up to then are kept and the run goes on{}\n",
                           w.id, w.last_heard_s, w.why,
                           users_move ? "" : " (a publish run's share is not moved: each client sends its own count)");
            }
        }
        if (running_changed && users_move && !stop_sent_at && !ramp_over)
            move_users(fmt::format("the run's {} users are shared out again among the workers running", total_users));
        // A worker back in a publishers' ramp is told the step it missed.
        else if (running_changed && ramp && !stop_sent_at && !ramp_over)
            move_users(fmt::format("a worker back takes its share of the ramp's {} clients", total_users));
        if (seconds_since(sampled_at) >= 1) {
            sampled_at = Clock::now();
            add_sample();
            ControllerHeartbeat beat{++heartbeat_seq, {}};
            for (const auto& w : result.workers)
                if (w.state == "vanished") beat.vanished.push_back(w.id);
            // QoS 0: one lost (or not sent while the link is down) is made good by the next.
            if (client.connected())
                (void)client.publish(controller_topic(run),
                                     seal_controller_state(run, encode_heartbeat(beat), options.secret), 0, true);
        }
        if (all_over) break;
        // The page: its users and spawn rate go to the workers as a ramp's steps do; its quit ends the run as planned.
        if (live && web_target.generation() != web_asked_before && !stop_sent_at && !finish_sent) {
            web_asked_before = web_target.generation();
            LoadTarget::Plan asked = web_target.plan();
            total_users = asked.users;
            total_spawn_rate = asked.rate;
            move_users(fmt::format("the page asks for {} users at {:g} a second", asked.users, asked.rate));
        }
        const bool quit_from_page = live && live->quit_flag();
        if ((ramp_over || quit_from_page) && !finish_sent) {
            finish_sent = true;
            Status sent = client.publish_confirmed(stop_topic(), seal_finish(run, options.secret), 1, false,
                                                   std::chrono::seconds(5));
            fmt::print(stderr, "lampi-load controller: {} {:.1f} s into the run; {}\n",
                       ramp_over ? "the ramp is over" : "the page ended the run", seconds_since(started),
                       sent ? std::string("the workers were told to finish")
                            : fmt::format("could not tell the workers to finish ({}): their shares run on until "
                                          "their own end",
                                          sent.message()));
        }
        if (stop && !stop_sent_at) {
            // Ctrl-C: the workers end their shares too, and their final figures make the summary.
            stop_sent_at = Clock::now();
            Status sent = client.publish_confirmed(stop_topic(), seal_stop(run, options.secret), 1, false,
                                                   std::chrono::seconds(5));
            fmt::print(stderr, "lampi-load controller: stopped {:.1f} s into the run; {}\n", seconds_since(started),
                       sent ? fmt::format("the workers were told to stop, waiting up to {:.0f} s for their final "
                                          "figures",
                                          kStopGraceS)
                            : fmt::format("could not tell the workers to stop ({}): their shares run on until "
                                          "their own end",
                                          sent.message()));
            if (!sent) break;
        }
        if (stop_sent_at && seconds_since(*stop_sent_at) > kStopGraceS) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    client.stop_background();
    add_sample();  // the final reports
    if (ramp) result.ramp = ramp->finish(seconds_since(started));
    result.series = series.samples();
    merge_reports(result);
    fmt::print("{}", options.json ? cluster_json(result) : cluster_text(result));
    std::fflush(stdout);
    int code = result.ok() ? 0 : 1;
    if (!options.csv_prefix.empty() || !options.html_path.empty()) {
        RunReport report = cluster_run_report(result);
        Status written = options.csv_prefix.empty() ? Status::ok() : write_csv_reports(report, options.csv_prefix);
        if (written && !options.html_path.empty()) written = write_html_report(report, options.html_path);
        if (!written) {
            fmt::print(stderr, "lampi-load controller: {}\n", written.message());
            code = 1;
        }
    }
    return code;
}

}  // namespace lampi::load::cluster
