// Who changed a lamp, in a few words: the "client" a lamp/changed carries has a
// value per control page load (web-<random>), so analytics counts lamp changes by
// their source (lamp_changes.source) instead, and the cloud's own commands say
// whether a person (the API) or a schedule sent them.
#pragma once

#include <string_view>

namespace lampi::cloud::lamps {

// The "client" of the cloud's commands: a person through the page or the API, or
// one of their schedules.
inline constexpr std::string_view kApiClient = "lampi-cloud";
inline constexpr std::string_view kScheduleClient = "lampi-cloud/schedule";

// One of: lamp_ui (the lamp's screen), lamp_ble (Bluetooth through the lamp's own
// service), homeassistant (Home Assistant on the lamp's broker), lamp_service (the
// lamp itself, such as the state it starts in), web (a control page), web_ble (the
// page's Bluetooth view), api, schedule, other (any other client: a tool on the
// broker names itself as it likes).
std::string_view change_source(std::string_view client);

}  // namespace lampi::cloud::lamps
