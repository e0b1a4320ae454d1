// Collector: turns the workers' Metrics into a per-second time series and, at the
// end, into the totals of the whole run.
//
// One thread (the reporter) calls sample() about once a second and result() once
// at the end; the workers keep writing meanwhile. Extra columns (for example the
// broker's $SYS figures) are added to a sample by whoever produced them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stats/histogram.h"
#include "stats/metrics.h"

namespace lampi::load {

// One row of the time series: what happened since the previous row.
struct Sample {
    double elapsed_s = 0;       // since the run started, at the end of the interval
    double interval_s = 0;
    std::int64_t connections = 0;
    double sent_per_s = 0;
    double completed_per_s = 0;
    double received_per_s = 0;
    std::uint64_t errors = 0;   // cumulative
    std::uint64_t completed = 0;  // cumulative
    // The primary latency over the interval, in milliseconds (0 when nothing was timed).
    double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
    std::map<std::string, double> extra;
};

struct RunTotals {
    std::array<std::uint64_t, static_cast<std::size_t>(Counter::count_)> counters{};
    std::array<Histogram, static_cast<std::size_t>(Latency::count_)> latencies;
    std::map<std::string, std::uint64_t> error_reasons;
    std::int64_t connections_at_end = 0;
    std::int64_t peak_connections = 0;
    // Seconds between the first and the last Metrics::activity() of any worker.
    double active_s = 0;

    std::uint64_t get(Counter c) const { return counters[static_cast<std::size_t>(c)]; }
    const Histogram& latency(Latency l) const { return latencies[static_cast<std::size_t>(l)]; }
};

class Collector {
public:
    explicit Collector(std::vector<Metrics*> workers);

    Sample sample();
    // Totals so far; call after the workers stopped for the final figures.
    RunTotals totals();
    // The same without taking the workers' latencies: those up to the last sample().
    RunTotals totals_so_far() const;
    double elapsed_s() const;
    // The primary latencies of the last sample's interval.
    const Histogram& interval_latency() const { return interval_primary_; }
    const std::vector<Sample>& series() const { return series_; }
    std::vector<Sample>& series() { return series_; }

private:
    std::uint64_t sum(Counter c) const;
    std::int64_t open_connections() const;

    std::vector<Metrics*> workers_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
    std::uint64_t last_sent_ = 0, last_completed_ = 0, last_received_ = 0;
    std::array<Histogram, static_cast<std::size_t>(Latency::count_)> whole_run_;
    Histogram interval_primary_;
    std::int64_t peak_connections_ = 0;
    std::vector<Sample> series_;
};

}  // namespace lampi::load
