#include "cluster/controller.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

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
#include "report/locust_report.h"
#include "run/clock.h"
#include "scenario/http_lua.h"
#include "scenario/scenario_files.h"
#include "web/live_run.h"

namespace lampi::load::cluster {
namespace {

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

// What is wrong with the controller's own options ("" when nothing is).
std::string refusal_of(const ControllerOptions& options) {
    if (std::string wrong = usage_of(options.args); !wrong.empty()) return wrong;
    // The worker checks its secret alike (worker.cpp), each naming the peer it shares it with.
    if (options.secret.size() < kMinSecretSize)
        return fmt::format("give the secret shared with the workers (--secret-file, at least {} bytes)",
                           kMinSecretSize);
    if (!std::isfinite(options.silence_s) || options.silence_s < 2)
        return fmt::format(
            "--silence {}: give at least 2 seconds (a worker reports once a second, so less would give up on live "
            "ones)",
            options.silence_s);
    if (!std::isfinite(options.wait_workers_s) || options.wait_workers_s <= 0)
        return fmt::format("--wait-workers {}: give the seconds to wait, above 0", options.wait_workers_s);
    if (options.max_message_bytes < kMinMaxMessageBytes)
        return fmt::format(
            "--max-message-bytes {}: give at least {} (the broker's message_size_limit; a worker's report without "
            "its histogram must fit)",
            options.max_message_bytes, kMinMaxMessageBytes);
    return {};
}

// The run's shares of the command line, checked as each worker's parser would check its own.
Result<std::vector<RunShare>> checked_shares(const ControllerOptions& options) {
    Result<std::vector<RunShare>> shares = split_run(options.args, options.workers, options.options_with_values);
    if (!shares) return shares;
    if (Status s = pin_scenario_files(options.args, shares.value()); !s) return s;
    // A share its worker's parser refuses would fail on every worker: said here, before anything is sent.
    for (std::size_t i = 0; options.share_problem && i < shares->size(); ++i) {
        const std::vector<std::string>& args = (*shares)[i].args;
        if (std::string problem = options.share_problem(worker_args(args, "worker")); !problem.empty())
            return Status::invalid_argument(fmt::format(
                "the share of worker {} of {} cannot run (lampi-load {}): {}: correct the command line after --{}",
                i + 1, shares->size(), fmt::join(args, " "), problem,
                options.workers > 1 ? " (a share over a limit may fit on more --workers)" : ""));
    }
    return shares;
}

int sum_of_users(const std::vector<RunShare>& shares) {
    int users = 0;
    for (const RunShare& s : shares) users += s.clients;
    return users;
}

double sum_of_rates(const std::vector<RunShare>& shares) {
    double rate = 0;
    for (const RunShare& s : shares) rate += s.spawn_rate;
    return rate;
}

// One run of the controller, from its connection to the broker to the merged figures:
// it waits for the workers, starts their shares, follows their reports once a second
// (who vanished, who is back, a ramp's steps, the page's steers) and merges them.
class ControllerRun {
public:
    ControllerRun(const ControllerOptions& options, const std::atomic<bool>& stop, std::vector<RunShare> shares,
                  std::optional<RampOptions> ramp_options)
        : options_(options),
          stop_(stop),
          shares_(std::move(shares)),
          ramp_options_(std::move(ramp_options)),
          total_users_(sum_of_users(shares_)),
          total_spawn_rate_(sum_of_rates(shares_)),
          web_target_(total_users_, total_spawn_rate_),
          ramp_target_(total_users_, total_spawn_rate_),
          run_(fmt::format("{:x}-{}", Clock::now().time_since_epoch().count() & 0xffffffff, getpid())),
          heard_(run_),
          mqtt_(session_options(options, run_)),
          client_(mqtt_),
          users_move_(options.args.front() == "http") {}

