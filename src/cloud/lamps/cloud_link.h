// CloudLink: lampi-cloud's platform client on the cloud broker.
//
// Subscribes to every lamp's changed, connection and associated topics, hands
// the messages to the LampService, and publishes for it.
//
// Contract:
//   - It runs MqttClient::run() on a thread of its own: the first connection may
//     come long after start() (lampi-cloud may start before its broker), and a
//     lost connection is retried with backoff (reconnect_min doubling up to
//     reconnect_max) for as long as the link runs. start() never fails because
//     the broker is away.
//   - publish() refuses while there is no connection, with a reason a person can
//     act on: libmosquitto would queue a QoS 1 message and report success, and
//     the API would answer 202 "sent" for a command that may never leave.
//   - Called off the link's thread, a QoS 1 publish() returns only once the
//     broker has acknowledged it (PUBACK), or fails after 2 s: a command merely
//     queued here dies with a kill -9 of lampi-cloud, after its 202.
//   - status() says whether the link is up, since when, and the last reason it
//     went down; /healthz shows it.
//   - stop() returns within about 200 ms (one network loop pass plus the
//     DISCONNECT), so SIGTERM ends lampi-cloud well within a second.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <memory>

#include "lampi/mqtt_client.h"
#include "lamps/lamp_service.h"
#include "metrics/broker_sys.h"

namespace lampi::cloud::lamps {

struct LinkStatus {
    bool connected = false;
    // Seconds since the link last came up or went down (steady clock).
    std::int64_t seconds_in_state = 0;
    // Why it is down: "not connected yet", libmosquitto's reason, or a refusal.
    std::string reason;
};

class CloudLink {
public:
    explicit CloudLink(MqttOptions options);
    ~CloudLink();

    // Messages go to `service` from now on.
    void attach(LampService& service);
    // The broker's $SYS figures go to `figures` from the next connection on.
    void follow_broker_figures(std::shared_ptr<metrics::BrokerSysFigures> figures);
    Status start();
    void stop();
    // For the LampService's Publisher; an error while disconnected.
    Status publish(std::string_view topic, std::string_view payload, int qos, bool retain);
    bool connected() const { return client_.connected(); }
    LinkStatus status() const;

private:
    void set_down(std::string reason);

    MqttClient client_;
    LampService* service_ = nullptr;
    std::shared_ptr<metrics::BrokerSysFigures> broker_figures_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    mutable std::mutex mutex_;
    std::string down_reason_ = "not connected yet";
    std::chrono::steady_clock::time_point changed_at_ = std::chrono::steady_clock::now();
};

}  // namespace lampi::cloud::lamps
