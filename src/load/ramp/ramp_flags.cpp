#include "ramp/ramp_flags.h"

#include <fmt/core.h>

#include "run/timespan.h"

namespace lampi::load {

Result<std::optional<RampOptions>> ramp_options(const RampCliOptions& r, int ceiling, double spawn_rate) {
    if (r.step_users == 0) {
        if (!r.step_time.empty() || !r.stop_when.empty())
            return Status::invalid_argument("--step-time and --stop-when belong to a ramp: add --step-users N");
        return std::optional<RampOptions>();
    }
    if (r.step_time.empty() || r.stop_when.empty())
        return Status::invalid_argument(
            "a ramp needs all three: --step-users N --step-time S --stop-when COND, e.g. --step-users 10 "
            "--step-time 30s --stop-when 'p95>500ms or fail>1%'");
    RampOptions ramp;
    ramp.step_users = r.step_users;
    ramp.step_time_s = parse_timespan(r.step_time);
    if (ramp.step_time_s < 1)
        return Status::invalid_argument(
            fmt::format("--step-time '{}': give at least one second, as 30, 30s or 2m", r.step_time));
    Result<StopCondition> condition = StopCondition::parse(r.stop_when);
    if (!condition)
        return Status::invalid_argument(fmt::format("--stop-when '{}': {}", r.stop_when, condition.status().message()));
    ramp.condition = *condition;
    ramp.max_users = ceiling;
    ramp.spawn_rate = spawn_rate;
    return std::optional<RampOptions>(std::move(ramp));
}

}  // namespace lampi::load