    // The exit code of run_controller().
    int run() {
        if (!open_page() || !connect()) return 2;
        const bool started = wait_for_workers() && start_workers();
        if (started) follow();
        client_.stop_background();
        int code = started ? report() : 2;
        // However the controller ends once connected, its session goes.
        discard_session(mqtt_);
        return code;
    }

private:
    // A session the broker keeps while this connection is down (a break between the
    // controller and a broker that stays up): the QoS 1 final reports sent meanwhile
    // reach the controller on its return. Discarded at the end (discard_session). Its
    // Will tells the workers it is gone (controller_topic()).
    static MqttOptions session_options(const ControllerOptions& options, const std::string& run) {
        MqttOptions o = options.broker;
        o.client_id = "lampi-load-controller-" + run;
        o.clean_session = false;
        o.will = MqttWill{controller_topic(run), seal_controller_state(run, "gone", options.secret), 1, true};
        return o;
    }

    static void say(const std::string& what) { fmt::print(stderr, "lampi-load controller: {}\n", what); }

    // --web: the page is up before any worker is asked, so that a port in use stops nothing under way.
    bool open_page() {
        if (!options_.serve_web) return true;
        if (options_.args.front() != "http" || ramp_options_) {
            say(fmt::format("--web steers the users of a web users' run (-- http ...): leave it out{}",
                            ramp_options_ ? ", or the ramp's flags (both steer the users)" : " for a publish run"));
            return false;
        }
        live_.emplace(web_target_, total_users_, total_spawn_rate_,
                      option_value(options_.args, {"--host", "-H"}).value_or(""));
        (void)live_->start(total_users_, total_spawn_rate_);
        Result<std::shared_ptr<void>> served = options_.serve_web(*live_);
        if (!served) {
            say(fmt::format("--web: {}", served.status().message()));
            return false;
        }
        page_ = std::move(served).value();
        web_asked_before_ = web_target_.generation();
        return true;
    }

    bool connect() {
        client_.on_connect = [this] {
            (void)client_.subscribe(hello_topic("+"), 1);
            (void)client_.subscribe(report_topic(run_, "+"), 1);
            // Its own heartbeats back tell it the broker carries messages (Heard::echo_at).
            (void)client_.subscribe(controller_topic(run_), 0);
            // After a break too: the workers hear that the controller is back before they give up on it.
            (void)client_.publish(controller_topic(run_), seal_controller_state(run_, "here", options_.secret), 1,
                                  true);
        };
        client_.on_message = [this](const MqttMessage& m) { hear(m); };
        if (Status s = connect_to_cluster(client_, kConnectDeadline); !s) {
            say(fmt::format("cannot use the broker: {}", s.message()));
            return false;
        }
        return true;
    }

    // On the client's network thread.
    void hear(const MqttMessage& m) {
        std::lock_guard lock(heard_.mutex);
        if (m.topic == controller_topic(run_)) {
            // A retained copy (at a resubscription) is old news, not the broker carrying it now.
            if (!m.retain && open_controller_state(run_, m.payload, options_.secret)) heard_.echo_at = Clock::now();
            return;
        }
        if (m.topic.starts_with(hello_topic(""))) return hear_hello(m.topic.substr(hello_topic("").size()), m);
        std::string worker = m.topic.substr(report_topic(run_, "").size());
        Result<std::optional<WorkerReport>> completed = heard_.reports.add(worker, m.payload, options_.secret);
        if (!completed) return ignore_forged(heard_, "report", worker, completed.status());
        std::optional<WorkerReport> report = std::move(completed).value();
        if (!report) return;  // parts still to come
        auto it = heard_.latest.find(report->worker);
        // Reports may cross on the way: the latest is the one with the highest number.
        if (it != heard_.latest.end() && it->second.seq >= report->seq) return;
        heard_.when[worker] = Clock::now();
        heard_.latest[worker] = std::move(report).value();
    }

