#include "cluster/worker.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "cluster/broker.h"
#include "cluster/worker_report.h"
#include "lampi/log.h"
#include "lampi/mqtt_client.h"
#include "ramp/load_target.h"
#include "run/clock.h"

namespace lampi::load::cluster {
namespace {

constexpr auto kFinalReportDeadline = std::chrono::seconds(10);
constexpr auto kConnectDeadline = std::chrono::seconds(10);

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Sends the run so far once a second, and the final figures once: the run's own,
// or, when it ended without them (it could not start), a failure with the reason.
class Reporter : public RunObserver {
public:
    Reporter(MqttClient& client, std::string run, std::string worker, const std::string& secret,
             std::size_t max_message_bytes, double orphan_after_s = 0, double pause_after_s = 0)
        : client_(client),
          topic_(report_topic(run, worker)),
          run_(std::move(run)),
          worker_(std::move(worker)),
          secret_(secret),
          max_message_bytes_(max_message_bytes),
          orphan_after_s_(orphan_after_s),
          pause_after_s_(pause_after_s) {}

    void sampled(const Sample& sample, const Histogram&, Scenario& scenario, const Collector& collector) override {
        // A report a second: a longer gap (a machine out of CPU, a frozen process) may get this
        // worker counted vanished, so it says so in its own log.
        const std::int64_t now_ms = steady_ms();
        if (last_sampled_ms_ != 0 && now_ms - last_sampled_ms_ > kLateSampleMs)
            fmt::print(stderr,
                       "lampi-load worker {}: run {}: its report comes {:.1f} s after the last one (the machine is "
                       "short of CPU, or the process was stopped): its controller counts it vanished after its "
                       "--silence\n",
                       worker_, run_, static_cast<double>(now_ms - last_sampled_ms_) / 1000.0);
        last_sampled_ms_ = now_ms;
        if (!apply_steer(sample, scenario)) pause_or_resume(sample, scenario);
        WorkerReport r = base(collector.totals_so_far());
        r.elapsed_s = sample.elapsed_s;
        r.connections = sample.connections;
        with_requests(r, scenario.live_requests(), scenario.users_now());
        // A steered run's clients too: the controller's ramp waits until each worker runs its step's.
        if (scenario.load_target()) r.users = scenario.users_now();
        peak_users_ = std::max(peak_users_, r.users);
        r.peak_users = peak_users_;
        Result<std::vector<std::string>> sealed = seal(r);
        if (!sealed) return;
        // A report lost on the way (or one of its parts) costs nothing: the next one carries everything.
        for (const std::string& message : *sealed) {
            if (Status s = client_.publish(topic_, message, 0, false); !s) {
                log::warn("worker: cannot send a report: {}", s.message());
                return;
            }
        }
    }

    void finished(const RunReport& report) override {
        WorkerReport r = base(report.totals);
        r.elapsed_s = report.duration_s;
        r.connections = report.totals.connections_at_end;
        r.done = true;
        r.ok = report.ok();
        r.failures = report.failures;
        r.malaria_clients = report.malaria_clients;
        r.planned_messages = report.planned_messages;
        with_requests(r, report.requests, 0);
        // The run's own figures: it samples its users and memory more often than it reports.
        r.peak_users = std::max(peak_users_, static_cast<std::int64_t>(figure_of(report, "users")));
        r.memory_per_user_bytes = figure_of(report, "memory_per_user_bytes");
        if (orphaned_) {
            r.ok = false;
            r.failures.push_back(orphaned_why());
        }
        send_final(r);
    }

    void refused(const std::string& why) override { refused_ = why; }

