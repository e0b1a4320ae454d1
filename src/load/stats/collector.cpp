#include "stats/collector.h"

#include <algorithm>

namespace lampi::load {
namespace {

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

Collector::Collector(std::vector<Metrics*> workers)
    : workers_(std::move(workers)), start_(std::chrono::steady_clock::now()), last_(start_) {}

std::uint64_t Collector::sum(Counter c) const {
    std::uint64_t total = 0;
    for (const Metrics* m : workers_) total += m->get(c);
    return total;
}

std::int64_t Collector::open_connections() const {
    std::int64_t total = 0;
    for (const Metrics* m : workers_) total += m->open_connections();
    return total;
}

double Collector::elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Sample Collector::sample() {
    auto now = std::chrono::steady_clock::now();
    Sample s;
    s.elapsed_s = std::chrono::duration<double>(now - start_).count();
    s.interval_s = std::max(1e-6, std::chrono::duration<double>(now - last_).count());
    last_ = now;
    s.connections = open_connections();
    peak_connections_ = std::max(peak_connections_, s.connections);

    std::uint64_t sent = sum(Counter::sent), completed = sum(Counter::completed), received = sum(Counter::received);
    s.sent_per_s = static_cast<double>(sent - last_sent_) / s.interval_s;
    s.completed_per_s = static_cast<double>(completed - last_completed_) / s.interval_s;
    s.received_per_s = static_cast<double>(received - last_received_) / s.interval_s;
    last_sent_ = sent;
    last_completed_ = completed;
    last_received_ = received;
    s.errors = sum(Counter::errors);
    s.completed = completed;

    std::array<Histogram, static_cast<std::size_t>(Latency::count_)> interval;
    for (Metrics* m : workers_) m->drain_latencies(interval);
    const Histogram& primary = interval[static_cast<std::size_t>(Latency::primary)];
    s.p50_ms = ms(primary.percentile(0.50));
    s.p90_ms = ms(primary.percentile(0.90));
    s.p99_ms = ms(primary.percentile(0.99));
    s.max_ms = ms(primary.max());
    interval_primary_ = primary;
    for (std::size_t i = 0; i < interval.size(); ++i) whole_run_[i].merge(interval[i]);
    series_.push_back(s);
    return s;
}

RunTotals Collector::totals() {
    std::array<Histogram, static_cast<std::size_t>(Latency::count_)> rest;
    for (Metrics* m : workers_) m->drain_latencies(rest);
    for (std::size_t i = 0; i < rest.size(); ++i) whole_run_[i].merge(rest[i]);
    return totals_so_far();
}

RunTotals Collector::totals_so_far() const {
    RunTotals t;
    t.latencies = whole_run_;
    for (std::size_t i = 0; i < t.counters.size(); ++i) t.counters[i] = sum(static_cast<Counter>(i));
    for (const Metrics* m : workers_) {
        for (const auto& [reason, n] : m->error_reasons()) t.error_reasons[reason] += n;
    }
    std::int64_t first = 0, last = 0;
    for (const Metrics* m : workers_) {
        if (m->first_activity() != 0 && (first == 0 || m->first_activity() < first)) first = m->first_activity();
        last = std::max(last, m->last_activity());
    }
    t.active_s = first ? static_cast<double>(last - first) / 1e9 : 0.0;
    t.connections_at_end = open_connections();
    // Per-worker peaks may fall at different moments, so their sum is an upper bound;
    // the sampled peak is a lower one. Short runs never sample, so take the larger.
    std::int64_t summed_peaks = 0;
    for (const Metrics* m : workers_) summed_peaks += m->peak_connections();
    t.peak_connections = std::max({peak_connections_, t.connections_at_end, summed_peaks});
    return t;
}

}  // namespace lampi::load
