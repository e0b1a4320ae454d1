// LampStates spelled in one line, for the tests of everything that shows, sends
// or stores a lamp's state.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "lampi/lamp_state.h"

namespace lampi::testing {

// These settings; who changed it last and its version as a fresh state has them.
inline LampState lamp_state(bool on, double hue, double saturation, double brightness) {
    LampState state;
    state.on = on;
    state.hue = hue;
    state.saturation = saturation;
    state.brightness = brightness;
    return state;
}

inline LampState lamp_state(bool on, double hue, double saturation, double brightness, std::string client,
                            std::uint64_t version) {
    LampState state = lamp_state(on, hue, saturation, brightness);
    state.client = std::move(client);
    state.version = version;
    return state;
}

}  // namespace lampi::testing
