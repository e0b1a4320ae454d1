// What a ramp to failure (--step-users/--step-time/--stop-when) found: each
// step's figures and the knee, the most users that still kept the condition off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lampi::load {

struct RampStep {
    int users = 0;             // the target of this step
    double started_s = 0;      // since the run started
    double duration_s = 0;     // the window the condition was evaluated on
    std::uint64_t operations = 0, failures = 0;
    double per_s = 0;          // operations per second over the window
    double p50_ms = 0, p95_ms = 0, p99_ms = 0, avg_ms = 0;
    bool stopped = false;      // the stop condition held on this step
    // False when nothing finished in its window (a target that answers nothing, or
    // think times longer than the step): such a step says nothing, and is no knee.
    bool judged = true;
    std::string why;           // the tests that held, with their measured values
};

struct RampReport {
    std::string condition;           // --stop-when as given
    int step_users = 0;
    double step_time_s = 0;
    std::vector<RampStep> steps;     // finished steps, in order
    // The highest step on which the condition did not hold; none when the first step already met it.
    std::optional<int> knee_users;
    // Why the ramp ended: the condition held, the ceiling was reached, or the run ended first.
    std::string outcome;
};

}  // namespace lampi::load
