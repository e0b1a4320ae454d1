#include "monitor/sys_monitor.h"

#include <charconv>

#include "lampi/log.h"

namespace lampi::load {
namespace {

constexpr std::string_view kPrefix = "$SYS/broker/";

}  // namespace

SysMonitor::SysMonitor(const ClientOptions& options) {
    // Field by field, as the CA's index and lampid's renewal copy theirs: the load's
    // own client options and the MQTT wrapper's are separate structs on purpose.
    MqttOptions o;
    o.host = options.host;
    o.port = options.port;
    o.username = options.username;
    o.password = options.password;
    o.tls = options.tls;
    o.keepalive_seconds = 30;
    client_ = std::make_unique<MqttClient>(o);
    client_->on_connect = [this] {
        // Without $SYS the report only lacks the broker's figures; the load runs on.
        if (Status s = client_->subscribe("$SYS/#", 0); !s)
            log::warn("broker monitor: cannot subscribe to $SYS/#: {}", s.message());
    };
    client_->on_message = [this](const MqttMessage& m) { on_message(m); };
}

SysMonitor::~SysMonitor() { stop(); }

Status SysMonitor::start() { return client_->start_background(); }

void SysMonitor::stop() {
    if (client_) client_->stop_background();
}

void SysMonitor::on_message(const MqttMessage& message) {
    if (!message.topic.starts_with(kPrefix)) return;
    double value = 0;
    const char* begin = message.payload.data();
    auto [ptr, ec] = std::from_chars(begin, begin + message.payload.size(), value);
    if (ec != std::errc() || ptr == begin) return;  // "version", "uptime" ("12 seconds") and such
    std::string key = message.topic.substr(kPrefix.size());
    std::lock_guard lock(mutex_);
    values_[key] = value;
    if (key == "messages/received" || key == "messages/sent" || key == "publish/messages/received" ||
        key == "publish/messages/sent") {
        auto now = std::chrono::steady_clock::now();
        Rate& r = rates_[key];
        if (r.last_value >= 0 && value != r.last_value) {
            double dt = std::chrono::duration<double>(now - r.last_time).count();
            if (dt > 0.2) r.per_s = (value - r.last_value) / dt;
        }
        if (value != r.last_value) {
            r.last_value = value;
            r.last_time = now;
        }
    }
}

std::map<std::string, double> SysMonitor::snapshot() {
    std::lock_guard lock(mutex_);
    std::map<std::string, double> out;
    auto copy = [&](const char* key, const char* name, double scale = 1.0) {
        if (auto it = values_.find(key); it != values_.end()) out[name] = it->second * scale;
    };
    copy("clients/connected", "broker.clients");
    copy("heap/current", "broker.heap_bytes");
    copy("load/messages/received/1min", "broker.load_received_per_s_1min", 1.0 / 60.0);
    copy("load/messages/sent/1min", "broker.load_sent_per_s_1min", 1.0 / 60.0);
    if (auto it = rates_.find("messages/received"); it != rates_.end()) out["broker.msgs_received_per_s"] = it->second.per_s;
    if (auto it = rates_.find("messages/sent"); it != rates_.end()) out["broker.msgs_sent_per_s"] = it->second.per_s;
    return out;
}

std::map<std::string, double> SysMonitor::raw() {
    std::lock_guard lock(mutex_);
    return values_;
}

}  // namespace lampi::load
