#include "metrics/broker_sys.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include "lampi/topics.h"

namespace lampi::cloud::metrics {
namespace {

struct Followed {
    std::string_view topic;
    SysFigure figure;
};

// Mosquitto 2.0's $SYS names (mosquitto(8), "BROKER STATUS"). Counters are
// totals since the broker started; the rest are gauges. One row a topic, all
// alike: a figure followed is one line here.
const std::array kFollowed = {
    Followed{"$SYS/broker/uptime",
             {"lampi_mosquitto_uptime_seconds", "gauge", "Seconds since the cloud broker started."}},
    Followed{"$SYS/broker/clients/connected",
             {"lampi_mosquitto_clients_connected", "gauge", "Clients connected to the cloud broker."}},
    Followed{"$SYS/broker/clients/total",
             {"lampi_mosquitto_clients", "gauge", "Clients the cloud broker holds, connected or with a kept session."}},
    Followed{"$SYS/broker/subscriptions/count",
             {"lampi_mosquitto_subscriptions", "gauge", "Subscriptions on the cloud broker."}},
    Followed{"$SYS/broker/retained messages/count",
             {"lampi_mosquitto_retained_messages", "gauge", "Retained messages on the cloud broker."}},
    Followed{"$SYS/broker/store/messages/count",
             {"lampi_mosquitto_stored_messages", "gauge", "Messages held by the cloud broker (queued and retained)."}},
    Followed{"$SYS/broker/messages/received",
             {"lampi_mosquitto_messages_received_total", "counter", "MQTT packets the cloud broker received."}},
    Followed{"$SYS/broker/messages/sent",
             {"lampi_mosquitto_messages_sent_total", "counter", "MQTT packets the cloud broker sent."}},
    Followed{"$SYS/broker/bytes/received",
             {"lampi_mosquitto_received_bytes_total", "counter", "Bytes the cloud broker received."}},
    Followed{"$SYS/broker/bytes/sent", {"lampi_mosquitto_sent_bytes_total", "counter", "Bytes the cloud broker sent."}},
    Followed{"$SYS/broker/load/messages/received/1min",
             {"lampi_mosquitto_messages_received_per_minute", "gauge",
              "Packets received per minute, averaged over the last minute."}},
    Followed{topics::kAuthPluginClients,
             {"lampi_broker_auth_plugin_clients", "gauge",
              "Clients whose rights the cloud broker's auth plugin holds (its cache)."}},
};

std::optional<std::size_t> index_of(std::string_view topic) {
    for (std::size_t i = 0; i < kFollowed.size(); ++i) {
        if (kFollowed[i].topic == topic) return i;
    }
    return std::nullopt;
}

// The leading decimal number of a $SYS payload ("3600 seconds", "12", "0.52").
std::optional<double> leading_number(std::string_view payload) {
    double value = 0;
    auto [end, error] = std::from_chars(payload.data(), payload.data() + payload.size(), value);
    if (error != std::errc() || end == payload.data()) return std::nullopt;
    if (end != payload.data() + payload.size() && *end != ' ') return std::nullopt;
    return value;
}

}  // namespace

bool BrokerSysFigures::follows(std::string_view topic) { return index_of(topic).has_value(); }

void BrokerSysFigures::observe(std::string_view topic, std::string_view payload) {
    auto index = index_of(topic);
    if (!index) return;
    auto value = leading_number(payload);
    if (!value) return;
    std::lock_guard lock(mutex_);
    auto slot = std::find_if(values_.begin(), values_.end(), [&](const auto& v) { return v.first == *index; });
    if (slot == values_.end()) {
        values_.emplace_back(*index, *value);
    } else {
        slot->second = *value;
    }
}

std::vector<SysFigure> BrokerSysFigures::snapshot() const {
    std::vector<std::pair<std::size_t, double>> values;
    {
        std::lock_guard lock(mutex_);
        values = values_;
    }
    std::sort(values.begin(), values.end());
    std::vector<SysFigure> out;
    out.reserve(values.size());
    for (const auto& [index, value] : values) {
        SysFigure figure = kFollowed[index].figure;
        figure.value = value;
        out.push_back(figure);
    }
    return out;
}

}  // namespace lampi::cloud::metrics
