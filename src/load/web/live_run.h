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

    // `users` and `spawn_rate` fill the page's form (-u, -r); no user starts before start().
    LiveRun(LoadTarget& target, int users, double spawn_rate, std::string host);

    // Starts users, or changes their number and spawn rate while running.
    Status start(int users, double spawn_rate);
    // Stops every user; the run and its figures go on.
    void stop();
    // Ends the run (RunSettings::finish).
    void quit() { quit_ = true; }
    std::atomic<bool>& quit_flag() { return quit_; }

    void sampled(const Sample& sample, const Histogram& interval, Scenario& scenario,
                 const Collector& collector) override;

    // What the page polls: state, users, current rates and percentiles, the
    // charts' history, the per-request table, failures and errors.
    std::string stats_json() const;
    // The run so far in the shape the end-of-run outputs read (CSV, HTML).
    RunReport report() const;

private:
    struct ChartPoint {
        double t, requests_per_s, failures_per_s, p50_ms, p95_ms;
        std::int64_t users;
    };

    LoadTarget& target_;
    std::string host_;
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
};

}  // namespace lampi::load
