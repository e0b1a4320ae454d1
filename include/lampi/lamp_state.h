// The lamp's state and the partial updates that change it.
//
// Every number is kept in 0..1 (DESIGN.md, "MQTT contract"). LampState::apply
// is the only place an update touches a state, so the clamping rules live here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lampi {

struct LampState {
    bool on = false;
    double hue = 0.0;
    double saturation = 0.0;
    double brightness = 1.0;
    // Who caused the last change (the "client" field of set_config).
    std::string client = "lamp_service";
    // Grows by one with every change and survives restarts.
    std::uint64_t version = 0;
    // When the newest applied change was sent, in milliseconds since the Unix
    // epoch (0: unknown). lampid drops commands sent before it (src/lampid/README.md).
    std::int64_t changed_at = 0;

    bool same_settings(const LampState& other) const {
        return on == other.on && hue == other.hue && saturation == other.saturation &&
               brightness == other.brightness;
    }
};

// Any subset of the settings, as carried by lamp/set_config.
struct LampUpdate {
    std::optional<bool> on;
    std::optional<double> hue;
    std::optional<double> saturation;
    std::optional<double> brightness;
    std::optional<std::string> client;
    // When the sender sent it, in milliseconds since the Unix epoch (optional).
    std::optional<std::int64_t> sent_at;

    bool empty() const { return !on && !hue && !saturation && !brightness; }
};

// Applies `update` to `state`: values are clamped to 0..1, the client recorded and
// the version bumped. Returns false (and leaves `state` untouched) when the update
// changes no setting, so repeated commands do not churn the version.
bool apply_update(LampState& state, const LampUpdate& update);

}  // namespace lampi
