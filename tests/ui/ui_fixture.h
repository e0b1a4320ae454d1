// Test support for lampi-ui: a real broker holding the lamp's retained topics,
// lampi-ui's --screenshot, and pixel checks against the layout.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "layout.h"
#include "mqtt_harness.h"
#include "painter.h"
#include "png_file.h"

namespace lampi::ui::test {

using namespace lampi::testing;

inline constexpr const char* kDevice = "b827eb74663e";

inline ::testing::AssertionResult pixel_is(const RgbaImage& image, int x, int y, Rgb expected, int tolerance = 0) {
    const std::uint8_t* p = image.at(x, y);
    if (std::abs(p[0] - expected.r) <= tolerance && std::abs(p[1] - expected.g) <= tolerance &&
        std::abs(p[2] - expected.b) <= tolerance) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "pixel (" << x << "," << y << ") is " << int(p[0]) << "," << int(p[1])
                                         << "," << int(p[2]) << ", expected " << int(expected.r) << ","
                                         << int(expected.g) << "," << int(expected.b);
}

inline std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value ? value : fallback;
}

// A skip that CI counts as a failure (./lampi test: a skip fails with CI=true).
#define LAMPI_UI_REQUIRE(condition, why)                                            \
    do {                                                                            \
        if (!(condition)) {                                                         \
            if (env_or("CI", "") == "true") FAIL() << (why) << " (required in CI)"; \
            GTEST_SKIP() << (why);                                                  \
        }                                                                           \
    } while (0)

// A lamp's broker whose retained topics the test sets, as lampid and the bridge would.
class RetainedLamp {
public:
    explicit RetainedLamp(const TempDir& dir) : broker_(dir.path(), "lamp") {
        broker_.start();
        probe_ = std::make_unique<MqttProbe>(broker_.port(), std::vector<std::string>{"lamp/#", "devices/#"});
        EXPECT_TRUE(probe_->wait_connected());
    }
    int port() const { return broker_.port(); }
    MqttProbe& probe() { return *probe_; }

    void set(const std::string& topic, const std::string& payload) {
        ASSERT_TRUE(probe_->publish(topic, payload, 1, true));
        ASSERT_TRUE(probe_->wait_for(topic, [&](const MqttMessage& m) { return m.payload == payload; }));
    }
    void set_state(const LampState& state) { set(std::string(topics::kChanged), encode_changed(state)); }
    void set_cloud(bool online) {
        set(topics::cloud(kDevice, topics::connection_state(topics::kBridgeClient)), online ? "1" : "0");
    }

private:
    TestBroker broker_;
    std::unique_ptr<MqttProbe> probe_;
};

}  // namespace lampi::ui::test
