// Test support: a real Mosquitto broker on a free loopback port, and an MQTT
// probe that records what it receives so tests can wait for a message.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lampi/mqtt_client.h"
#include "mosquitto_config.h"
#include "process.h"

namespace lampi::testing {

using namespace std::chrono_literals;

// Mosquitto with a config rendered by lampi-stack's renderer (the one `./lampi up`
// uses), so tests exercise the shipped configuration.
class TestBroker {
public:
    // Listens on a free loopback port (settings.port is ignored); data_dir
    // defaults to a subdirectory of `dir`.
    TestBroker(const std::string& dir, std::string name, stack::BrokerSettings settings = {});
    ~TestBroker();

    void start();
    void kill9();
    void stop();
    void restart() { stop(); start(); }
    int port() const { return settings_.port; }
    pid_t pid() const { return process_ ? process_->pid() : -1; }
    std::string log() const;

private:
    std::string config_path_;
    std::string log_path_;
    stack::BrokerSettings settings_;
    std::unique_ptr<Process> process_;
};

// An MQTT client on its own network thread that records every message.
class MqttProbe {
public:
    MqttProbe(int port, std::vector<std::string> subscriptions, std::string client_id = "");
    // Any connection options: TLS, username and password, client id.
    MqttProbe(MqttOptions options, std::vector<std::string> subscriptions);
    ~MqttProbe();

    // True once connected with every subscription in effect at the broker.
    bool wait_connected(std::chrono::milliseconds timeout = 5s);
    // The first recorded message on `topic` (after `from_index`) that satisfies `match`.
    std::optional<MqttMessage> wait_for(const std::string& topic,
                                        std::function<bool(const MqttMessage&)> match = nullptr,
                                        std::chrono::milliseconds timeout = 10s);
    Status publish(const std::string& topic, const std::string& payload, int qos = 1, bool retain = false);
    // QoS 1, returning once the broker acknowledged it: the broker has then
    // decided on it, before anything this or another client sends afterwards.
    Status publish_acknowledged(const std::string& topic, const std::string& payload);
    std::vector<MqttMessage> messages(const std::string& topic);
    void clear();

private:
    std::unique_ptr<MqttClient> client_;
    std::vector<std::string> subscriptions_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<MqttMessage> received_;
    std::atomic<int> subscribed_{0};  // connections whose SUBSCRIBEs were sent
};

}  // namespace lampi::testing
