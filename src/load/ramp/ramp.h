// Ramp: ramp to failure. Adds `step_users` users (or publishing clients) every
// `step_time_s`, evaluates the stop condition on each step's own window (only
// what that step measured), and ends the run as soon as it holds or once a step
// at the ceiling passed. The reporter thread drives it once a second.
#pragma once

#include <cstdint>

#include "ramp/load_target.h"
#include "ramp/ramp_report.h"
#include "ramp/stop_condition.h"

namespace lampi::load {

struct RampOptions {
    int step_users = 0;       // 0: no ramp
    double step_time_s = 0;
    int max_users = 0;        // the ceiling (-u, -P)
    double spawn_rate = 0;    // users started per second within a step (<= 0: at once)
    StopCondition condition;
};

class Ramp {
public:
    Ramp(RampOptions options, LoadTarget& target);

    // The first step; call before the run starts.
    void start();
    // One reporter interval: its latencies and its operations (failures included).
    // Returns true when the run should stop. An interval not `measured` (a cluster
    // whose workers do not all run the step's users yet) adds nothing, and before the
    // step's first measured one it does not count towards the step's time either.
    bool add(double elapsed_s, double interval_s, const Histogram& latency, std::uint64_t operations,
             std::uint64_t failures, std::int64_t now, std::int64_t start_ns, bool measured = true);
    // Closes the step in progress (the run ended) and tells what was found.
    RampReport finish(double elapsed_s);

private:
    void close_step(double elapsed_s);

    RampOptions options_;
    LoadTarget& target_;
    RampReport report_;
    int users_ = 0;
    double step_started_s_ = 0;
    StepWindow window_;
    bool done_ = false;
};

}  // namespace lampi::load
