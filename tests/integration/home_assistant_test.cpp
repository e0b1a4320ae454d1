// Home Assistant on the lamp's own broker: what it finds by MQTT discovery, and
// the commands it sends, against real Mosquitto brokers and a real lampid. The
// probe plays Home Assistant's MQTT integration: it subscribes and publishes
// exactly what the discovery config names.
#include <fmt/core.h>

#include <boost/json.hpp>

#include "home_assistant_schema.h"
#include "lamp_fixture.h"

namespace lampi::testing {
namespace {

namespace json = boost::json;

class HomeAssistantOnTheLamp : public LampOnCloud {
protected:
    // Reads the retained discovery config the way Home Assistant does on start.
    json::object discovered() {
        MqttProbe discovery(local_login(), {"homeassistant/#"});
        auto config = discovery.wait_for(fmt::format("homeassistant/light/{}/config", kDevice));
        EXPECT_TRUE(config) << "no discovery config on the lamp's broker";
        if (!config) return {};
        EXPECT_TRUE(config->retain);
        return json::parse(config->payload).as_object();
    }

    // A JSON string's text; "" for any other value.
    static std::string text(const json::value& value) {
        return value.is_string() ? std::string(value.as_string()) : "";
    }
};

TEST_F(HomeAssistantOnTheLamp, TheLampAnnouncesAValidJsonLightWithItsStateAndAvailability) {
    json::object config = discovered();
    ASSERT_FALSE(config.empty());
    EXPECT_EQ(home_assistant_light_violations(config), std::vector<std::string>{});

    // Everything the config points at is there, retained, as Home Assistant reads it.
    MqttProbe home_assistant(local_login(), {text(config.at("state_topic")), text(config.at("availability_topic"))});
    auto available = home_assistant.wait_for(text(config.at("availability_topic")));
    ASSERT_TRUE(available);
    EXPECT_EQ(available->payload, text(config.at("payload_available")));
    ASSERT_TRUE(home_assistant.wait_for(text(config.at("state_topic"))));
    // A Home Assistant that starts later still reads the state: it is retained.
    MqttProbe later(local_login(), {text(config.at("state_topic"))});
    auto state = later.wait_for(text(config.at("state_topic")));
    ASSERT_TRUE(state);
    EXPECT_TRUE(state->retain);
    json::object values = json::parse(state->payload).as_object();
    EXPECT_TRUE(text(values.at("state")) == "ON" || text(values.at("state")) == "OFF");
    EXPECT_EQ(text(values.at("color_mode")), "hs");
}

TEST_F(HomeAssistantOnTheLamp, ItsCommandsGoThroughTheContractAndReachTheCloud) {
    json::object config = discovered();
    ASSERT_FALSE(config.empty());
    const std::string state_topic = text(config.at("state_topic"));
    MqttProbe home_assistant(local_login(), {state_topic});
    ASSERT_TRUE(home_assistant.wait_connected());
    ASSERT_TRUE(home_assistant.publish(text(config.at("command_topic")),
                                       R"({"state": "ON", "color": {"h": 120, "s": 100}, "brightness": 51})"));

    // The cloud sees an ordinary lamp/changed caused by "homeassistant".
    auto changed = wait_changed([](const LampState& s) { return s.client == "homeassistant" && s.on; });
    ASSERT_TRUE(changed) << "the command did not reach the lamp";
    EXPECT_NEAR(changed->hue, 1.0 / 3.0, 1e-9);
    EXPECT_DOUBLE_EQ(changed->saturation, 1.0);
    EXPECT_DOUBLE_EQ(changed->brightness, 0.2);
    EXPECT_EQ(read_file(dir / "led-duty"), "0.000000 0.028991 0.000000\n");  // green, 0.2 after gamma 2.2

    // Home Assistant reads the new state in its own words.
    auto state = home_assistant.wait_for(state_topic, [](const MqttMessage& m) {
        json::object values = json::parse(m.payload).as_object();
        return text(values.at("state")) == "ON" && values.at("brightness").to_number<int>() == 51;
    });
    ASSERT_TRUE(state);
    json::object values = json::parse(state->payload).as_object();
    EXPECT_DOUBLE_EQ(values.at("color").at("h").to_number<double>(), 120.0);
    EXPECT_DOUBLE_EQ(values.at("color").at("s").to_number<double>(), 100.0);

    ASSERT_TRUE(home_assistant.publish(text(config.at("command_topic")), R"({"state": "OFF"})"));
    EXPECT_TRUE(wait_changed([](const LampState& s) { return s.client == "homeassistant" && !s.on; }));
    EXPECT_TRUE(home_assistant.wait_for(state_topic, [](const MqttMessage& m) {
        return text(json::parse(m.payload).as_object().at("state")) == "OFF";
    }));
}

TEST_F(HomeAssistantOnTheLamp, ACommandItCannotReadLeavesTheLampAsItWas) {
    MqttProbe home_assistant(local_login(), {});
    ASSERT_TRUE(home_assistant.wait_connected());
    ASSERT_TRUE(home_assistant.publish(std::string(topics::kHomeAssistantCommand), R"({"state": "TOGGLE"})"));
    ASSERT_TRUE(
        home_assistant.publish(std::string(topics::kHomeAssistantCommand), R"({"state": "ON", "brightness": 255})"));
    // Commands are handled in order: once the good one shows, the bad one was refused.
    ASSERT_TRUE(wait_changed([](const LampState& s) { return s.client == "homeassistant" && s.on; }));
    EXPECT_NE(lampid->log().find("Home Assistant command rejected"), std::string::npos) << lampid->log();
}

TEST_F(HomeAssistantOnTheLamp, ALampThatDiesReadsAsUnavailable) {
    json::object config = discovered();
    ASSERT_FALSE(config.empty());
    const std::string availability = text(config.at("availability_topic"));
    MqttProbe home_assistant(local_login(), {availability});
    ASSERT_TRUE(home_assistant.wait_for(availability, [&](const MqttMessage& m) {
        return m.payload == text(config.at("payload_available"));
    }));
    lampid->kill9();
    EXPECT_TRUE(home_assistant.wait_for(
        availability, [&](const MqttMessage& m) { return m.payload == text(config.at("payload_not_available")); }, 15s))
        << "the Last Will did not mark the lamp unavailable";
}

}  // namespace
}  // namespace lampi::testing
