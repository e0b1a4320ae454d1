// Test doubles for lampid's seams: a broker that records what is published, a
// store and an LED that can be told to fail, and a clock the test moves.
#pragma once

#include <string>
#include <vector>

#include "clock.h"
#include "hardware/led_driver.h"
#include "lampi/mqtt_client.h"
#include "publisher.h"
#include "state_store.h"

namespace lampi::testing {

class Broker final : public lampid::Publisher {
public:
    bool is_connected = true;
    std::vector<MqttMessage> published;
    std::vector<std::string> subscriptions;

    bool connected() const override { return is_connected; }
    Status publish(std::string_view topic, std::string_view payload, int qos, bool retain) override {
        published.push_back(MqttMessage{std::string(topic), std::string(payload), qos, retain});
        return Status::ok();
    }
    Status subscribe(std::string_view pattern, int) override {
        subscriptions.emplace_back(pattern);
        return Status::ok();
    }
    std::vector<MqttMessage> on(std::string_view topic) const {
        std::vector<MqttMessage> found;
        for (const MqttMessage& m : published) {
            if (m.topic == topic) found.push_back(m);
        }
        return found;
    }
};

class Store final : public lampid::StateSink {
public:
    bool fail = false;
    int attempts = 0;
    std::vector<LampState> saved;
    Status save(const LampState& state) override {
        ++attempts;
        if (fail) return Status::error("cannot create /var/lib/lampi/lamp-state.json.tmp: Read-only file system");
        saved.push_back(state);
        return Status::ok();
    }
};

class Led final : public lampid::LedDriver {
public:
    bool fail = false;
    int calls = 0;
    RgbDuty duty{};
    Status set_duty(const RgbDuty& d) override {
        ++calls;
        if (fail) return Status::error("cannot replace the simulated LED file led-duty");
        duty = d;
        return Status::ok();
    }
    std::string describe() const override { return "fake LED"; }
};

struct ManualClock {
    lampid::Clock::SteadyTime steady_now = lampid::Clock::SteadyTime{} + std::chrono::hours(1);
    std::int64_t wall_now_ms = 1'796'076'000'000;  // 2026-11-29T22:00:00Z

    lampid::Clock clock() {
        return lampid::Clock{[this] { return steady_now; }, [this] { return wall_now_ms; }};
    }
    void advance(std::chrono::milliseconds by) {
        steady_now += by;
        wall_now_ms += by.count();
    }
};

}  // namespace lampi::testing
