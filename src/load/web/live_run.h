// LiveRun: a run as the web UI (--web) shows and steers it.
//
// The runner's thread calls sampled() once a second (it is the run's
// RunObserver); the web server's threads read stats_json(), report() and steer
// with start(), stop() and quit(). One mutex guards it all: a sample copies the
// run's series and request table, a reader serializes them.
//
// States: ready (no user yet: the page's form starts the run), running, stopped
// (every user stopped; the figures stay and start() goes on from them). quit()
// ends the run: the end-of-run report is printed as without --web.
//
// Two kinds of run: web users (`http --web`: users and their spawn rate) and
// MQTT publishers (`publish --web`: clients, their connect rate, and each
// client's messages per second, which a publisher run's LiveRun also steers).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "ramp/load_target.h"
#include "report/run_report.h"
#include "run/runner.h"

namespace lampi::load {

class LiveRun : public RunObserver {
public:
    enum class State { ready, running, stopped };

    // `users` and `spawn_rate` fill the page's form (-u, -r; -P, --connect-rate);
    // no user starts before start(). `message_rate` (messages/s per client, 0 as
    // fast as confirmed) is given for a publisher run, null for web users.
    LiveRun(LoadTarget& target, int users, double spawn_rate, std::string host,
            std::atomic<double>* message_rate = nullptr);

    // Starts users, or changes their number and spawn rate while running; a
    // publisher run's message rate too, when given.
    Status start(int users, double spawn_rate, std::optional<double> message_rate = std::nullopt);
    bool publishers() const { return message_rate_ != nullptr; }
    // Stops every user; the run and its figures go on.
    void stop();
    // Ends the run (RunSettings::finish).
    void quit() { quit_ = true; }
    std::atomic<bool>& quit_flag() { return quit_; }

    void sampled(const Sample& sample, const Histogram& interval, Scenario& scenario,
                 const Collector& collector) override;
    // A controller's run instead (cluster/controller.h), once a second: its workers'
    // figures merged so far (with their per-name requests), the merged response
    // times of the last `interval_s`, and the users and connections running now.
    void merged(RunReport so_far, const Histogram& interval, double interval_s, std::int64_t users,
                std::int64_t connections);

    // What the page polls: state, users, current rates and percentiles, the
    // charts' history, the per-request table, failures and errors.
    std::string stats_json() const;
    // The run so far in the shape the end-of-run outputs read (CSV, HTML).
    RunReport report() const;

private:
    struct ChartPoint {
        // For publishers "requests" are confirmed messages, "failures" errors.
        double t, requests_per_s, failures_per_s, p50_ms, p95_ms, p99_ms, sent_per_s;
        std::int64_t users, connected;
    };
    // Under the lock: one second more of the charts and tables.
    void add_locked(const ChartPoint& point, std::optional<RequestTable> requests, double interval_s, RunReport report,
                    std::vector<Figure> figures);

    LoadTarget& target_;
    std::string host_;
    std::atomic<double>* message_rate_;
    std::atomic<bool> quit_{false};
    mutable std::mutex mutex_;
    State state_ = State::ready;
    int target_users_;
    double spawn_rate_;
    std::int64_t users_ = 0;
    std::deque<ChartPoint> chart_;
    // The last two request tables, for each name's current rate.
    std::optional<RequestTable> requests_, previous_requests_;
    double requests_interval_s_ = 1;
    RunReport report_;  // everything but the requests, as of the last sample
    std::vector<Figure> figures_;  // the scenario's own, as of the last sample
};

}  // namespace lampi::load
