#include "home_assistant.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "home_assistant_schema.h"
#include "lamp_controller.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "lampid_fakes.h"

namespace lampi::lampid {
namespace {

namespace json = boost::json;

json::object parsed(const std::string& text) { return json::parse(text).as_object(); }

// A JSON string's text; "" for any other value.
std::string text(const json::value& value) { return value.is_string() ? std::string(value.as_string()) : ""; }

LampUpdate set_config_of(const std::string& command) {
    Result<std::string> payload = HomeAssistant::to_set_config(command);
    EXPECT_TRUE(payload) << payload.status().message();
    if (!payload) return {};
    Result<DecodedUpdate> decoded = decode_set_config(*payload);
    EXPECT_TRUE(decoded) << decoded.status().message();
    return decoded ? decoded->update : LampUpdate{};
}

TEST(HomeAssistant, TheDiscoveryConfigHasEveryKeyHomeAssistantRequiresWithItsType) {
    json::object config = parsed(HomeAssistant::discovery_config("b827eb74663e"));
    EXPECT_EQ(testing::home_assistant_light_violations(config), std::vector<std::string>{});
    EXPECT_EQ(text(config.at("schema")), "json");
    EXPECT_EQ(config.at("supported_color_modes"), json::array{"hs"});
    EXPECT_TRUE(config.at("brightness").as_bool());
    EXPECT_EQ(config.at("brightness_scale").to_number<int>(), HomeAssistant::kBrightnessScale);
    EXPECT_EQ(text(config.at("command_topic")), topics::kHomeAssistantCommand);
    EXPECT_EQ(text(config.at("state_topic")), topics::kHomeAssistantState);
    // Availability is lampid's own connection state: "1", or "0" from its Last Will.
    EXPECT_EQ(text(config.at("availability_topic")), topics::connection_state(topics::kLampServiceClient));
    EXPECT_EQ(text(config.at("payload_available")), "1");
    EXPECT_EQ(text(config.at("payload_not_available")), "0");
    EXPECT_EQ(text(config.at("unique_id")), "lampi_b827eb74663e");
    EXPECT_EQ(config.at("device").at("identifiers"), json::array{"lampi_b827eb74663e"});
}

TEST(HomeAssistant, TheSchemaCheckRefusesWhatHomeAssistantWouldRefuse) {
    // The check itself has teeth: each of these is a config Home Assistant rejects or misreads.
    json::object good = parsed(HomeAssistant::discovery_config("b827eb74663e"));
    auto broken = [&](auto change) {
        json::object config = good;
        change(config);
        return !testing::home_assistant_light_violations(config).empty();
    };
    EXPECT_TRUE(broken([](json::object& c) { c.erase("command_topic"); }));
    EXPECT_TRUE(broken([](json::object& c) { c["command_topic"] = "lamp/+/set"; }));
    EXPECT_TRUE(broken([](json::object& c) { c["brightness"] = "true"; }));
    EXPECT_TRUE(broken([](json::object& c) { c["brightness_scale"] = 0; }));
    EXPECT_TRUE(broken([](json::object& c) { c["supported_color_modes"] = "hs"; }));
    EXPECT_TRUE(broken([](json::object& c) { c["supported_color_modes"] = json::array{"hs", "brightness"}; }));
    EXPECT_TRUE(broken([](json::object& c) { c["device"] = json::object{{"name", "x"}}; }));
    EXPECT_TRUE(broken([](json::object& c) { c["colour_mode"] = true; }));
    EXPECT_TRUE(broken([](json::object& c) { c["schema"] = "default"; }));
}

TEST(HomeAssistant, TheStateReadsAsAJsonLightInHueAndSaturation) {
    LampState state;
    state.on = true;
    state.hue = 1.0 / 3.0;
    state.saturation = 0.5;
    state.brightness = 0.5;
    json::object out = parsed(HomeAssistant::encode_state(state));
    EXPECT_EQ(text(out.at("state")), "ON");
    EXPECT_EQ(text(out.at("color_mode")), "hs");
    EXPECT_DOUBLE_EQ(out.at("color").at("h").to_number<double>(), 120.0);
    EXPECT_DOUBLE_EQ(out.at("color").at("s").to_number<double>(), 50.0);
    EXPECT_EQ(out.at("brightness").to_number<int>(), 128);
    state.on = false;
    EXPECT_EQ(text(parsed(HomeAssistant::encode_state(state)).at("state")), "OFF");
}

TEST(HomeAssistant, ACommandBecomesASetConfigFromHomeAssistant) {
    LampUpdate update = set_config_of(R"({"state": "ON", "color": {"h": 240, "s": 25}, "brightness": 51,
                                          "transition": 2, "flash": "short"})");
    EXPECT_EQ(update.client, "homeassistant");
    EXPECT_EQ(update.on, true);
    EXPECT_DOUBLE_EQ(*update.hue, 240.0 / 360.0);
    EXPECT_DOUBLE_EQ(*update.saturation, 0.25);
    EXPECT_DOUBLE_EQ(*update.brightness, 0.2);

