// SysMonitor: follows the broker's $SYS/# topics during a run.
//
// It holds one ordinary MQTT connection (lampi::MqttClient on its own thread) and
// remembers the latest numeric value of every $SYS topic. snapshot() turns them
// into the few broker columns the reports show beside the client-side figures.
// Mosquitto publishes $SYS every sys_interval seconds (10 by default; set
// `sys_interval 1` in mosquitto.conf for per-second charts).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lampi/mqtt_client.h"
#include "lampi/status.h"
#include "mqtt/client_options.h"

namespace lampi::load {

class SysMonitor {
public:
    explicit SysMonitor(const ClientOptions& options);
    ~SysMonitor();

    Status start();
    void stop();
    // broker.clients, broker.heap_bytes, broker.msgs_received_per_s, broker.msgs_sent_per_s, ...
    // Empty until the broker published its first $SYS update.
    std::map<std::string, double> snapshot();
    // Everything numeric the broker published, by topic without "$SYS/broker/".
    std::map<std::string, double> raw();

private:
    void on_message(const MqttMessage& message);

    std::unique_ptr<MqttClient> client_;
    std::mutex mutex_;
    std::map<std::string, double> values_;
    // Totals and when they changed, to turn message counters into rates.
    struct Rate {
        double last_value = -1;
        std::chrono::steady_clock::time_point last_time;
        double per_s = 0;
    };
    std::map<std::string, Rate> rates_;
};

}  // namespace lampi::load
