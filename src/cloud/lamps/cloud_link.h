// CloudLink: lampi-cloud's platform client on the cloud broker.
//
// Subscribes to every lamp's changed, connection and associated topics, hands
// the messages to the LampService, and publishes for it. Runs on libmosquitto's
// own network thread and reconnects by itself.
#pragma once

#include <memory>

#include "lampi/mqtt_client.h"
#include "lamps/lamp_service.h"

namespace lampi::cloud::lamps {

class CloudLink {
public:
    explicit CloudLink(MqttOptions options);
    ~CloudLink();

    // Messages go to `service` from now on.
    void attach(LampService& service);
    Status start();
    void stop();
    // For the LampService's Publisher.
    Status publish(std::string_view topic, std::string_view payload, int qos, bool retain);
    bool connected() const { return client_.connected(); }

private:
    MqttClient client_;
    LampService* service_ = nullptr;
    bool started_ = false;
};

}  // namespace lampi::cloud::lamps
