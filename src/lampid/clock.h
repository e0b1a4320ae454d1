// Clock: the lamp service's view of time, injected so tests can move it.
//
// Two clocks because they answer different questions: the steady one measures
// intervals (log rate limits, save retries, code renewal) and never jumps; the
// wall one stamps what other machines compare (the ordering of commands, the
// names of kept corrupt files) and may jump when NTP corrects it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace lampi::lampid {

struct Clock {
    using SteadyTime = std::chrono::steady_clock::time_point;
    std::function<SteadyTime()> steady;
    // Milliseconds since the Unix epoch.
    std::function<std::int64_t()> wall_ms;
};

inline Clock system_clock() {
    return Clock{
        [] { return std::chrono::steady_clock::now(); },
        [] {
            return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
        },
    };
}

}  // namespace lampi::lampid
