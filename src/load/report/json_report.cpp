#include "report/json_report.h"

#include <boost/json.hpp>

namespace lampi::load {
namespace json = boost::json;
json::object latency_json(const Histogram& h) {
    auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
    return json::object{{"count", h.count()},
                        {"mean_ms", h.mean() / 1e6},
                        {"stddev_ms", h.stddev() / 1e6},
                        {"min_ms", ms(h.min())},
                        {"p50_ms", ms(h.percentile(0.5))},
                        {"p90_ms", ms(h.percentile(0.9))},
                        {"p99_ms", ms(h.percentile(0.99))},
                        {"p999_ms", ms(h.percentile(0.999))},
                        {"max_ms", ms(h.max())}};
}

const char* counter_name(Counter c) {
    switch (c) {
        case Counter::sent: return "sent";
        case Counter::completed: return "confirmed";
        case Counter::received: return "received";
        case Counter::errors: return "errors";
        case Counter::connect_attempts: return "connect_attempts";
        case Counter::connect_ok: return "connect_ok";
        case Counter::connect_failed: return "connect_failed";
        case Counter::disconnects: return "connections_lost";
        case Counter::reconnects: return "reconnects";
        case Counter::reconnect_failed: return "reconnect_failed";
        case Counter::lost: return "lost";
        case Counter::duplicates: return "duplicates";
        case Counter::reordered: return "reordered";
        case Counter::count_: break;
    }
    return "?";
}

json::object ramp_to_json(const RampReport& ramp) {
    json::array steps;
    // Field by field under the names the report's readers know, as each record here
    // is written: alike in shape, but no two records share their fields.
    for (const RampStep& s : ramp.steps) {
        steps.push_back(json::object{{"users", s.users},
                                     {"started_s", s.started_s},
                                     {"duration_s", s.duration_s},
                                     {"operations", s.operations},
                                     {"failures", s.failures},
                                     {"per_s", s.per_s},
                                     {"p50_ms", s.p50_ms},
                                     {"p95_ms", s.p95_ms},
                                     {"p99_ms", s.p99_ms},
                                     {"avg_ms", s.avg_ms},
                                     {"stop_condition_held", s.stopped},
                                     {"judged", s.judged},
                                     {"why", s.why}});
    }
    json::value knee = nullptr;
    if (ramp.knee_users) knee = *ramp.knee_users;
    return json::object{{"condition", ramp.condition}, {"step_users", ramp.step_users},
                        {"step_time_s", ramp.step_time_s}, {"knee_users", knee},
                        {"outcome", ramp.outcome},     {"steps", std::move(steps)}};
}

json::array series_to_json(const std::vector<Sample>& series) {
    json::array rows;
    for (const Sample& s : series) {
        // A second's row of the run's series; the live page's chart point and a stack's
        // plan look alike but carry fields of their own.
        json::object row{{"t", s.elapsed_s},
                         {"connections", s.connections},
                         {"sent_per_s", s.sent_per_s},
                         {"confirmed_per_s", s.completed_per_s},
                         {"received_per_s", s.received_per_s},
                         {"errors", s.errors},
                         {"p50_ms", s.p50_ms},
                         {"p90_ms", s.p90_ms},
                         {"p99_ms", s.p99_ms},
                         {"max_ms", s.max_ms}};
        for (const auto& [k, v] : s.extra) row[k] = v;
        rows.push_back(std::move(row));
    }
    return rows;
}

json::value to_json(const RunReport& r) {
    json::object counters;
    for (std::size_t i = 0; i < r.totals.counters.size(); ++i) {
        counters[counter_name(static_cast<Counter>(i))] = r.totals.counters[i];
    }
    json::object figures;
    for (const Figure& f : r.figures) figures[f.key] = f.value;
    json::object broker;
    for (const auto& [k, v] : r.broker) broker[k] = v;
    json::object host;
    for (const auto& [k, v] : r.host) host[k] = v;
    json::object reasons;
    for (const auto& [k, v] : r.totals.error_reasons) reasons[k] = v;
    json::array failures;
    for (const auto& f : r.failures) failures.emplace_back(f);
    std::uint64_t ok = r.totals.get(Counter::completed);
    std::uint64_t total = std::max<std::uint64_t>(r.planned_messages, r.totals.get(Counter::sent));
    double active = r.totals.active_s;
    json::object out{{"scenario", r.scenario},
                     {"description", r.description},
                     {"ok", r.ok()},
                     {"failures", std::move(failures)},
                     {"duration_s", r.duration_s},
                     {"active_s", active},
                     {"clients", r.clients},
                     {"success_rate", total ? static_cast<double>(ok) / static_cast<double>(total) : 0.0},
                     {"confirmed_per_s", active > 0 ? static_cast<double>(ok) / active : 0.0},
                     {"counters", std::move(counters)},
                     {"latency_name", r.primary_latency},
                     {"latency", latency_json(r.totals.latency(Latency::primary))},
                     {"connect", latency_json(r.totals.latency(Latency::connect))},
                     {"peak_connections", r.totals.peak_connections},
                     {"figures", std::move(figures)},
                     {"broker", std::move(broker)},
                     {"host", std::move(host)},
                     {"errors", std::move(reasons)},
                     {"series", series_to_json(r.series)}};
    if (r.ramp) out["ramp"] = ramp_to_json(*r.ramp);
    if (r.requests) add_requests_json(*r.requests, out);
    return out;
}

void add_requests_json(const RequestTable& table, json::object& out) {
    json::array requests;
    for (const auto& [key, e] : table.entries) {
        requests.push_back(json::object{{"method", key.first},
                                        {"name", key.second},
                                        {"requests", e.requests},
                                        {"failures", e.failures},
                                        {"content_bytes", e.content_bytes},
                                        {"latency", latency_json(e.times)}});
    }
    json::array request_failures;
    for (const auto& [key, n] : table.failures) {
        request_failures.push_back(json::object{
            {"method", std::get<0>(key)}, {"name", std::get<1>(key)}, {"error", std::get<2>(key)}, {"occurrences", n}});
    }
    out["requests"] = std::move(requests);
    out["request_failures"] = std::move(request_failures);
}

std::string json_report(const RunReport& report) { return json::serialize(to_json(report)); }

}  // namespace lampi::load
