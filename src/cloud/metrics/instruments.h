// Counters and latency histograms that the request path can update without a
// lock, and their Prometheus text exposition (format 0.0.4).
//
// Contract: add() and observe() are a few relaxed atomic increments, safe from
// any thread, and never allocate. A scrape reads the atomics one by one: it may
// see a request counted in one figure and not yet in the next, never a torn
// value. Histogram buckets are fixed (kLatencyBoundsNs), so a scrape's size does
// not grow with traffic.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lampi::cloud::metrics {

class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// Bucket upper bounds in nanoseconds, from a fast database query (100 µs) to a
// request that timed out (10 s); exposed in seconds.
inline constexpr std::array<std::int64_t, 16> kLatencyBoundsNs = {
    100'000,    250'000,     500'000,     1'000'000,   2'500'000,     5'000'000,     10'000'000,    25'000'000,
    50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};

class Histogram {
public:
    void observe(std::chrono::nanoseconds elapsed) noexcept;
    // Observes the time since `start`.
    void observe_since(std::chrono::steady_clock::time_point start) noexcept {
        observe(std::chrono::steady_clock::now() - start);
    }

    struct Snapshot {
        std::array<std::uint64_t, kLatencyBoundsNs.size() + 1> buckets{};  // not cumulative; the last is +Inf
        std::uint64_t count = 0;
        double sum_seconds = 0;
    };
    Snapshot snapshot() const noexcept;

private:
    std::array<std::atomic<std::uint64_t>, kLatencyBoundsNs.size() + 1> buckets_{};
    std::atomic<std::uint64_t> sum_ns_{0};
};

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// Appends a metric family's "# HELP" and "# TYPE" lines.
void write_family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// Appends one sample: name{labels} value.
void write_sample(std::string& out, std::string_view name, const Labels& labels, double value);
// Appends a histogram's _bucket (cumulative, with le), _sum and _count samples.
void write_histogram(std::string& out, std::string_view name, const Labels& labels, const Histogram& histogram);

}  // namespace lampi::cloud::metrics