    void hear_hello(const std::string& id, const MqttMessage& m) {
        if (m.payload.empty() || (m.retain && heard_.started)) return;  // cleared, or old news
        Result<Hello> hello = open_hello(id, m.payload, options_.secret);
        if (!hello) return ignore_forged(heard_, "hello", id, hello.status());
        if (!heard_.hello_order.take(id, *hello)) {
            if (heard_.warned.insert("replayed " + id).second)
                log::warn(
                    "controller: ignored a \"{}\" of worker {} older than one it had (a copy replayed on the broker); "
                    "its next ones are ignored without a word",
                    hello->state, id);
            return;
        }
        const std::string& state = hello->state;
        if (state == "ready") {
            // A "ready" sealed long ago is a copy replayed on the broker (or the worker's clock is off).
            std::int64_t age_ms = wall_ms() - hello->at_ms;
            if (age_ms > kStartMaxAgeMs || -age_ms > kStartMaxAgeMs) {
                if (heard_.warned.insert("stale " + id).second)
                    log::warn(
                        "controller: ignored worker {}'s \"ready\": it was sealed {:.0f} s ago by its clock (a copy "
                        "replayed on the broker, or the worker's clock is out of step: set both with NTP)",
                        id, static_cast<double>(age_ms) / 1000.0);
                return;
            }
        }
        heard_.hello[id] = state;
        if (state == "gone") heard_.gone[id] = Clock::now();
        auto it = std::find(heard_.ready.begin(), heard_.ready.end(), id);
        if (state == "ready" && it == heard_.ready.end()) heard_.ready.push_back(id);
        if (state != "ready" && it != heard_.ready.end()) heard_.ready.erase(it);
    }

