// Home Assistant on the lamp's own broker, with no extra software on either side.
//
// The lamp announces itself with Home Assistant's MQTT discovery: a retained
// light config on <prefix>/light/<device id>/config, JSON schema, colour mode
// "hs" and brightness, available while lampid's connection state reads "1".
// Home Assistant's JSON light speaks its own payloads ({"state": "ON",
// "color": {"h": 0..360, "s": 0..100}, "brightness": 1..255}), so lampid
// translates on two topics of its own:
// - lamp/homeassistant/set in: a command, translated into a lamp/set_config
//   payload with "client": "homeassistant" and applied through the same codec
//   and LampController path as any other command;
// - lamp/homeassistant/state out (retained): every state lampid announces on
//   lamp/changed, in Home Assistant's words.
// The bridge carries neither topic to the cloud.
//
// Single-threaded, like LampController.
#pragma once

#include <string>
#include <string_view>

#include "lampi/lamp_state.h"
#include "lampi/status.h"
#include "lampi/topics.h"
#include "publisher.h"

namespace lampi::lampid {

class HomeAssistant {
public:
    static constexpr std::string_view kDefaultPrefix = "homeassistant";
    // The "client" Home Assistant's commands carry on lamp/set_config and lamp/changed.
    static constexpr std::string_view kClient = topics::kHomeAssistantClient;
    // Home Assistant's brightness runs 1..kBrightnessScale, ours 0..1.
    static constexpr int kBrightnessScale = 255;

    // `prefix`: Home Assistant's discovery prefix ("homeassistant" unless its
    // MQTT integration was told otherwise).
    HomeAssistant(Publisher& broker, std::string device_id, std::string_view prefix = kDefaultPrefix);

    // Subscribes to the command topic and publishes the discovery config, retained.
    void on_connected();
    // Publishes `state` on the state topic, retained: called with every state
    // announced on lamp/changed.
    void publish_state(const LampState& state);

    const std::string& discovery_topic() const { return discovery_topic_; }

    // The discovery config for `device_id` (a JSON object).
    static std::string discovery_config(std::string_view device_id);
    // `state` as Home Assistant's JSON light state.
    static std::string encode_state(const LampState& state);
    // Home Assistant's command as a lamp/set_config payload with "client":
    // "homeassistant", or invalid_argument saying what was wrong. Fields Home
    // Assistant may add that a lamp has no use for (transition, flash, effect) are
    // ignored; a colour other than hue and saturation is refused.
    static Result<std::string> to_set_config(std::string_view command);

private:
    Publisher& broker_;
    std::string device_id_;
    std::string discovery_topic_;
};

}  // namespace lampi::lampid
