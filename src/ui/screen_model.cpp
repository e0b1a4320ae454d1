#include "screen_model.h"

#include <cmath>

namespace lampi::ui {
namespace {

// The codec writes doubles in full, so an echo carries exactly what was sent.
constexpr double kSameValue = 1e-9;

}  // namespace

double setting(const LampState& state, Slider slider) {
    switch (slider) {
        case Slider::hue: return state.hue;
        case Slider::saturation: return state.saturation;
        case Slider::brightness: return state.brightness;
    }
    return 0.0;
}

void set_setting(LampState& state, Slider slider, double value) {
    switch (slider) {
        case Slider::hue: state.hue = value; break;
        case Slider::saturation: state.saturation = value; break;
        case Slider::brightness: state.brightness = value; break;
    }
}

bool ScreenModel::on_changed(const LampState& incoming) {
    if (last_.lamp && incoming.version <= last_.lamp->version) return false;
    if (held_ &&
        (incoming.client != own_client_ || std::abs(setting(incoming, held_->slider) - held_->value) < kSameValue)) {
        held_.reset();
    }
    last_.lamp = incoming;
    return true;
}

bool ScreenModel::on_association(const Association& association) {
    last_.association = association;
    return true;
}

bool ScreenModel::on_cloud(bool online) {
    if (last_.cloud_online == online) return false;
    last_.cloud_online = online;
    return true;
}

bool ScreenModel::on_connection(bool connected) {
    if (last_.connected == connected) return false;
    last_.connected = connected;
    return true;
}

bool ScreenModel::on_pairing(const PairingPrompt& prompt, SteadyTime now) {
    if (prompt.withdrawn) {
        if (!last_.pairing || last_.pairing->id != prompt.id) return false;
        last_.pairing.reset();
        return true;
    }
    last_.pairing = PairingRequest{prompt.id, passkey_digits(prompt.passkey), prompt.label, now + prompt.expires_in};
    return true;
}

bool ScreenModel::expire_pairing(SteadyTime now) {
    if (!last_.pairing || now < last_.pairing->expires) return false;
    last_.pairing.reset();
    return true;
}

void ScreenModel::begin_drag(Slider slider, double value) {
    held_.reset();
    dragging_ = slider;
    drag_value_ = value;
}

bool ScreenModel::drag_to(double value) {
    if (!dragging_ || value == drag_value_) return false;
    drag_value_ = value;
    return true;
}

void ScreenModel::end_drag(SteadyTime now) {
    if (!dragging_) return;
    held_ = Held{*dragging_, drag_value_, now + kEchoHold};
    dragging_.reset();
}

bool ScreenModel::expire_hold(SteadyTime now) {
    if (!held_ || now < held_->until) return false;
    const bool differs = !last_.lamp || setting(*last_.lamp, held_->slider) != held_->value;
    held_.reset();
    return differs;
}

std::optional<SteadyTime> ScreenModel::hold_deadline() const {
    if (!held_) return std::nullopt;
    return held_->until;
}

ScreenView ScreenModel::view() const {
    ScreenView shown = last_;
    if (!shown.lamp) return shown;
    if (dragging_) set_setting(*shown.lamp, *dragging_, drag_value_);
    if (held_) set_setting(*shown.lamp, held_->slider, held_->value);
    return shown;
}

}  // namespace lampi::ui
