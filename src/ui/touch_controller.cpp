#include "touch_controller.h"

namespace lampi::ui {

TouchController::TouchController(ScreenModel& model, const Layout& layout, std::string client, Hooks hooks,
                                 std::chrono::milliseconds gap)
    : model_(model), layout_(layout), client_(std::move(client)), hooks_(std::move(hooks)), pacer_(gap) {}

Rect TouchController::touch_area(const Rect& track) {
    const int pad = track.h / 4;
    return {track.x - track.h / 2, track.y - pad, track.w + track.h, track.h + 2 * pad};
}

bool TouchController::press(int x, int y, SteadyTime now) {
    const ScreenView view = model_.view();
    if (view.pairing) {
        const bool allow = layout_.allow.contains(x, y);
        if (!allow && !layout_.deny.contains(x, y)) return false;
        hooks_.answer_pairing(PairingAnswer{view.pairing->id, allow});
        model_.pairing_answered();
        return true;
    }
    if (!view.lamp) return false;  // nothing to control before the lamp has spoken
    if (layout_.power.contains(x, y)) {
        LampUpdate toggle;
        toggle.on = !view.lamp->on;
        toggle.client = client_;
        hooks_.send(toggle);
        return false;  // the switch moves when the lamp says it did
    }
    for (Slider slider : kSliders) {
        const Rect& track = layout_.slider(slider).track;
        if (!touch_area(track).contains(x, y)) continue;
        model_.begin_drag(slider, track_value(track, x));
        last_sent_.reset();
        send_paced(now);
        return true;
    }
    return false;
}

bool TouchController::move(int x, int /*y*/, SteadyTime now) {
    const std::optional<Slider> slider = model_.dragging();
    if (!slider) return false;
    if (!model_.drag_to(track_value(layout_.slider(*slider).track, x))) return false;
    send_paced(now);
    return true;
}

bool TouchController::release(int x, int y, SteadyTime now) {
    if (!model_.dragging()) return false;
    move(x, y, now);
    if (last_sent_ != model_.drag_value()) send_value(now);
    model_.end_drag(now);
    hooks_.wake_after(kEchoHold + std::chrono::milliseconds(1));
    return true;
}

bool TouchController::timer(SteadyTime now) {
    timer_pending_ = false;
    const bool expired = model_.expire_pairing(now);
    if (model_.dragging() && last_sent_ != model_.drag_value()) send_paced(now);
    return model_.expire_hold(now) || expired;
}

void TouchController::send_paced(SteadyTime now) {
    const std::chrono::milliseconds wait = pacer_.wait(now);
    if (wait.count() == 0) {
        send_value(now);
    } else if (!timer_pending_) {
        timer_pending_ = true;
        hooks_.wake_after(wait);
    }
}

void TouchController::send_value(SteadyTime now) {
    const Slider slider = *model_.dragging();
    const double value = model_.drag_value();
    LampUpdate update;
    update.client = client_;
    switch (slider) {
        case Slider::hue: update.hue = value; break;
        case Slider::saturation: update.saturation = value; break;
        case Slider::brightness: update.brightness = value; break;
    }
    hooks_.send(update);
    last_sent_ = value;
    pacer_.sent(now);
}

}  // namespace lampi::ui
