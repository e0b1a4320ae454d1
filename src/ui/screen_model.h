// ScreenModel: what the screen shows, from what the lamp announces and what the
// user's finger is doing.
//
// Contract: the lamp's own announcements (lamp/changed) are the truth, except
// for the slider under the user's finger. While a slider is dragged it shows the
// drag, whatever the lamp says. After the finger lifts, the slider holds the
// last value it sent until the lamp's echo of that value arrives, another
// client changes the lamp, or a short hold expires. Without the hold, echoes of
// the drag's earlier commands (still in flight when the finger lifts) would pull
// the slider back and forth. Announcements with a version not above the last
// one are dropped (DESIGN.md: versions only grow). Not thread-safe: the screen's
// event loop owns it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "lampi/lamp_codec.h"
#include "lampi/lamp_state.h"
#include "lampi/pairing_codec.h"
#include "layout.h"

namespace lampi::ui {

using SteadyTime = std::chrono::steady_clock::time_point;

// How long a released slider waits for the echo of its last command.
inline constexpr std::chrono::milliseconds kEchoHold{1000};

double setting(const LampState& state, Slider slider);
void set_setting(LampState& state, Slider slider, double value);

// A phone asking to pair over Bluetooth (lampi-ble's prompt), shown until it is
// answered, withdrawn or expires.
struct PairingRequest {
    std::string id;
    std::string passkey;  // six digits
    std::string label;    // the device, as lampi-ble names it
    SteadyTime expires;
};

// Everything the painter needs for one frame.
struct ScreenView {
    std::optional<PairingRequest> pairing;  // drawn over everything else
    std::optional<LampState> lamp;  // nullopt until the first lamp/changed
    std::optional<Association> association;
    std::optional<bool> cloud_online;  // the bridge's state; nullopt: never heard
    bool connected = false;            // to the lamp's broker
};

class ScreenModel {
public:
    explicit ScreenModel(std::string own_client) : own_client_(std::move(own_client)) {}

    // Each returns true when what the screen shows changed.
    bool on_changed(const LampState& incoming);
    bool on_association(const Association& association);
    bool on_cloud(bool online);
    bool on_connection(bool connected);
    // A prompt shows (replacing any other); a withdrawal hides the prompt it names.
    bool on_pairing(const PairingPrompt& prompt, SteadyTime now);
    // Hides the prompt once it has expired.
    bool expire_pairing(SteadyTime now);
    // Hides the prompt the user just answered.
    void pairing_answered() { last_.pairing.reset(); }

    void begin_drag(Slider slider, double value);
    bool drag_to(double value);
    void end_drag(SteadyTime now);
    // Lets go of a held value whose echo never came; true when the screen changed.
    bool expire_hold(SteadyTime now);
    std::optional<SteadyTime> hold_deadline() const;

    std::optional<Slider> dragging() const { return dragging_; }
    double drag_value() const { return drag_value_; }
    // The lamp as the screen shows it (the drag or hold applied).
    ScreenView view() const;

private:
    struct Held {
        Slider slider;
        double value;
        SteadyTime until;
    };
    std::string own_client_;
    ScreenView last_;  // as announced
    std::optional<Slider> dragging_;
    double drag_value_ = 0.0;
    std::optional<Held> held_;
};

// Paces a stream of commands to at most one per `gap`.
class CommandPacer {
public:
    explicit CommandPacer(std::chrono::milliseconds gap) : gap_(gap) {}
    // Zero when a command may go now, otherwise how long to wait.
    std::chrono::milliseconds wait(SteadyTime now) const {
        if (!last_) return std::chrono::milliseconds(0);
        auto left = std::chrono::ceil<std::chrono::milliseconds>(*last_ + gap_ - now);
        return std::max(left, std::chrono::milliseconds(0));
    }
    void sent(SteadyTime now) { last_ = now; }

private:
    std::chrono::milliseconds gap_;
    std::optional<SteadyTime> last_;
};

}  // namespace lampi::ui
