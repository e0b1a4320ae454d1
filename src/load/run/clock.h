// Time for measurements: monotonic for durations inside one process, wall clock
// for timestamps that another process (a subscriber) compares with its own.
#pragma once

#include <chrono>
#include <cstdint>

namespace lampi::load {

inline std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

inline std::int64_t wall_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// What reports show: milliseconds, from the nanoseconds measured.
inline double ns_to_ms(double ns) { return ns / 1e6; }

// Milliseconds are what the cluster's messages carry.
inline std::int64_t wall_ms() { return wall_ns() / 1'000'000; }

}  // namespace lampi::load