    bool stop_wanted() override {
        if (stop_) return true;
        std::int64_t gone = gone_since_ms_;
        if (gone == 0 || steady_ms() - gone < static_cast<std::int64_t>(orphan_after_s_ * 1000)) return false;
        if (!orphaned_.exchange(true))
            fmt::print(stderr, "lampi-load worker {}: run {} {}\n", worker_, run_, orphaned_why());
        return true;
    }
    // The controller sent a stop for this run.
    void stop() { stop_ = true; }
    // The controller ended the run as planned (its ramp is over).
    void finish() { finish_ = true; }
    bool finish_wanted() override { return finish_; }
    // The controller moved users to or from this worker (another one vanished, or
    // came back): taken at the next sample, on the run's reporter thread.
    void steer(Steer steer) {
        std::lock_guard lock(steer_mutex_);
        steer_ = std::move(steer);
        heard_ms_ = steady_ms();
        named_vanished_ = false;  // the controller counts it running again
    }
    // The controller's heartbeat for this run: whether it names this worker vanished.
    void heartbeat(bool named_vanished) {
        heard_ms_ = steady_ms();
        named_vanished_ = named_vanished;
    }
    // A word from the controller that says nothing of the workers (its "here" on connecting).
    void heard() { heard_ms_ = steady_ms(); }
    // The broker said the controller is gone (its Will), or back; the run ends once
    // it has been gone orphan_after_s.
    void controller_gone(std::int64_t since_steady_ms) { gone_since_ms_ = since_steady_ms; }
    void controller_back() { gone_since_ms_ = 0; }
    // Whether the run ended because its controller stayed gone.
    bool orphaned() const { return orphaned_; }

    // After the run returned `exit_code`: the final report, if the run sent none.
    void ended(int exit_code) {
        if (final_sent_) return;
        WorkerReport r = base({});
        r.done = true;
        r.ok = false;
        r.failures.push_back(
            refused_.empty()
                ? fmt::format("its run ended with exit code {} before it could report (see the worker's log)",
                              exit_code)
                : fmt::format("its run did not start (exit code {}): {}", exit_code, refused_));
        send_final(r);
    }

private:
    WorkerReport base(const RunTotals& totals) {
        WorkerReport r;
        r.worker = worker_;
        r.seq = ++seq_;
        r.counters = totals.counters;
        r.latency = totals.latency(Latency::primary);
        r.connect = totals.latency(Latency::connect);
        r.errors = totals.error_reasons;
        r.peak_connections = totals.peak_connections;
        return r;
    }

    // When the run started on the monotonic clock, as a LoadTarget counts from it.
    static std::int64_t run_start_ns(const Sample& sample, std::int64_t now) {
        return now - static_cast<std::int64_t>(sample.elapsed_s * 1e9);
    }

    // Whether a steer came and was taken: it replaces whatever the users were told before.
    bool apply_steer(const Sample& sample, Scenario& scenario) {
        std::optional<Steer> steer;
        {
            std::lock_guard lock(steer_mutex_);
            steer.swap(steer_);
        }
        if (!steer) return false;
        LoadTarget* target = scenario.load_target();
        if (!target) {
            log::warn("worker {}: run {}: its controller moved users, but this run's users are fixed", worker_, run_);
            return false;
        }
        const std::int64_t now = now_ns();
        const std::int64_t start = run_start_ns(sample, now);
        if (steer->numbers.empty()) target->set(steer->users, steer->rate, now, start);
        else target->set(steer->users, steer->rate, now, start, UserNumbers(steer->numbers));
        paused_.reset();
        return true;
    }

    // A web users' run stops its users while the controller may be giving them to the
    // other workers, so that none runs twice: when its heartbeat has not come for
    // pause_after_s (this worker may be cut off: the controller counts it vanished at
    // twice that) or names this worker vanished. They start again as they were when
    // it is heard and names it no more, or as a steer says.
    void pause_or_resume(const Sample& sample, Scenario& scenario) {
        LoadTarget* target = scenario.load_target();
        if (!target || pause_after_s_ <= 0) return;
        const bool silent = steady_ms() - heard_ms_ > static_cast<std::int64_t>(pause_after_s_ * 1000);
        const bool pause = silent || named_vanished_;
        if (pause == paused_.has_value()) return;
        const std::int64_t now = now_ns();
        const std::int64_t start = run_start_ns(sample, now);
        if (pause) {
            paused_ = target->plan();
            target->set(0, paused_->rate, now, start);
            fmt::print(stderr,
                       "lampi-load worker {}: run {}: {}: its {} users stop until the controller is heard again (it "
                       "may be sharing them out to the other workers)\n",
                       worker_, run_,
                       silent ? fmt::format("no word from its controller for {:g} s", pause_after_s_)
                              : std::string("its controller counts this worker vanished"),
                       paused_->users);
            return;
        }
        if (paused_->numbers) target->set(paused_->users, paused_->rate, now, start, *paused_->numbers);
        else target->set(paused_->users, paused_->rate, now, start);
        fmt::print(stderr, "lampi-load worker {}: run {}: its controller is heard again: its {} users start again\n",
                   worker_, run_, paused_->users);
        paused_.reset();
    }