    bool wait_for_workers() {
        result_.run = run_;
        result_.command = fmt::format("{}", fmt::join(options_.args, " "));
        const auto waiting_since = Clock::now();
        for (;;) {
            {
                std::lock_guard lock(heard_.mutex);
                if (static_cast<int>(heard_.ready.size()) >= options_.workers) {
                    // The first ready, in the order of their names, so who takes the larger shares does not
                    // depend on who announced itself first.
                    std::vector<std::string> chosen(heard_.ready.begin(), heard_.ready.begin() + options_.workers);
                    std::sort(chosen.begin(), chosen.end());
                    for (std::size_t i = 0; i < chosen.size(); ++i)
                        result_.workers.push_back({chosen[i], shares_[i].clients, "running", "", 0, {}});
                    return true;
                }
            }
            if (stop_ || seconds_since(waiting_since) > options_.wait_workers_s) {
                std::lock_guard lock(heard_.mutex);
                // The time really waited: Ctrl-C may come long before --wait-workers.
                say(fmt::format("{} of {} workers were ready on {}:{} after {:.1f} s{}", heard_.ready.size(),
                                options_.workers, options_.broker.host, options_.broker.port,
                                seconds_since(waiting_since), stop_ ? " (stopped)" : ""));
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    // One sealed start per worker, so the size of each is its own command line's,
    // whatever the number of workers; every one is checked before any is sent.
    bool start_workers() {
        const std::int64_t issued_at_ms = wall_ms();
        std::vector<std::string> starts;
        std::string who;
        for (std::size_t i = 0; i < result_.workers.size(); ++i) {
            StartCommand start{run_, {{result_.workers[i].id, shares_[i].args}}, issued_at_ms, 0};
            // Web users whose worker stops hearing the controller stop before it counts them vanished
            // (its --silence) and shares them out to the others: they never run twice. Not sooner
            // than 1.5 s: a heartbeat comes about every 1.1 s.
            if (users_move_) start.pause_after_s = std::max(options_.silence_s / 2, 1.5);
            starts.push_back(seal_start(start, options_.secret));
            if (starts.back().size() > options_.max_message_bytes) {
                say(fmt::format(
                    "the start command for worker {} is {} bytes, over the {} bytes of --max-message-bytes (the "
                    "broker's message_size_limit drops a larger message without a word): shorten the command line "
                    "after --, or raise message_size_limit in the broker's configuration and --max-message-bytes on "
                    "the controller and the workers; nothing was sent",
                    result_.workers[i].id, starts.back().size(), options_.max_message_bytes));
                return false;
            }
            who += fmt::format("{}{} ({} clients)", i ? ", " : "", result_.workers[i].id, result_.workers[i].clients);
        }
        for (std::size_t i = 0; i < starts.size(); ++i) {
            if (Status s = client_.publish_confirmed(start_topic(), starts[i], 1, false, std::chrono::seconds(10));
                !s) {
                say(fmt::format("cannot start the run on worker {}{}: {}", result_.workers[i].id,
                                i ? " (the workers before it have started)" : "", s.message()));
                return false;
            }
        }
        started_ = Clock::now();
        started_ns_ = now_ns();
        result_.started_unix_s = unix_seconds();
        {
            std::lock_guard lock(heard_.mutex);
            heard_.started = true;
        }
        say(fmt::format("run {} started on {} workers: {}", run_, result_.workers.size(), who));
        return true;
    }

    // Follows the run until every worker is done or gone, or the stop's grace is over.
    void follow() {
        silence_from_ = sampled_at_ = looped_at_ = started_;
        for (std::size_t i = 0; i < result_.workers.size(); ++i) {
            steered_users_.push_back(result_.workers[i].clients);
            own_numbers_.push_back(
                users_move_ ? UserNumbers(shares_[i].first_user).first(static_cast<std::size_t>(steered_users_[i]))
                            : std::vector<std::uint64_t>{});
        }
        steered_numbers_ = own_numbers_;
        if (ramp_options_) {
            ramp_.emplace(*ramp_options_, ramp_target_);
            ramp_->start();
        }
        for (;;) {
            notice_own_pauses();
            const auto [all_over, running_changed] = follow_workers();
            if (running_changed && users_move_ && !stop_sent_at_ && !ramp_over_)
                move_users(
                    fmt::format("the run's {} users are shared out again among the workers running", total_users_));
            // A worker back in a publishers' ramp is told the step it missed.
            else if (running_changed && ramp_ && !stop_sent_at_ && !ramp_over_)
                move_users(fmt::format("a worker back takes its share of the ramp's {} clients", total_users_));
            if (seconds_since(sampled_at_) >= 1) {
                sampled_at_ = Clock::now();
                add_sample();
                send_heartbeat();
            }
            if (all_over) return;
            steer_from_page();
            if (!end_when_asked()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    // While the controller itself heard nothing (stopped, cut off from the broker, or the
    // broker stalled), the workers' silence does not count: said, and counted afresh after.
    void notice_own_pauses() {
        // A controller stopped (SIGSTOP, a suspended machine) or starved of the CPU heard
        // nobody meanwhile, the workers' reports waiting unread: as after a broker outage,
        // their silence counts from its return.
        if (const double stalled = seconds_since(looped_at_); stalled > kStalledS) {
            say(
                fmt::format("it did not run for {:.1f} s (stopped, or starved of the CPU); the workers' silence "
                            "counts from now",
                            stalled));
            silence_from_ = Clock::now();
        }
        looped_at_ = Clock::now();
        if (!client_.connected() && !lost_) {
            lost_ = true;
            lost_at_ = Clock::now();
            say(
                fmt::format("lost the broker {:.1f} s into the run; the workers' silence does not count until it "
                            "is back (Ctrl-C ends the run)",
                            seconds_since(started_)));
        } else if (client_.connected() && lost_) {
            say(fmt::format("back on the broker after {:.1f} s; the workers' silence counts from now",
                            seconds_since(lost_at_)));
            lost_ = false;
            silence_from_ = Clock::now();
        }
        std::lock_guard lock(heard_.mutex);
        if (heard_.echo_at && client_.connected()) {
            const double late = seconds_since(*heard_.echo_at);
            if (late > kEchoLateS && !broker_stalled_) {
                broker_stalled_ = true;
                broker_stalled_since_ = *heard_.echo_at;
                say(
                    fmt::format("its own heartbeat has not come back through the broker for {:.1f} s (the broker "
                                "stalls, or its link does); the workers' silence counts only while the broker "
                                "carries messages",
                                late));
            } else if (late <= kEchoLateS && broker_stalled_) {
                broker_stalled_ = false;
                say(
                    fmt::format("its own heartbeat comes back through the broker again after {:.1f} s; the workers' "
                                "silence counts from then",
                                std::chrono::duration<double>(*heard_.echo_at - broker_stalled_since_).count()));
            }
        } else if (!heard_.echo_at && !warned_no_echo_ && client_.connected() && seconds_since(started_) > kNoEchoS) {
            warned_no_echo_ = true;
            log::warn(
                "controller: none of its heartbeats came back from {} in {:.0f} s (may it read the topic it "
                "writes?): the workers' silence counts by the clock, so a broker that stalls for --silence makes it "
                "count them vanished",
                controller_topic(run_), kNoEchoS);
        }
    }

    struct Followed {
        bool all_over = true;          // no worker runs any more
        bool running_changed = false;  // a worker vanished, or is back
    };

    // Takes each worker's latest report: done, failed, vanished, or back.
    Followed follow_workers() {
        Followed followed;
        std::lock_guard lock(heard_.mutex);
        // A broker that stalls (stopped, or starved of the CPU) carries no report and
        // none of the controller's heartbeats either: the workers' silence is counted up
        // to when the broker last carried its heartbeat, so such a stall gives nobody up.
        // Without any back (a broker that lets it write its topic but not read it), by the clock.
        const auto heard_until = heard_.echo_at.value_or(Clock::now());
        for (auto& w : result_.workers) {
            if (follow_worker(w, heard_until, followed.running_changed)) followed.all_over = false;
        }
        return followed;
    }

    // Whether `w` still runs (or may come back); under heard_.mutex.
    bool follow_worker(ClusterResult::Worker& w, Clock::time_point heard_until, bool& running_changed) {
        if (auto it = heard_.latest.find(w.id); it != heard_.latest.end()) {
            w.report = it->second;
            w.last_heard_s = std::chrono::duration<double>(heard_.when[w.id] - started_).count();
        }
        // Gone by its Will, unless a report came after it: a worker back on the broker
        // reports again (its "busy" may reach us only retained, which is ignored).
        const bool gone = heard_.hello[w.id] == "gone" &&
                          !(heard_.when.count(w.id) && heard_.when[w.id] > heard_.gone[w.id]);
        // Back: a report newer than when it was given up, from a worker not gone by its own word.
        if (w.state == "vanished" && w.report.seq > vanished_at_[w.id] && !gone) {
            w.state = "running";
            w.why.clear();
            running_changed = true;
            say(
                fmt::format("worker {} is back: a report {:.1f} s into the run, after it was counted vanished; the "
                            "run goes on with it",
                            w.id, w.last_heard_s));
        }
        if (w.state != "running") return false;
        if (w.report.done) {
            w.state = w.report.ok ? "done" : "failed";
            if (!w.report.ok)
                say(fmt::format("worker {}'s run failed: {}", w.id,
                                w.report.failures.empty() ? std::string("it did not say why")
                                                          : fmt::format("{}", fmt::join(w.report.failures, "; "))));
            return false;
        }
        if (lost_) return true;
        const auto last = std::max(heard_.when.count(w.id) ? heard_.when[w.id] : started_, silence_from_);
        if (gone) {
            // A broker going down sends every worker's Will: each has --silence
            // seconds (from the controller's own return) to come back.
            if (seconds_since(std::max(heard_.gone[w.id], silence_from_)) <= options_.silence_s) return true;
            w.why = "its connection to the broker was lost (its Will said gone)";
        } else if (std::chrono::duration<double>(heard_until - last).count() > options_.silence_s) {
            w.why = fmt::format("no report for {:.0f} s", options_.silence_s);
        } else {
            return true;
        }
        w.state = "vanished";
        vanished_at_[w.id] = w.report.seq;
        running_changed = true;
        say(
            fmt::format("worker {} vanished, last heard {:.1f} s into the run ({}); its figures up to then are kept "
                        "and the run goes on{}",
                        w.id, w.last_heard_s, w.why,
                        users_move_ ? "" : " (a publish run's share is not moved: each client sends its own count)"));
        return false;
    }

    // A web users' run keeps its size: when a worker vanishes (or is back), the workers
    // running share its users out again, as Locust's master does. A publish run's
    // clients each send their own count of messages, so its shares stay as they are.
    // A publishers' ramp steps each worker up to its share of the step, whoever runs: a worker holds
    // only its share of the ceiling, and a vanished worker's clients are not moved.
    void move_users(const std::string& why) {
        std::vector<bool> running;
        for (const auto& w : result_.workers) running.push_back(w.state == "running");
        std::vector<int> users = reshare(total_users_, users_move_ ? running : std::vector<bool>(running.size(), true));
        // A worker counted vanished holds no numbers: told again when it is back (its users may have stopped).
        for (std::size_t i = 0; i < users.size(); ++i)
            if (!running[i]) {
                steered_users_[i] = 0;
                steered_numbers_[i].clear();
            }
        // Publishers have client ids of their own (cluster/worker.h), not numbers.
        std::vector<std::vector<std::uint64_t>> numbers =
            users_move_ ? renumber(steered_numbers_, users, own_numbers_, first_user_)
                        : std::vector<std::vector<std::uint64_t>>(users.size());
        std::string told;
        for (std::size_t i = 0; i < users.size(); ++i) {
            if (!running[i] || (users[i] == steered_users_[i] && numbers[i] == steered_numbers_[i])) continue;
            const Steer steer{run_, result_.workers[i].id, ++steer_seq_, users[i],
                              total_users_ > 0 ? total_spawn_rate_ * users[i] / total_users_ : total_spawn_rate_,
                              // None for no users: a steer's ranges each hold a number.
                              numbers[i].empty() ? std::vector<UserNumberRange>{}
                                                 : UserNumbers::of(numbers[i]).ranges()};
            if (Status s = client_.publish(steer_topic(), seal_steer(steer, options_.secret), 1, false); !s) {
                say(fmt::format("cannot move users to worker {}: {}", steer.worker, s.message()));
                continue;
            }
            steered_users_[i] = users[i];
            steered_numbers_[i] = std::move(numbers[i]);
            told += fmt::format("{}{} {}", told.empty() ? "" : ", ", steer.worker, users[i]);
        }
        if (!told.empty()) say(fmt::format("{}: {}", why, told));
    }

    // The ramp's steps are the controller's, on the merged figures of every worker:
    // each step's users are shared out as above, its end tells the workers to finish.
    // A worker starts a step's users at its next sample after the steer and reports
    // them a second later: a step's window, and its time, take only the reports that follow one
    // in which every worker running already had its users, so it holds the step's
    // load alone and not the end of the step before.
    void step_ramp(const RampFigures& now) {
        if (!ramp_ || ramp_over_) return;
        bool at_step = true;
        for (std::size_t i = 0; i < result_.workers.size(); ++i)
            if (result_.workers[i].state == "running" && result_.workers[i].report.users < steered_users_[i])
                at_step = false;
        const bool counts = at_step && at_step_before_;
        at_step_before_ = at_step;
        const double elapsed = seconds_since(started_);
        ramp_over_ = ramp_->add(elapsed, elapsed - ramp_seen_s_, now.latency.since(ramp_seen_.latency),
                                now.operations - ramp_seen_.operations, now.failures - ramp_seen_.failures, now_ns(),
                                started_ns_, counts);
        ramp_seen_ = now;
        ramp_seen_s_ = elapsed;
        if (int users = ramp_target_.plan().users; !ramp_over_ && users != total_users_) {
            total_users_ = users;
            move_users(fmt::format("the ramp steps up to {} {}", users, users_move_ ? "users" : "clients"));
            at_step_before_ = false;
        }
    }

    // The page's figures: the merged run so far.
    void show_live(const RequestTable& requests, std::int64_t users) {
        ClusterResult so_far = result_;
        so_far.series = series_.samples();
        merge_reports(so_far);
        RunReport report = cluster_run_report(so_far);
        const double elapsed = seconds_since(started_);
        report.duration_s = elapsed;
        std::int64_t connections = 0;
        for (const auto& w : result_.workers) connections += w.report.connections;
        RequestEntry now = requests.total();
        live_->merged(std::move(report), now.times.since(live_seen_.times), elapsed - live_seen_s_, users, connections);
        live_seen_ = now;
        live_seen_s_ = elapsed;
    }

    void add_sample() {
        std::vector<const WorkerReport*> latest;
        std::int64_t users = 0;
        for (const auto& w : result_.workers) {
            if (w.report.seq == 0) continue;
            latest.push_back(&w.report);
            users += w.report.users;
        }
        series_.sample(seconds_since(started_), latest);
        // Locust's stats history: the whole run so far, once a second, by the controller's clock.
        if (std::optional<RequestTable> requests = merge_requests(latest)) {
            result_.request_history.push_back(next_history_row(requests->total(), users,
                                                               static_cast<std::int64_t>(unix_seconds()),
                                                               result_.request_history));
            step_ramp(ramp_figures(*requests));
            if (live_) show_live(*requests, users);
        } else if (ramp_ && !users_move_ && !latest.empty()) {
            // Merged only for a publishers' ramp: a plain publish run has no use for them each second.
            step_ramp(ramp_figures(latest));
        }
    }

    void send_heartbeat() {
        ControllerHeartbeat beat{++heartbeat_seq_, {}};
        for (const auto& w : result_.workers)
            if (w.state == "vanished") beat.vanished.push_back(w.id);
        // QoS 0: one lost (or not sent while the link is down) is made good by the next.
        if (client_.connected())
            (void)client_.publish(controller_topic(run_),
                                  seal_controller_state(run_, encode_heartbeat(beat), options_.secret), 0, true);
    }

    // The page: its users and spawn rate go to the workers as a ramp's steps do.
    void steer_from_page() {
        if (!live_ || web_target_.generation() == web_asked_before_ || stop_sent_at_ || finish_sent_) return;
        web_asked_before_ = web_target_.generation();
        LoadTarget::Plan asked = web_target_.plan();
        total_users_ = asked.users;
        total_spawn_rate_ = asked.rate;
        move_users(fmt::format("the page asks for {} users at {:g} a second", asked.users, asked.rate));
    }

    // The ramp's end or the page's quit end the run as planned; Ctrl-C stops the workers.
    // False when following is over: the stop could not be sent, or its grace is over.
    bool end_when_asked() {
        const bool quit_from_page = live_ && live_->quit_flag();
        if ((ramp_over_ || quit_from_page) && !finish_sent_) {
            finish_sent_ = true;
            Status sent = client_.publish_confirmed(stop_topic(), seal_finish(run_, options_.secret), 1, false,
                                                    std::chrono::seconds(5));
            say(fmt::format("{} {:.1f} s into the run; {}", ramp_over_ ? "the ramp is over" : "the page ended the run",
                            seconds_since(started_),
                            sent ? std::string("the workers were told to finish")
                                 : fmt::format("could not tell the workers to finish ({}): their shares run on until "
                                               "their own end",
                                               sent.message())));
        }
        if (stop_ && !stop_sent_at_) {
            // Ctrl-C: the workers end their shares too, and their final figures make the summary.
            stop_sent_at_ = Clock::now();
            Status sent = client_.publish_confirmed(stop_topic(), seal_stop(run_, options_.secret), 1, false,
                                                    std::chrono::seconds(5));
            say(fmt::format(
                "stopped {:.1f} s into the run; {}", seconds_since(started_),
                sent ? fmt::format("the workers were told to stop, waiting up to {:.0f} s for their final figures",
                                   kStopGraceS)
                     : fmt::format("could not tell the workers to stop ({}): their shares run on until their own end",
                                   sent.message())));
            if (!sent) return false;
        }
        return !(stop_sent_at_ && seconds_since(*stop_sent_at_) > kStopGraceS);
    }

    // The merged figures printed, and written where asked: the exit code.
    int report() {
        add_sample();  // the final reports
        if (ramp_) result_.ramp = ramp_->finish(seconds_since(started_));
        result_.series = series_.samples();
        merge_reports(result_);
        fmt::print("{}", options_.json ? cluster_json(result_) : cluster_text(result_));
        std::fflush(stdout);
        int code = result_.ok() ? 0 : 1;
        if (options_.csv_prefix.empty() && options_.html_path.empty()) return code;
        RunReport report = cluster_run_report(result_);
        Status written = options_.csv_prefix.empty() ? Status::ok() : write_csv_reports(report, options_.csv_prefix);
        if (written && !options_.html_path.empty()) written = write_html_report(report, options_.html_path);
        if (!written) {
            say(written.message());
            code = 1;
        }
        return code;
    }

    const ControllerOptions& options_;
    const std::atomic<bool>& stop_;
    const std::vector<RunShare> shares_;
    const std::optional<RampOptions> ramp_options_;
    // The run's users and spawn rate (the shares' sum at first), as the page or the ramp set them.
    int total_users_;
    double total_spawn_rate_;
    LoadTarget web_target_;   // what the page asks for
    LoadTarget ramp_target_;  // what the ramp's step asks for
    std::optional<LiveRun> live_;
    std::shared_ptr<void> page_;  // the page served while it is held
    std::uint64_t web_asked_before_ = 0;

    const std::string run_;
    Heard heard_;
    const MqttOptions mqtt_;
    MqttClient client_;
    const bool users_move_;  // a web users' run: users move between workers (a publish run's clients do not)
    ClusterResult result_;

    Clock::time_point started_;
    std::int64_t started_ns_ = 0;
    // The controller's own pauses: while its connection is down it hears nobody, so silence counts from its return.
    Clock::time_point silence_from_, looped_at_, sampled_at_;
    bool lost_ = false;  // the controller's connection to the broker, since
    Clock::time_point lost_at_;
    bool broker_stalled_ = false;             // a heartbeat of its own is kEchoLateS late
    Clock::time_point broker_stalled_since_;  // with broker_stalled_: when the last one came back
    bool warned_no_echo_ = false;
    std::uint64_t heartbeat_seq_ = 0;
    std::map<std::string, std::uint64_t> vanished_at_;  // the seq of a vanished worker's last report
    std::optional<Clock::time_point> stop_sent_at_;
    bool finish_sent_ = false;

    std::vector<int> steered_users_;  // what each worker was last told to run
    // The numbers of each worker's users ({n} in a login): its first share's, and what it was told since.
    std::vector<std::vector<std::uint64_t>> own_numbers_, steered_numbers_;
    const std::uint64_t first_user_ = shares_.front().first_user;  // the run's first user number
    std::uint64_t steer_seq_ = 0;

    std::optional<Ramp> ramp_;
    RampFigures ramp_seen_;  // the merged figures at the last sample
    double ramp_seen_s_ = 0;
    bool ramp_over_ = false;
    bool at_step_before_ = false;

    MergedSeries series_;
    RequestEntry live_seen_;  // the merged requests the page was last shown
    double live_seen_s_ = 0;
};

}  // namespace

int run_controller(const ControllerOptions& options, const std::atomic<bool>& stop) {
    if (std::string wrong = refusal_of(options); !wrong.empty()) {
        fmt::print(stderr, "lampi-load controller: {}\n", wrong);
        return 2;
    }
    Result<std::optional<RampOptions>> ramp_options = cluster_ramp(options.args);
    Result<std::vector<RunShare>> shares = ramp_options ? checked_shares(options) : ramp_options.status();
    if (!shares) {
        fmt::print(stderr, "lampi-load controller: {}\n", shares.status().message());
        return 2;
    }
    ControllerRun run(options, stop, std::move(shares).value(), std::move(ramp_options).value());
    return run.run();
}

}  // namespace lampi::load::cluster
