// The run loop shared by every scenario: start the workers, sample once a second
// (progress line, broker $SYS), stop on time, on Ctrl-C or when the scenario is
// done, and hand back a RunReport with partial results whatever happened.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "mqtt/client_options.h"
#include "mqtt/worker.h"
#include "ramp/load_target.h"
#include "ramp/ramp.h"
#include "report/run_report.h"

namespace lampi::load {

// One scenario (publish, subscribe, fleet): a Driver per worker thread, and the
// figures only it can compute once the workers have stopped.
class Scenario {
public:
    virtual ~Scenario() = default;
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    virtual std::string primary_latency() const = 0;
    virtual std::size_t connections() const = 0;
    virtual std::unique_ptr<Driver> make_driver(int worker_index, int worker_count) = 0;
    // Called by the reporter about once a second while the workers run.
    virtual void on_sample(const Sample& /*sample*/) {}
    // Called after all workers returned; adds figures and failures.
    virtual void finish(const std::vector<Driver*>& drivers, RunReport& report) = 0;
    // The number of users (clients) the run wants, when it can change while the
    // run goes on (a ramp, the web UI); nullptr when it is fixed.
    virtual LoadTarget* load_target() { return nullptr; }
    // Users (clients) running now, for a ramp's steps and the web UI.
    virtual std::int64_t users_now() const { return 0; }
    // Per-request figures so far, for scenarios that keep them (web users).
    virtual std::optional<RequestTable> live_requests() const { return std::nullopt; }
    // Figures only the scenario knows, for the web UI while the run goes on.
    virtual std::vector<Figure> live_figures() const { return {}; }
};

class ProcessMonitor;

// Watches a run while it goes on (the web UI, a cluster worker's reports): called
// on the reporter's thread right after each sample, with that sample's primary latencies.
class RunObserver {
public:
    virtual ~RunObserver() = default;
    virtual void sampled(const Sample& sample, const Histogram& interval, Scenario& scenario,
                         const Collector& collector) = 0;
    // Once, with the whole run's report, before run_scenario() returns it.
    virtual void finished(const RunReport& /*report*/) {}
    // Instead of finished(), when the run cannot start (its options, the
    // machine's limits): what is wrong and what to do, as printed on stderr.
    virtual void refused(const std::string& /*why*/) {}
    // Polled while the run goes: true ends it early, as Ctrl-C would (a cluster
    // worker whose controller was stopped).
    virtual bool stop_wanted() { return false; }
    // Polled too: true ends it as planned, not as an interruption (a cluster's
    // ramp that found its knee).
    virtual bool finish_wanted() { return false; }
};

struct RunSettings {
    int threads = 2;
    bool progress_line = false;       // live line on stderr (a terminal)
    std::optional<ClientOptions> sys;  // follow $SYS/# on this broker
    ProcessMonitor* processes = nullptr;  // started; read once a second beside the load figures
    double hard_limit_s = 3600;       // no run outlives this, whatever the scenario says
    std::atomic<bool>* stop = nullptr;  // set by a signal handler to end early
    // Ramp to failure: the scenario must have a load_target().
    std::optional<RampOptions> ramp;
    RunObserver* observer = nullptr;
    std::atomic<bool>* finish = nullptr;  // set to end the run as planned (not an interruption)
};

RunReport run_scenario(Scenario& scenario, const RunSettings& settings);

}  // namespace lampi::load
