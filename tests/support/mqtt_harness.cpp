#include "mqtt_harness.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace lampi::testing {

TestBroker::TestBroker(const std::string& dir, std::string name, stack::BrokerSettings settings)
    : settings_(std::move(settings)) {
    std::string home = dir + "/" + name;
    std::filesystem::create_directories(home);
    settings_.port = free_port();
    if (settings_.data_dir.empty()) settings_.data_dir = home;
    if (settings_.title.empty()) settings_.title = "test broker " + name;
    if (settings_.run_as_user.empty()) settings_.run_as_user = "root";
    config_path_ = home + "/mosquitto.conf";
    log_path_ = home + "/mosquitto.log";
    write_file(config_path_, stack::render_mosquitto_conf(settings_));
    start();
}

TestBroker::~TestBroker() { stop(); }

void TestBroker::start() {
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", config_path_}, log_path_);
    process_->start();
    if (!wait_for_port(settings_.port, 5s)) {
        throw std::runtime_error("mosquitto did not start on port " + std::to_string(settings_.port) + ":\n" + log());
    }
}

void TestBroker::kill9() {
    if (process_) process_->kill9();
}

void TestBroker::stop() {
    if (process_) process_->stop();
}

std::string TestBroker::log() const { return read_file(log_path_); }

namespace {

MqttOptions plain_options(int port, std::string client_id) {
    MqttOptions options;
    options.port = port;
    options.client_id = std::move(client_id);
    return options;
}

}  // namespace

MqttProbe::MqttProbe(int port, std::vector<std::string> subscriptions, std::string client_id)
    : MqttProbe(plain_options(port, std::move(client_id)), std::move(subscriptions)) {}

MqttProbe::MqttProbe(MqttOptions options, std::vector<std::string> subscriptions)
    : subscriptions_(std::move(subscriptions)) {
    client_ = std::make_unique<MqttClient>(options);
    client_->on_connect = [this] {
        // A refused subscription shows up as messages the test misses: say why.
        for (const auto& pattern : subscriptions_)
            if (Status s = client_->subscribe(pattern, 1); !s)
                std::fprintf(stderr, "MqttProbe: cannot subscribe to %s: %s\n", pattern.c_str(), s.message().c_str());
    };
    client_->on_message = [this](const MqttMessage& message) {
        std::lock_guard lock(mutex_);
        received_.push_back(message);
        changed_.notify_all();
    };
    if (Status s = client_->start_background(); !s) throw std::runtime_error(s.message());
}

MqttProbe::~MqttProbe() { client_->stop_background(); }

bool MqttProbe::wait_connected(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!client_->connected() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    // Let the SUBSCRIBE reach the broker before the test publishes.
    std::this_thread::sleep_for(50ms);
    return client_->connected();
}

std::optional<MqttMessage> MqttProbe::wait_for(const std::string& topic, std::function<bool(const MqttMessage&)> match,
                                               std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<MqttMessage> found;
    changed_.wait_for(lock, timeout, [&] {
        for (const MqttMessage& m : received_) {
            if (m.topic == topic && (!match || match(m))) {
                found = m;
                return true;
            }
        }
        return false;
    });
    return found;
}

Status MqttProbe::publish(const std::string& topic, const std::string& payload, int qos, bool retain) {
    return client_->publish(topic, payload, qos, retain);
}

std::vector<MqttMessage> MqttProbe::messages(const std::string& topic) {
    std::lock_guard lock(mutex_);
    std::vector<MqttMessage> out;
    for (const MqttMessage& m : received_) {
        if (m.topic == topic) out.push_back(m);
    }
    return out;
}

void MqttProbe::clear() {
    std::lock_guard lock(mutex_);
    received_.clear();
}

}  // namespace lampi::testing