    LampUpdate off = set_config_of(R"({"state": "OFF"})");
    EXPECT_EQ(off.on, false);
    EXPECT_FALSE(off.hue || off.saturation || off.brightness);
}

TEST(HomeAssistant, OutOfRangeValuesAreClampedByTheSetConfigCodec) {
    Result<std::string> payload = HomeAssistant::to_set_config(R"({"brightness": 300})");
    ASSERT_TRUE(payload);
    Result<DecodedUpdate> decoded = decode_set_config(*payload);
    ASSERT_TRUE(decoded);
    EXPECT_DOUBLE_EQ(*decoded->update.brightness, 1.0);
    EXPECT_EQ(decoded->warnings.size(), 1u);
}

TEST(HomeAssistant, CommandsItCannotHonourAreRefusedWithTheReason) {
    for (const char* command :
         {R"({"state": "TOGGLE"})", R"({"state": true})", R"({"color": {"r": 255, "g": 0, "b": 0}})",
          R"({"color": "red"})", R"({"brightness": "high"})", R"([1, 2])", "{not json",
          R"({"color": {"h": 1e999, "s": 0}})"}) {
        Result<std::string> payload = HomeAssistant::to_set_config(command);
        EXPECT_FALSE(payload) << command;
        if (!payload) {
            EXPECT_EQ(payload.status().code(), StatusCode::invalid_argument) << command;
        }
    }
    EXPECT_FALSE(HomeAssistant::to_set_config(std::string(kMaxPayloadBytes + 1, ' ')));
}

TEST(HomeAssistant, EveryAnnouncedStateIsPublishedForHomeAssistantRetained) {
    testing::Broker broker;
    testing::Store store;
    testing::Led led;
    testing::ManualClock clock;
    LampController lamp(broker, store, led, clock.clock(), LampState{});
    HomeAssistant home_assistant(broker, "b827eb74663e");
    lamp.on_announced = [&](const LampState& state) { home_assistant.publish_state(state); };
    home_assistant.on_connected();
    lamp.on_connected();
    EXPECT_EQ(broker.subscriptions.front(), topics::kHomeAssistantCommand);
    auto discovery = broker.on("homeassistant/light/b827eb74663e/config");
    ASSERT_EQ(discovery.size(), 1u);
    EXPECT_TRUE(discovery[0].retain);

    lamp.handle_set_config(*HomeAssistant::to_set_config(R"({"state": "ON", "brightness": 255})"));
    lamp.flush();
    auto states = broker.on(topics::kHomeAssistantState);
    ASSERT_FALSE(states.empty());
    EXPECT_TRUE(states.back().retain);
    EXPECT_EQ(text(parsed(states.back().payload).at("state")), "ON");
    EXPECT_EQ(lamp.state().client, "homeassistant");

    lamp.reject("Home Assistant command", R"("state" must be "ON" or "OFF")");
    EXPECT_EQ(lamp.stats().rejected, 1u);
}

}  // namespace
}  // namespace lampi::lampid
