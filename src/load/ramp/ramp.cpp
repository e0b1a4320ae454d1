#include "ramp/ramp.h"

#include <fmt/core.h>

#include <algorithm>

namespace lampi::load {

Ramp::Ramp(RampOptions options, LoadTarget& target) : options_(std::move(options)), target_(target) {
    report_.condition = options_.condition.text();
    report_.step_users = options_.step_users;
    report_.step_time_s = options_.step_time_s;
}

void Ramp::start() {
    users_ = std::min(options_.step_users, options_.max_users);
    target_.reset(users_, options_.spawn_rate);
}

void Ramp::close_step(double elapsed_s) {
    RampStep step;
    step.users = users_;
    step.started_s = step_started_s_;
    step.duration_s = elapsed_s - step_started_s_;
    step.operations = window_.operations;
    step.failures = window_.failures;
    step.per_s = step.duration_s > 0 ? static_cast<double>(step.operations) / step.duration_s : 0;
    step.p50_ms = static_cast<double>(window_.latency.percentile(0.50)) / 1e6;
    step.p95_ms = static_cast<double>(window_.latency.percentile(0.95)) / 1e6;
    step.p99_ms = static_cast<double>(window_.latency.percentile(0.99)) / 1e6;
    step.avg_ms = window_.latency.mean() / 1e6;
    if (window_.operations == 0) {
        step.judged = false;
        step.why = "nothing finished in this step: not judged";
    } else {
        step.stopped = options_.condition.holds(window_, &step.why);
        if (!step.stopped) report_.knee_users = users_;
    }
    report_.steps.push_back(std::move(step));
    window_ = StepWindow{};
    step_started_s_ = elapsed_s;
}

bool Ramp::add(double elapsed_s, double interval_s, const Histogram& latency, std::uint64_t operations,
               std::uint64_t failures, std::int64_t now, std::int64_t start_ns, bool measured) {
    if (done_) return true;
    if (!measured) {
        // The step's time counts from its load being in place.
        if (window_.operations == 0 && window_.latency.count() == 0) step_started_s_ = elapsed_s;
        return false;
    }
    window_.latency.merge(latency);
    window_.operations += operations;
    window_.failures += failures;
    // A sample lands about once a second: close the step at the sample nearest its end.
    if (elapsed_s - step_started_s_ + interval_s / 2 < options_.step_time_s) return false;
    close_step(elapsed_s);
    const RampStep& last = report_.steps.back();
    if (last.stopped) {
        report_.outcome = fmt::format("the stop condition held at {} users ({})", last.users, last.why);
        done_ = true;
        return true;
    }
    if (users_ >= options_.max_users) {
        report_.outcome = fmt::format("reached the ceiling of {} users without meeting the stop condition", users_);
        done_ = true;
        return true;
    }
    users_ = std::min(users_ + options_.step_users, options_.max_users);
    target_.set(users_, options_.spawn_rate, now, start_ns);
    return false;
}

RampReport Ramp::finish(double elapsed_s) {
    if (!done_) {
        // The run ended mid-step (time limit, Ctrl-C): that step is shown but is no knee,
        // since it did not run its full time.
        if (window_.operations > 0 || window_.latency.count() > 0) {
            std::optional<int> knee = report_.knee_users;
            close_step(elapsed_s);
            report_.knee_users = knee;
            if (report_.steps.back().stopped)
                report_.outcome = fmt::format("the stop condition held at {} users ({}) in a step the run cut short",
                                              report_.steps.back().users, report_.steps.back().why);
        }
        if (report_.outcome.empty()) report_.outcome = "the run ended before the stop condition held";
    }
    return report_;
}

}  // namespace lampi::load