    // The value of the figure `key` in a run's report; 0 when it has none.
    static double figure_of(const RunReport& report, std::string_view key) {
        for (const Figure& f : report.figures)
            if (f.key == key) return f.value;
        return 0;
    }

    // A web users' run sends its per-name figures; their total is its primary
    // latency, so that histogram is not sent twice (the 4 KiB a broker allows).
    static void with_requests(WorkerReport& r, std::optional<RequestTable> requests, std::int64_t users) {
        if (!requests) return;
        r.requests = std::move(requests);
        r.users = users;
        r.latency.reset();
    }

    // `r` sealed within the broker's limit, in parts if it must be; said once a run
    // when it first goes in parts, and what is left out when even that is too much.
    Result<std::vector<std::string>> seal(const WorkerReport& r) {
        std::string trimmed;
        Result<std::vector<std::string>> sealed = seal_report_in_parts(run_, r, secret_, max_message_bytes_, &trimmed);
        if (!sealed) {
            log::error("worker: run {}: not sent: {}", run_, sealed.status().message());
        } else if (!trimmed.empty() && !said_trimmed_) {
            log::warn("worker: run {}: {}", run_, trimmed);
            said_trimmed_ = true;
        } else if (sealed->size() > 1 && !said_parts_) {
            fmt::print(stderr,
                       "lampi-load worker {}: run {}: its reports are over the {} bytes of --max-message-bytes and go "
                       "in parts ({} for report {})\n",
                       worker_, run_, max_message_bytes_, sealed->size(), r.seq);
            said_parts_ = true;
        }
        return sealed;
    }

    std::string orphaned_why() const {
        return fmt::format("stopped: its controller was gone for {:g} s (the worker's --orphan-after)",
                           orphan_after_s_);
    }

    void send_final(const WorkerReport& r) {
        final_sent_ = true;
        Result<std::vector<std::string>> sealed = seal(r);
        if (!sealed) return;
        for (const std::string& message : *sealed) {
            if (Status s = client_.publish_confirmed(topic_, message, 1, false, kFinalReportDeadline); !s) {
                log::error("worker: the controller did not get the final report: {}", s.message());
                return;
            }
        }
    }

    MqttClient& client_;
    std::string topic_;
    std::string run_;
    std::string worker_;
    const std::string& secret_;
    std::size_t max_message_bytes_;
    std::uint64_t seq_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<bool> finish_{false};
    std::atomic<std::int64_t> gone_since_ms_{0};  // steady_ms() when the controller went; 0 while it is here
    double orphan_after_s_;
    std::atomic<bool> orphaned_{false};
    std::string refused_;  // why the run could not start
    bool final_sent_ = false;
    std::int64_t peak_users_ = 0;
    bool said_trimmed_ = false;
    bool said_parts_ = false;
    std::mutex steer_mutex_;
    std::optional<Steer> steer_;  // not yet taken
    double pause_after_s_;
    std::atomic<std::int64_t> heard_ms_{steady_ms()};  // the controller's last word for this run
    std::atomic<bool> named_vanished_{false};
    std::optional<LoadTarget::Plan> paused_;  // what the users were told before they stopped
    std::int64_t last_sampled_ms_ = 0;
    static constexpr std::int64_t kLateSampleMs = 2500;
};

std::string default_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "worker");
    return fmt::format("{}-{}", host, getpid());
}

}  // namespace

