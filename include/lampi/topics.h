// Topic names of the MQTT contract (DESIGN.md), on the lamp and in the cloud.
#pragma once

#include <string>
#include <string_view>

namespace lampi::topics {

inline constexpr std::string_view kSetConfig = "lamp/set_config";
inline constexpr std::string_view kChanged = "lamp/changed";
inline constexpr std::string_view kAssociated = "lamp/associated";
// lampid's health (retained JSON, lamp_codec.h): whether its changes are saved.
inline constexpr std::string_view kHealth = "lamp/health";
inline constexpr std::string_view kConnectionStatePattern = "lamp/connection/+/state";
// The lamp service's own client id, as in the original system.
inline constexpr std::string_view kLampServiceClient = "lamp_service";
// The lamp broker's bridge to the cloud: its notifications go to
// devices/<id>/lamp/connection/bridge/state, on the lamp's broker and in the cloud.
inline constexpr std::string_view kBridgeClient = "bridge";
inline constexpr std::string_view kOnline = "1";
inline constexpr std::string_view kOffline = "0";

// lamp/connection/<client_id>/state
std::string connection_state(std::string_view client_id);

// The cloud-side name of a lamp-local topic: devices/<device_id>/<local_topic>.
std::string cloud(std::string_view device_id, std::string_view local_topic);

// The prefix the bridge adds in the cloud: devices/<device_id>/
std::string cloud_prefix(std::string_view device_id);

}  // namespace lampi::topics
