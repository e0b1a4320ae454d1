#include "cluster/merged_series.h"

#include <algorithm>

namespace lampi::load::cluster {
namespace {

std::uint64_t counter(const WorkerReport& r, Counter c) { return r.counters[static_cast<std::size_t>(c)]; }

// Per second between two reports of one worker, by its own clock; a counter never goes down.
double rate(const WorkerReport& now, const WorkerReport& before, Counter c) {
    const double seconds = now.elapsed_s - before.elapsed_s;
    const std::uint64_t from = counter(before, c), to = counter(now, c);
    return seconds > 0 && to > from ? static_cast<double>(to - from) / seconds : 0.0;
}

double ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

void MergedSeries::sample(double elapsed_s, const std::vector<const WorkerReport*>& latest) {
    Sample s;
    s.elapsed_s = elapsed_s;
    s.interval_s = elapsed_s - (samples_.empty() ? 0.0 : samples_.back().elapsed_s);
    Histogram gained;
    for (const WorkerReport* report : latest) {
        if (!report) continue;
        auto [it, first] = seen_.try_emplace(report->worker);
        Seen& seen = it->second;
        if (first || report->seq > seen.report.seq) {
            seen.sent_per_s = rate(*report, seen.report, Counter::sent);
            seen.completed_per_s = rate(*report, seen.report, Counter::completed);
            seen.received_per_s = rate(*report, seen.report, Counter::received);
            gained.merge(report->latency.since(seen.report.latency));
            seen.report = *report;
        } else if (report->done) {
            seen.sent_per_s = seen.completed_per_s = seen.received_per_s = 0;
        }
        s.sent_per_s += seen.sent_per_s;
        s.completed_per_s += seen.completed_per_s;
        s.received_per_s += seen.received_per_s;
        s.connections += report->connections;
        s.errors += counter(*report, Counter::errors);
        s.completed += counter(*report, Counter::completed);
    }
    s.p50_ms = ms(gained.percentile(0.5));
    s.p90_ms = ms(gained.percentile(0.9));
    s.p99_ms = ms(gained.percentile(0.99));
    s.max_ms = ms(gained.max());
    samples_.push_back(std::move(s));
}

}  // namespace lampi::load::cluster
