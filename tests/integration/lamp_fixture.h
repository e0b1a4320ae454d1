// A lamp as `./lampi up` runs it, against real processes on loopback: a cloud
// broker, the lamp's broker bridged to it (config from lampi-stack's renderer,
// admitting only lampid's login) and lampid. `cloud` watches devices/# on the
// cloud broker.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "broker_passwords.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"
#include "stack_plan.h"

namespace lampi::testing {

class LampOnCloud : public ::testing::Test {
protected:
    static constexpr const char* kDevice = "b827eb74663e";
    static constexpr const char* kLampidPassword = "a-test-only-lampid-password";

    void SetUp() override {
        cloud_broker = std::make_unique<TestBroker>(dir.path(), "cloud");
        stack::BrokerSettings lamp_settings;
        lamp_settings.bridge = stack::BridgeSettings{kDevice, "127.0.0.1", cloud_broker->port(), std::nullopt};
        write_file(dir / "lampid-password", std::string(kLampidPassword) + "\n");
        std::filesystem::permissions(dir / "lampid-password", std::filesystem::perms(0600),
                                     std::filesystem::perm_options::replace);  // lampid refuses a wider one
        write_file(dir / "broker-users", *stack::mosquitto_password_line(stack::kLampBrokerUser, kLampidPassword));
        lamp_settings.allow_anonymous = false;
        lamp_settings.password_file = dir / "broker-users";
        lamp_broker = std::make_unique<TestBroker>(dir.path(), "lamp", lamp_settings);
        lampid = std::make_unique<Process>(lampid_command(dir / "lamp-state.json", dir / "led-duty"),
                                           dir / "lampid.log");
        lampid->start();
        cloud = std::make_unique<MqttProbe>(cloud_broker->port(), std::vector<std::string>{"devices/#"});
        ASSERT_TRUE(cloud->wait_connected());
        ASSERT_TRUE(wait_changed([](const LampState&) { return true; }))
            << "no retained state through the cloud\nlampid:\n" << lampid->log() << "\nlamp broker:\n"
            << lamp_broker->log();
    }

    void TearDown() override {
        if (HasFailure()) {
            std::cerr << "--- lampid log ---\n" << lampid->log() << "--- lamp broker log ---\n" << lamp_broker->log()
                      << "--- cloud broker log ---\n" << cloud_broker->log();
        }
    }

    std::vector<std::string> lampid_command(const std::string& state_file, const std::string& led_file) const {
        return {LAMPID_BINARY, "--port", std::to_string(lamp_broker->port()), "--device-id", kDevice,
                "--state-file", state_file, "--simulated-output", led_file, "--log-level", "debug",
                "--username", stack::kLampBrokerUser, "--password-file", dir / "lampid-password"};
    }

    // A client of the lamp's own broker, with lampid's login (the only one it admits).
    MqttOptions local_login() const {
        MqttOptions options;
        options.port = lamp_broker->port();
        options.username = stack::kLampBrokerUser;
        options.password = kLampidPassword;
        return options;
    }

    static std::string cloud_topic(std::string_view local) { return topics::cloud(kDevice, local); }

    // Waits for a lamp/changed seen through the cloud whose state satisfies `match`.
    std::optional<LampState> wait_changed(std::function<bool(const LampState&)> match,
                                          std::chrono::milliseconds timeout = 10s, MqttProbe* probe = nullptr) {
        std::optional<LampState> found;
        (probe ? probe : cloud.get())->wait_for(cloud_topic(topics::kChanged), [&](const MqttMessage& m) {
            auto state = decode_changed(m.payload);
            if (state && match(*state)) found = *state;
            return found.has_value();
        }, timeout);
        return found;
    }

    bool wait_connection(std::string_view value, std::chrono::milliseconds timeout = 10s) {
        return cloud->wait_for(cloud_topic(topics::connection_state(topics::kLampServiceClient)),
                               [&](const MqttMessage& m) { return m.payload == value; }, timeout)
            .has_value();
    }

    void command(const std::string& payload) {
        ASSERT_TRUE(cloud->publish(cloud_topic(topics::kSetConfig), payload, 1));
    }

    TempDir dir;
    std::unique_ptr<TestBroker> cloud_broker;
    std::unique_ptr<TestBroker> lamp_broker;
    std::unique_ptr<Process> lampid;
    std::unique_ptr<MqttProbe> cloud;
};

}  // namespace lampi::testing
