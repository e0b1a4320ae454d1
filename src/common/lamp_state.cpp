#include "lampi/lamp_state.h"

#include <algorithm>

namespace lampi {
namespace {

double clamp_unit(double value) { return std::clamp(value, 0.0, 1.0); }

}  // namespace

bool apply_update(LampState& state, const LampUpdate& update) {
    LampState next = state;
    if (update.on) next.on = *update.on;
    if (update.hue) next.hue = clamp_unit(*update.hue);
    if (update.saturation) next.saturation = clamp_unit(*update.saturation);
    if (update.brightness) next.brightness = clamp_unit(*update.brightness);
    if (next.same_settings(state)) return false;
    if (update.client) next.client = *update.client;
    next.version = state.version + 1;
    state = std::move(next);
    return true;
}

}  // namespace lampi
