// Publisher: the lamp service's side of its broker connection.
//
// LampController and Onboarding speak MQTT only through this interface, so unit
// tests record what they would publish without a broker. MqttPublisher is the
// production one over the shared MqttClient.
#pragma once

#include <string_view>

#include "lampi/mqtt_client.h"
#include "lampi/status.h"

namespace lampi::lampid {

// What the lamp service publishes and subscribes to on its local broker, at least
// once: a lamp's state or a command is never silently dropped on the way.
inline constexpr int kLampQos = 1;

// A pure interface like lampid's other seams (LedDriver, StateSink).
class Publisher {
public:
    virtual ~Publisher() = default;
    virtual bool connected() const = 0;
    virtual Status publish(std::string_view topic, std::string_view payload, int qos, bool retain) = 0;
    virtual Status subscribe(std::string_view pattern, int qos) = 0;
};

class MqttPublisher final : public Publisher {
public:
    explicit MqttPublisher(MqttClient& client) : client_(client) {}
    bool connected() const override { return client_.connected(); }
    Status publish(std::string_view topic, std::string_view payload, int qos, bool retain) override {
        return client_.publish(topic, payload, qos, retain);
    }
    Status subscribe(std::string_view pattern, int qos) override { return client_.subscribe(pattern, qos); }

private:
    MqttClient& client_;
};

}  // namespace lampi::lampid
