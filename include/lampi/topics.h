// Topic names of the MQTT contract (DESIGN.md), on the lamp and in the cloud,
// and the client ids the contract names. Every topic is built and taken apart
// here, so nothing else cuts topics by hand.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::topics {

inline constexpr std::string_view kSetConfig = "lamp/set_config";
inline constexpr std::string_view kChanged = "lamp/changed";
inline constexpr std::string_view kAssociated = "lamp/associated";
// lampid's health (retained JSON, lamp_codec.h): whether its changes are saved.
inline constexpr std::string_view kHealth = "lamp/health";
inline constexpr std::string_view kConnectionStatePattern = "lamp/connection/+/state";
// lampid's translation for Home Assistant's JSON light (src/lampid/home_assistant.h):
// commands in, states out, on the lamp's broker only.
inline constexpr std::string_view kHomeAssistantCommand = "lamp/homeassistant/set";
inline constexpr std::string_view kHomeAssistantState = "lamp/homeassistant/state";
// lampi-ble's pairing prompt for the lamp's screen, and the screen's answer
// (JSON, non-retained, lampi/pairing_codec.h).
inline constexpr std::string_view kBlePairing = "lamp/ble/pairing";
inline constexpr std::string_view kBlePairingAnswer = "lamp/ble/pairing/answer";
inline constexpr std::string_view kOnline = "1";
inline constexpr std::string_view kOffline = "0";

// The clients that announce themselves on a lamp's lamp/connection/<client>/state:
// the lamp service (its client id, as in the original system) and the lamp
// broker's bridge to the cloud (Mosquitto's notification topic). A lamp is online
// while both say "1".
inline constexpr std::string_view kLampServiceClient = "lamp_service";
inline constexpr std::string_view kBridgeClient = "bridge";
inline constexpr std::array<std::string_view, 2> kConnectionClients = {kLampServiceClient, kBridgeClient};
// The lamp's own screen (lampi-ui): it announces itself too, but the lamp is
// online without it.
inline constexpr std::string_view kScreenClient = "lamp_ui";
// The lamp's Bluetooth LE service (lampi-ble), likewise optional.
inline constexpr std::string_view kBleClient = "lamp_ble";
// The "client" Home Assistant's commands carry on the lamp's broker (lampid's bridge to it).
inline constexpr std::string_view kHomeAssistantClient = "homeassistant";

// The cloud broker's auth plugin publishes how many clients it holds rights for
// (retained, beside Mosquitto's own $SYS figures); lampi-cloud's /metrics shows it.
inline constexpr std::string_view kAuthPluginClients = "$SYS/broker/lampi/auth/clients";

// In the cloud a lamp's bridge connects as lamp-<device_id>.
inline constexpr std::string_view kLampClientPrefix = "lamp-";
std::string lamp_client_id(std::string_view device_id);

// lamp/connection/<client_id>/state
std::string connection_state(std::string_view client_id);

// Home Assistant's MQTT discovery topic for a lamp: <prefix>/light/<device_id>/config
std::string home_assistant_discovery(std::string_view prefix, std::string_view device_id);

// The cloud-side name of a lamp-local topic: devices/<device_id>/<local_topic>.
std::string cloud(std::string_view device_id, std::string_view local_topic);

// The prefix the bridge adds in the cloud: devices/<device_id>/
std::string cloud_prefix(std::string_view device_id);

// A cloud topic taken apart: devices/<device_id>/<local>. Both views point into
// the parsed topic.
struct LampTopic {
    std::string_view device_id;
    std::string_view local;  // the lamp-side topic, e.g. lamp/changed
};

// nullopt unless `topic` is devices/<a valid device id>/<a non-empty local topic>.
// The parts are views into `topic`: keep it alive while they are used.
std::optional<LampTopic> parse_lamp_topic(std::string_view topic);

// The <client_id> of lamp/connection/<client_id>/state, or nullopt when
// `local_topic` is not such a topic (the id is non-empty and has no '/').
std::optional<std::string_view> parse_connection_state(std::string_view local_topic);

}  // namespace lampi::topics
