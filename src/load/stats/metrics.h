// Metrics: what one worker thread counts and times, and how a reporter reads it.
//
// Every worker owns one Metrics and is the only writer; the reporter thread reads
// counters at any time (relaxed atomics) and once a second takes the latencies
// recorded since its last visit (drain_latencies), under a mutex the worker holds
// only for the few nanoseconds of one record(). Nothing here knows about MQTT:
// "sent" and "received" are requests and responses to an HTTP scenario just as
// they are PUBLISHes to an MQTT one, so the series and reports built on it serve
// both.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "stats/histogram.h"

namespace lampi::load {

enum class Counter {
    sent,             // messages (requests) handed to the network
    completed,        // of those, confirmed: written at QoS 0, acknowledged at QoS 1/2
    received,         // messages that arrived
    errors,           // anything that went wrong (each also counted by reason)
    connect_attempts,
    connect_ok,
    connect_failed,
    disconnects,      // established connections lost without our asking
    reconnects,       // of those, connections re-established
    reconnect_failed, // attempts to re-establish one that did not come up
    lost,             // sequence gaps seen by a receiver
    duplicates,
    reordered,
    count_
};

// Latencies kept apart so one report can show several (the main one first).
enum class Latency { primary, connect, count_ };

class Metrics {
public:
    void add(Counter counter, std::uint64_t n = 1) {
        counters_[static_cast<std::size_t>(counter)].fetch_add(n, std::memory_order_relaxed);
    }
    std::uint64_t get(Counter counter) const {
        return counters_[static_cast<std::size_t>(counter)].load(std::memory_order_relaxed);
    }
    // Connections currently open (a gauge, not a total).
    void connection_opened() {
        std::int64_t now_open = open_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (now_open > peak_.load(std::memory_order_relaxed)) peak_.store(now_open, std::memory_order_relaxed);
    }
    std::int64_t peak_connections() const { return peak_.load(std::memory_order_relaxed); }
    void connection_closed() { open_.fetch_sub(1, std::memory_order_relaxed); }
    std::int64_t open_connections() const { return open_.load(std::memory_order_relaxed); }

    void record(Latency which, std::int64_t nanoseconds) {
        std::lock_guard lock(mutex_);
        recent_[static_cast<std::size_t>(which)].record(nanoseconds);
    }
    // Marks useful work at monotonic time `now`: the first and last marks bound the
    // "Total time" a malaria-style summary divides by.
    void activity(std::int64_t now) {
        if (first_activity_.load(std::memory_order_relaxed) == 0) first_activity_.store(now, std::memory_order_relaxed);
        last_activity_.store(now, std::memory_order_relaxed);
    }
    std::int64_t first_activity() const { return first_activity_.load(std::memory_order_relaxed); }
    std::int64_t last_activity() const { return last_activity_.load(std::memory_order_relaxed); }

    // Counts `reason` as one error; the words become a line of the report.
    void error(const std::string& reason);

    // Adds the latencies recorded since the last call to `into` and forgets them.
    void drain_latencies(std::array<Histogram, static_cast<std::size_t>(Latency::count_)>& into);
    std::map<std::string, std::uint64_t> error_reasons() const;

private:
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Counter::count_)> counters_{};
    std::atomic<std::int64_t> open_{0};
    std::atomic<std::int64_t> peak_{0};
    std::atomic<std::int64_t> first_activity_{0};
    std::atomic<std::int64_t> last_activity_{0};
    mutable std::mutex mutex_;
    std::array<Histogram, static_cast<std::size_t>(Latency::count_)> recent_;
    std::map<std::string, std::uint64_t> reasons_;
};

}  // namespace lampi::load
