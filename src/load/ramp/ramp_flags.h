// A ramp to failure from its three flags (--step-users, --step-time,
// --stop-when), as a single run and a cluster's controller both read them.
#pragma once

#include <optional>
#include <string>

#include "lampi/status.h"
#include "ramp/ramp.h"

namespace lampi::load {

struct RampCliOptions {
    int step_users = 0;  // 0: no ramp
    std::string step_time;
    std::string stop_when;
    bool ceiling_given = false;  // -u / -P was on the command line: the ramp stops there
};

// Without -u/-P a ramp may climb this many steps.
inline constexpr int kRampStepsWithoutCeiling = 100;

// The most users the ramp may reach: `given` (-u, -P) when it was on the command line.
inline int ramp_ceiling(const RampCliOptions& r, int given) {
    return r.ceiling_given ? given : r.step_users * kRampStepsWithoutCeiling;
}

// The ramp's settings, or why the flags do not make one; nothing without --step-users.
// `ceiling` is the most users the ramp may reach.
Result<std::optional<RampOptions>> ramp_options(const RampCliOptions& r, int ceiling, double spawn_rate);

}  // namespace lampi::load
