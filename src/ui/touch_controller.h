// TouchController: from taps and drags on the screen to set_config commands.
//
// A tap on the switch toggles the lamp. A press on a slider's row starts a
// drag: its value follows the finger at once on screen, while commands go out
// at most one per kCommandGap (about 30 a second, what the lamp and the bridge
// to the cloud carry without queueing); the value reached between two
// commands waits for a timer, so the last position is never lost. Lifting the
// finger sends the final value at once. While a pairing prompt shows it is the
// only thing that takes a press: Allow or Deny answers it. Single-threaded: the event loop calls
// it; `wake_after` asks that loop to call timer() later.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "layout.h"
#include "screen_model.h"

namespace lampi::ui {

inline constexpr std::chrono::milliseconds kCommandGap{34};

class TouchController {
public:
    struct Hooks {
        std::function<void(const LampUpdate&)> send;
        std::function<void(std::chrono::milliseconds)> wake_after;
        std::function<void(const PairingAnswer&)> answer_pairing;
    };

    TouchController(ScreenModel& model, const Layout& layout, std::string client, Hooks hooks,
                    std::chrono::milliseconds gap = kCommandGap);

    // Each returns true when the screen must be redrawn.
    bool press(int x, int y, SteadyTime now);
    bool move(int x, int y, SteadyTime now);
    bool release(int x, int y, SteadyTime now);
    bool timer(SteadyTime now);

    // The area that starts a drag: the track with room for a fingertip around it.
    static Rect touch_area(const Rect& track);

private:
    void send_paced(SteadyTime now);
    void send_value(SteadyTime now);

    ScreenModel& model_;
    const Layout& layout_;
    std::string client_;
    Hooks hooks_;
    CommandPacer pacer_;
    std::optional<double> last_sent_;
    bool timer_pending_ = false;
};

}  // namespace lampi::ui
