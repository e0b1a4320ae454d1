#include "report/csv_report.h"

#include <fmt/core.h>

#include <set>

#include "report/locust_report.h"
#include "report/outputs.h"

namespace lampi::load {

std::string series_csv(const std::vector<Sample>& series) {
    // Extra columns (broker figures) appear only in some rows; use their union.
    std::set<std::string> extra;
    for (const Sample& s : series) {
        for (const auto& [k, v] : s.extra) extra.insert(k);
    }
    std::string out = "elapsed_s,connections,sent_per_s,confirmed_per_s,received_per_s,errors,p50_ms,p90_ms,p99_ms,max_ms";
    for (const auto& k : extra) out += "," + k;
    out += "\n";
    for (const Sample& s : series) {
        out += fmt::format("{:.3f},{},{:.1f},{:.1f},{:.1f},{},{:.3f},{:.3f},{:.3f},{:.3f}", s.elapsed_s, s.connections,
                           s.sent_per_s, s.completed_per_s, s.received_per_s, s.errors, s.p50_ms, s.p90_ms, s.p99_ms,
                           s.max_ms);
        for (const auto& k : extra) {
            auto it = s.extra.find(k);
            out += it == s.extra.end() ? "," : fmt::format(",{:.6g}", it->second);
        }
        out += "\n";
    }
    return out;
}

std::string summary_csv(const RunReport& r) {
    const Histogram& h = r.totals.latency(Latency::primary);
    auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
    std::string out = "scenario,ok,duration_s,sent,confirmed,received,errors,p50_ms,p90_ms,p99_ms,p999_ms,max_ms\n";
    out += fmt::format("{},{},{:.3f},{},{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f}\n", r.scenario, r.ok() ? 1 : 0,
                       r.duration_s, r.totals.get(Counter::sent), r.totals.get(Counter::completed),
                       r.totals.get(Counter::received), r.totals.get(Counter::errors), ms(h.percentile(0.5)),
                       ms(h.percentile(0.9)), ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max()));
    return out;
}

std::string ramp_csv(const RampReport& ramp) {
    std::string out = csv_row({"users", "started_s", "duration_s", "operations", "failures", "per_s", "p50_ms",
                               "p95_ms", "p99_ms", "avg_ms", "stop_condition_held", "knee", "why"});
    for (const RampStep& s : ramp.steps) {
        bool knee = ramp.knee_users && *ramp.knee_users == s.users;
        out +=
            csv_row({std::to_string(s.users), fmt::format("{:.3f}", s.started_s), fmt::format("{:.3f}", s.duration_s),
                     std::to_string(s.operations), std::to_string(s.failures), fmt::format("{:.1f}", s.per_s),
                     fmt::format("{:.3f}", s.p50_ms), fmt::format("{:.3f}", s.p95_ms), fmt::format("{:.3f}", s.p99_ms),
                     fmt::format("{:.3f}", s.avg_ms), s.stopped ? "1" : "0", knee ? "1" : "0", s.why});
    }
    return out;
}


Status write_csv_reports(const RunReport& report, const std::string& prefix) {
    if (report.ramp)
        if (Status s = write_report_file(prefix + "_ramp.csv", ramp_csv(*report.ramp)); !s) return s;
    if (report.requests) return write_locust_csv(report, prefix);
    for (const auto& [suffix, content] : {std::pair{std::string("_series.csv"), series_csv(report.series)},
                                          std::pair{std::string("_summary.csv"), summary_csv(report)}})
        if (Status s = write_report_file(prefix + suffix, content); !s) return s;
    return Status::ok();
}

}  // namespace lampi::load
