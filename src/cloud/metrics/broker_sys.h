// BrokerSysFigures: the cloud broker's own figures ($SYS), followed by
// lampi-cloud's broker link and re-exported on GET /metrics.
//
// Contract:
// - observe() takes any topic; only the $SYS topics in the table of
//   broker_sys.cpp are kept (the newest value of each), the rest is ignored.
//   A payload that is not a number ("12 seconds" counts: the leading number)
//   is ignored too, so a broker that changes its wording drops a figure
//   instead of reporting a wrong one.
// - Mosquitto publishes $SYS every `sys_interval` (10 s by default), so a
//   figure is at most that old; none is shown before the broker first sends it.
// - The auth plugin's registry size arrives the same way, on
//   topics::kAuthPluginClients.
// Thread-safe: observe() runs on the broker link's thread, snapshot() on a scrape.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lampi::cloud::metrics {

struct SysFigure {
    std::string_view name;  // the Prometheus metric name
    std::string_view type;  // "gauge" or "counter"
    std::string_view help;
    double value = 0;
};

class BrokerSysFigures {
public:
    // The topic filter the broker link subscribes to.
    static constexpr std::string_view kSubscription = "$SYS/broker/#";

    // True if `topic` is a figure kept here (whatever its payload).
    static bool follows(std::string_view topic);
    void observe(std::string_view topic, std::string_view payload);
    // The figures received so far, in the table's order.
    std::vector<SysFigure> snapshot() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::pair<std::size_t, double>> values_;  // table index -> newest value
};

}  // namespace lampi::cloud::metrics