std::vector<std::string> worker_args(std::vector<std::string> args, const std::string& worker) {
    // Web users have no client ids; their numbers are the controller's (--first-user).
    if (args.empty() || args.front() != "publish") return args;
    static const std::vector<std::string> kPrefixFlags = {"-c", "--clientid", "-D", "--device-id"};
    bool found = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (std::find(kPrefixFlags.begin(), kPrefixFlags.end(), a) != kPrefixFlags.end() && i + 1 < args.size()) {
            args[++i] += "-" + worker;
            found = true;
        } else if (a.starts_with("--clientid=") || a.starts_with("--device-id=") ||
                   // CLI11's attached short form, -cPREFIX
                   ((a.starts_with("-c") || a.starts_with("-D")) && a.size() > 2)) {
            args[i] += "-" + worker;
            found = true;
        }
    }
    if (!found) {
        args.emplace_back("-c");
        args.emplace_back("lampi-load-" + worker);
    }
    return args;
}

int run_worker(WorkerOptions options, const RunCommand& run_command, const std::atomic<bool>& stop) {
    if (options.id.empty()) options.id = default_id();
    if (Status s = check_worker_id(options.id); !s) {
        fmt::print(stderr, "lampi-load worker: {}\n", s.message());
        return 2;
    }
    if (!std::isfinite(options.orphan_after_s) || options.orphan_after_s <= 0) {
        fmt::print(stderr,
                   "lampi-load worker: --orphan-after {}: give the seconds a run may go on without its controller, "
                   "above 0\n",
                   options.orphan_after_s);
        return 2;
    }
    // As the controller checks its own, but this refusal says what a worker without one would risk.
    if (options.secret.size() < kMinSecretSize) {
        fmt::print(stderr,
                   "lampi-load worker: give the secret shared with the controller (--secret-file, at least {} "
                   "bytes): without it anyone on the broker could make this worker run a load\n",
                   kMinSecretSize);
        return 2;
    }
    const std::string hello = hello_topic(options.id);
    MqttOptions o = options.broker;
    o.client_id = "lampi-load-worker-" + options.id;
    // The Will is set once, so its "gone" is sealed now: every hello of this process says since when.
    const std::int64_t since_ms = wall_ms();
    auto hello_of = [&](std::string_view state) {
        return seal_hello(options.id, Hello{std::string(state), wall_ms(), since_ms}, options.secret);
    };
    o.will = MqttWill{hello, seal_hello(options.id, Hello{"gone", since_ms, since_ms}, options.secret), 1, true};
    MqttClient client(o);

    std::mutex mutex;
    std::condition_variable arrived;
    struct Start {
        std::string run;
        std::vector<std::string> args;  // this worker's share
        std::int64_t issued_at_ms = 0;
        double pause_after_s = 0;
        std::string refused;  // not run, and why: its controller is told
    };
    std::deque<Start> starts;
    std::set<std::string> runs_taken;  // QoS 1 may deliver a start twice: it runs once
    bool busy = false;
    std::string running;  // the run now on this worker
    Reporter* reporter_of_running = nullptr;
    std::set<std::string> stopped;  // runs their controller stopped
    // steady_ms() when the broker said the controller of a run waiting or running here was gone.
    std::map<std::string, std::int64_t> controller_gone_since;
    std::atomic<bool> subscribed{false};  // the first connection's subscriptions are sent
    client.on_connect = [&] {
        for (const std::string& topic : {start_topic(), stop_topic(), steer_topic(), controller_topic("+")})
            if (Status s = client.subscribe(topic, 1); !s) log::error("worker: {}", s.message());
        std::lock_guard lock(mutex);
        (void)client.publish(hello, hello_of(busy ? "busy" : "ready"), 1, true);
        subscribed = true;
    };
    // A stop ends the run it names if it is running, and keeps it from running if it waits or
    // comes later (the start and the stop travel on different topics).
    auto take_stop = [&](const MqttMessage& m) {
        Result<std::string> finished = open_finish(m.payload, options.secret);
        const bool finish = static_cast<bool>(finished);
        Result<std::string> run = finish ? std::move(finished) : open_stop(m.payload, options.secret);
        if (!run) {
            log::warn("worker: refused a stop command: {}", run.status().message());
            return;
        }
        std::lock_guard lock(mutex);
        if (finish) {
            // Only the run under way: a run not started yet has nothing to finish, and a stop keeps it from starting.
            if (running == *run && reporter_of_running) {
                fmt::print(stderr, "lampi-load worker {}: run {} finished by its controller\n", options.id, *run);
                reporter_of_running->finish();
            }
            return;
        }
        stopped.insert(*run);  // also for a run taken off the queue but not yet running
        runs_taken.insert(*run);
        std::erase_if(starts, [&](const Start& s) { return s.run == *run; });
        if (running == *run && reporter_of_running) {
            fmt::print(stderr, "lampi-load worker {}: run {} stopped by its controller\n", options.id, *run);
            reporter_of_running->stop();
        }
    };
    std::map<std::string, std::uint64_t> steered;  // the newest steer taken, per run
    auto take_steer = [&](const MqttMessage& m) {
        Result<Steer> steer = open_steer(m.payload, options.secret);
        if (!steer) {
            log::warn("worker: refused a steer command: {}", steer.status().message());
            return;
        }
        if (steer->worker != options.id) return;
        std::lock_guard lock(mutex);
        if (running != steer->run || !reporter_of_running) return;
        std::uint64_t& newest = steered[steer->run];
        if (steer->seq <= newest) return;
        newest = steer->seq;
        fmt::print(stderr, "lampi-load worker {}: run {}: its controller moved users: {} users now ({:g} a second)\n",
                   options.id, steer->run, steer->users, steer->rate);
        reporter_of_running->steer(steer.value());
    };
    std::map<std::string, std::uint64_t> heartbeats;  // the newest heartbeat taken, per run
    auto take_controller_state = [&](const MqttMessage& m) {
        std::string run = m.topic.substr(controller_topic("").size());
        if (m.payload.empty()) return;  // cleared at its run's end
        std::lock_guard lock(mutex);
        // Every run's controller says where it is: only the runs waiting or running here matter.
        if (running != run && std::none_of(starts.begin(), starts.end(), [&](const Start& s) { return s.run == run; }))
            return;
        Result<std::string> state = open_controller_state(run, m.payload, options.secret);
        if (!state) {
            log::warn("worker: refused a controller's state for run {}: {}", run, state.status().message());
            return;
        }
        if (*state == "gone") {
            std::int64_t now = steady_ms();
            controller_gone_since.emplace(run, now);
            if (running == run && reporter_of_running) reporter_of_running->controller_gone(controller_gone_since[run]);
            log::warn("worker {}: the controller of run {} is gone; its share ends unless it is back within {:g} s",
                      options.id, run, options.orphan_after_s);
        } else {
            controller_gone_since.erase(run);
            if (running != run || !reporter_of_running) return;
            reporter_of_running->controller_back();
            std::optional<ControllerHeartbeat> beat = decode_heartbeat(*state);
            if (!beat) return reporter_of_running->heard();
            std::uint64_t& newest = heartbeats[run];
            if (beat->seq <= newest) return;  // an older one, seen again
            newest = beat->seq;
            reporter_of_running->heartbeat(std::find(beat->vanished.begin(), beat->vanished.end(), options.id) !=
                                           beat->vanished.end());
        }
    };
    client.on_message = [&](const MqttMessage& m) {
        if (m.topic == stop_topic()) return take_stop(m);
        if (m.topic == steer_topic()) return take_steer(m);
        if (m.topic.starts_with(controller_topic(""))) return take_controller_state(m);
        Result<StartCommand> start = open_start(m.payload, options.secret, wall_ms());
        if (!start) {
            log::warn("worker: refused a start command: {}", start.status().message());
            // Sealed by the controller and naming this worker, refused only for its time: the
            // controller hears why (its clock and this worker's disagree) instead of waiting.
            Result<StartCommand> sealed = open_start(m.payload, options.secret, std::nullopt);
            if (!sealed || !sealed->share_of(options.id)) return;
            std::lock_guard lock(mutex);
            if (!runs_taken.insert(sealed->run).second) return;
            starts.push_back({sealed->run,
                              {},
                              sealed->issued_at_ms,
                              0,
                              start.status().message() +
                                  ": if this is a new run, set the clocks of the controller and this worker right "
                                  "(NTP)"});
            arrived.notify_one();
            return;
        }
        const StartCommand::Share* share = start->share_of(options.id);
        if (!share) return;
        std::lock_guard lock(mutex);
        if (!runs_taken.insert(start->run).second) return;
        starts.push_back({start->run, share->args, start->issued_at_ms, start->pause_after_s, {}});
        arrived.notify_one();
    };
    if (Status s = connect_to_cluster(client, kConnectDeadline); !s) {
        fmt::print(stderr, "lampi-load worker: cannot use the controller's broker: {}\n", s.message());
        return 2;
    }
    // The connection is up before its subscriptions are sent. A hello the broker
    // acknowledges after them proves them in effect (it takes one connection's
    // packets in order): only then is this worker waiting for runs.
    for (auto until = steady_ms() + std::chrono::milliseconds(kConnectDeadline).count();
         !subscribed && steady_ms() < until;)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (Status s = client.publish_confirmed(hello, hello_of("ready"), 1, true, kFinalReportDeadline); !s)
        log::warn("worker {}: the broker did not acknowledge its hello: {}", options.id, s.message());
    fmt::print(stderr, "lampi-load worker {}: waiting for runs from the controller's broker {}{}\n", options.id,
               client.endpoint(), o.tls ? " (TLS)" : "");
    // An idle worker says "ready" again now and then, so a controller can tell it from a
    // "ready" replayed on the broker after it went (worker_report.h), and a retained
    // hello someone overwrote comes back.
    std::int64_t last_hello_ms = steady_ms();
    while (!stop) {
        Start start;
        {
            std::unique_lock lock(mutex);
            if (!arrived.wait_for(lock, std::chrono::milliseconds(200), [&] { return !starts.empty(); })) {
                if (!busy && steady_ms() - last_hello_ms >= kHelloEveryMs) {
                    last_hello_ms = steady_ms();
                    (void)client.publish(hello, hello_of("ready"), 1, true);
                }
                continue;
            }
            start = std::move(starts.front());
            starts.pop_front();
            busy = start.refused.empty();
        }
        if (!start.refused.empty()) {
            Reporter refusal(client, start.run, options.id, options.secret, options.max_message_bytes);
            refusal.refused(start.refused);
            refusal.ended(2);
            continue;
        }
        (void)client.publish(hello, hello_of("busy"), 1, true);
        Reporter reporter(client, start.run, options.id, options.secret, options.max_message_bytes,
                          options.orphan_after_s, start.pause_after_s);
        {
            std::lock_guard lock(mutex);
            running = start.run;
            reporter_of_running = &reporter;
            if (stopped.count(start.run)) reporter.stop();
            if (auto gone = controller_gone_since.find(start.run); gone != controller_gone_since.end())
                reporter.controller_gone(gone->second);
        }
        int rc = 2;
        // A start that waited behind another run is checked again: its controller may have given up.
        if (std::int64_t waited_ms = wall_ms() - start.issued_at_ms; waited_ms > kStartMaxAgeMs) {
            std::string why = fmt::format(
                "the start waited {:.0f} s behind another run on this worker, past the {} s a start is good for: "
                "start the run again once the worker says ready",
                static_cast<double>(waited_ms) / 1000.0, kStartMaxAgeMs / 1000);
            log::warn("worker {}: run {} not run: {}", options.id, start.run, why);
            reporter.refused(why);
        } else {
            log::info("worker {}: run {}: lampi-load {}", options.id, start.run, fmt::join(start.args, " "));
            rc = run_command(worker_args(start.args, options.id), &reporter);
        }
        {
            std::lock_guard lock(mutex);
            running.clear();
            reporter_of_running = nullptr;
            controller_gone_since.erase(start.run);
        }
        reporter.ended(rc);
        // A killed controller's Will stays retained on the broker, and nobody will
        // clear it: its run is over, so the workers it left do.
        if (reporter.orphaned()) (void)client.publish(controller_topic(start.run), "", 1, true);
        fmt::print(stderr, "lampi-load worker {}: run {} ended with exit code {}\n", options.id, start.run, rc);
        {
            std::lock_guard lock(mutex);
            busy = false;
        }
        (void)client.publish_confirmed(hello, hello_of("ready"), 1, true, kFinalReportDeadline);
    }
    // A clean goodbye: the retained "ready" must not outlive the worker.
    (void)client.publish_confirmed(hello, hello_of("gone"), 1, true, kFinalReportDeadline);
    client.stop_background();
    return 0;
}

}  // namespace lampi::load::cluster
