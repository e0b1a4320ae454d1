#include "report/text_summary.h"

#include <fmt/core.h>

#include "report/locust_report.h"

namespace lampi::load {
namespace {

double ms(double ns) { return ns / 1e6; }

void malaria_block(std::string& out, const RunReport& r) {
    const Histogram& h = r.totals.latency(Latency::primary);
    std::uint64_t ok = r.totals.get(Counter::completed);
    std::uint64_t total = std::max<std::uint64_t>(r.planned_messages, r.totals.get(Counter::sent));
    double rate = total ? 100.0 * static_cast<double>(ok) / static_cast<double>(total) : 0.0;
    double seconds = r.totals.active_s;
    out += fmt::format("Clientid: Aggregate stats for {} clients\n", r.clients);
    out += fmt::format("Message succes rate: {:.2f}% ({}/{} messages)\n", rate, ok, total);
    out += fmt::format("Message timing mean   {:.2f} ms\n", ms(h.mean()));
    out += fmt::format("Message timing stddev {:.2f} ms\n", ms(h.stddev()));
    out += fmt::format("Message timing min    {:.2f} ms\n", ms(static_cast<double>(h.min())));
    out += fmt::format("Message timing max    {:.2f} ms\n", ms(static_cast<double>(h.max())));
    out += fmt::format("Messages per second   {:.2f}\n", seconds > 0 ? static_cast<double>(ok) / seconds : 0.0);
    out += fmt::format("Total time            {:.2f} secs\n", seconds);
}

std::string percentiles(const Histogram& h) {
    return fmt::format("p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms (n={})",
                       ms(static_cast<double>(h.percentile(0.5))), ms(static_cast<double>(h.percentile(0.9))),
                       ms(static_cast<double>(h.percentile(0.99))), ms(static_cast<double>(h.percentile(0.999))),
                       ms(static_cast<double>(h.max())), h.count());
}

}  // namespace

std::string text_summary(const RunReport& r) {
    std::string out;
    // HTTP runs open with Locust's tables; the lines after them are ours.
    if (r.requests) out += locust_tables(r);
    out += fmt::format("lampi-load {}: {}\n", r.scenario, r.description);
    if (r.malaria_block) malaria_block(out, r);
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
