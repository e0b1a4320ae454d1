#include "report/text_summary.h"

#include <fmt/core.h>

#include "report/locust_report.h"
#include "run/clock.h"

namespace lampi::load {
namespace {


void malaria_lines(std::string& out, const MalariaClient& c) {
    double rate = c.count_total ? 100.0 * static_cast<double>(c.count_ok) / static_cast<double>(c.count_total) : 0.0;
    out += fmt::format("Clientid: {}\n", c.clientid);
    out += fmt::format("Message succes rate: {:.2f}% ({}/{} messages)\n", rate, c.count_ok, c.count_total);
    out += fmt::format("Message timing mean   {:.2f} ms\n", c.mean_ms);
    out += fmt::format("Message timing stddev {:.2f} ms\n", c.stddev_ms);
    out += fmt::format("Message timing min    {:.2f} ms\n", c.min_ms);
    out += fmt::format("Message timing max    {:.2f} ms\n", c.max_ms);
    out += fmt::format("Messages per second   {:.2f}\n", c.msgs_per_sec);
    out += fmt::format("Total time            {:.2f} secs\n", c.time_total_s);
}

// malaria's output: a block per client, then the aggregate, which like
// malaria's is a simple average of the clients' figures (its min is the mean of
// their minimums), its rate their sum, its time the whole run's. The
// percentiles printed after it are over every message.
void malaria_block(std::string& out, const std::vector<MalariaClient>& clients, std::uint64_t planned_messages,
                   double duration_s) {
    MalariaClient all;
    all.clientid = fmt::format("Aggregate stats (simple avg) for {} processes", clients.size());
    for (const MalariaClient& c : clients) {
        malaria_lines(out, c);
        all.count_ok += c.count_ok;
        all.count_total += c.count_total;
        all.mean_ms += c.mean_ms;
        all.stddev_ms += c.stddev_ms;
        all.min_ms += c.min_ms;
        all.max_ms += c.max_ms;
        all.msgs_per_sec += c.msgs_per_sec;
    }
    if (!clients.empty()) {
        auto n = static_cast<double>(clients.size());
        all.mean_ms /= n;
        all.stddev_ms /= n;
        all.min_ms /= n;
        all.max_ms /= n;
    }
    all.count_total = std::max(all.count_total, planned_messages);
    all.time_total_s = duration_s;
    malaria_lines(out, all);
}

std::string percentiles(const Histogram& h) {
    return fmt::format("p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms (n={})",
                       ns_to_ms(static_cast<double>(h.percentile(0.5))),
                       ns_to_ms(static_cast<double>(h.percentile(0.9))),
                       ns_to_ms(static_cast<double>(h.percentile(0.99))),
                       ns_to_ms(static_cast<double>(h.percentile(0.999))), ns_to_ms(static_cast<double>(h.max())),
                       h.count());
}

}  // namespace

std::string ramp_summary(const RampReport& ramp) {
    std::string out = fmt::format("Ramp: +{} users every {:g} s until {}\n", ramp.step_users, ramp.step_time_s,
                                  ramp.condition);
    out += fmt::format("  {:>8} {:>8} {:>10} {:>8} {:>10} {:>10} {:>10}\n", "users", "ops", "ops/s", "fail %",
                       "p50 ms", "p95 ms", "p99 ms");
    for (const RampStep& s : ramp.steps) {
        double fail = s.operations ? 100.0 * static_cast<double>(s.failures) / static_cast<double>(s.operations) : 0;
        out += fmt::format("  {:>8} {:>8} {:>10.1f} {:>8.2f} {:>10.1f} {:>10.1f} {:>10.1f}{}\n", s.users, s.operations,
                           s.per_s, fail, s.p50_ms, s.p95_ms, s.p99_ms,
                           s.stopped  ? "  <- stop condition"
                           : s.judged ? ""
                                      : "  <- nothing finished: not judged");
    }
    if (ramp.knee_users) out += fmt::format("Knee: {} users (the most that kept the stop condition off)\n", *ramp.knee_users);
    else out += "Knee: none (no step kept the stop condition off)\n";
    out += fmt::format("Ramp ended: {}\n", ramp.outcome);
    return out;
}

std::string malaria_summary(const std::vector<MalariaClient>& clients, std::uint64_t planned_messages,
                            double duration_s) {
    std::string out;
    malaria_block(out, clients, planned_messages, duration_s);
    return out;
}

std::string text_summary(const RunReport& r) {
    std::string out;
    // HTTP runs open with Locust's tables; the lines after them are ours.
    if (r.requests) out += locust_tables(r);
    out += fmt::format("lampi-load {}: {}\n", r.scenario, r.description);
    if (r.malaria_block) malaria_block(out, r.malaria_clients, r.planned_messages, r.duration_s);
    const RunTotals& t = r.totals;
    if (!r.requests) {
        out += fmt::format("Latency ({}): {}\n", r.primary_latency, percentiles(t.latency(Latency::primary)));
        out += fmt::format("Messages: {} sent, {} confirmed, {} received in {:.2f} s\n", t.get(Counter::sent),
                           t.get(Counter::completed), t.get(Counter::received), r.duration_s);
    }
    out += fmt::format("Connections: {} attempted, {} ok, {} failed, {} lost, {} reconnected ({} failed attempts); "
                       "peak open {}\n",
                       t.get(Counter::connect_attempts), t.get(Counter::connect_ok), t.get(Counter::connect_failed),
                       t.get(Counter::disconnects), t.get(Counter::reconnects), t.get(Counter::reconnect_failed),
                       t.peak_connections);
    if (t.latency(Latency::connect).count() > 0) {
        out += fmt::format("Connect time ({}): {}\n", r.requests ? "TCP and TLS" : "CONNECT -> CONNACK",
                           percentiles(t.latency(Latency::connect)));
    }
    for (const Figure& f : r.figures) {
        out += fmt::format("{}: {:.6g}{}{}\n", f.label, f.value, f.unit.empty() ? "" : " ", f.unit);
    }
    if (!r.broker.empty()) {
        out += "Broker ($SYS):";
        for (const auto& [key, value] : r.broker) out += fmt::format(" {}={:.6g}", key.substr(7), value);
        out += "\n";
    }
    if (!r.host.empty()) {
        out += "Watched processes (mean, max per second):\n";
        for (const auto& [key, value] : r.host) {
            if (key.size() > 5 && key.compare(key.size() - 5, 5, ".mean") == 0) {
                std::string figure = key.substr(0, key.size() - 5);
                auto peak = r.host.find(figure + ".max");
                out +=
                    fmt::format("  {}: {:.6g}, {:.6g}\n", figure, value, peak == r.host.end() ? value : peak->second);
            }
        }
    }
    if (r.ramp) out += ramp_summary(*r.ramp);
    out += fmt::format("Errors: {}\n", t.get(Counter::errors));
    for (const auto& [reason, n] : t.error_reasons) out += fmt::format("  {} x {}\n", n, reason);
    if (r.ok()) {
        out += "Result: OK\n";
    } else {
        out += "Result: FAILED";
        for (std::size_t i = 0; i < r.failures.size(); ++i) out += (i ? "; " : ": ") + r.failures[i];
        out += "\n";
    }
    return out;
}

}  // namespace lampi::load
