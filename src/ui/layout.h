// Where everything sits on a screen of a given size, in window pixels.
//
// One function places every control, so drawing, hit testing and the
// screenshot tests agree on where a thing is. Sizes follow the screen: at
// 800x480 (the 7" display) a slider's track is 51 px (~10 mm) tall, at 480x320
// 34 px, and a press counts a little around it (TouchController::touch_area).
#pragma once

#include <array>
#include <string_view>

namespace lampi::ui {

struct Rect {
    int x = 0, y = 0, w = 0, h = 0;
    int right() const { return x + w; }
    int bottom() const { return y + h; }
    bool contains(int px, int py) const { return px >= x && px < x + w && py >= y && py < y + h; }
    int center_x() const { return x + w / 2; }
    int center_y() const { return y + h / 2; }
};

enum class Slider { hue, saturation, brightness };
inline constexpr std::array<Slider, 3> kSliders = {Slider::hue, Slider::saturation, Slider::brightness};

struct SliderLayout {
    Rect label;
    Rect track;
};

struct Layout {
    int width = 0, height = 0;
    Rect cloud_text;                      // the bridge's state, top left
    Rect claim_text;                      // claimed or not, top right
    Rect swatch;                          // the current colour
    Rect power;                           // the on/off switch
    Rect panel;                           // the association code, or that the lamp is claimed
    Rect code_text;                       // the code, inside the panel
    Rect instruction;                     // one line under the code
    std::array<SliderLayout, 3> sliders;  // in kSliders order
    // The pairing prompt, over everything: a question, a line, the passkey large, two buttons.
    Rect pairing_panel;
    Rect pairing_question;  // PAIR WITH <LABEL>?
    Rect pairing_check;     // CHECK THAT THE PHONE SHOWS
    Rect pairing_passkey;
    Rect allow;
    Rect deny;

    const SliderLayout& slider(Slider s) const { return sliders[static_cast<int>(s)]; }
};

Layout compute_layout(int width, int height);

// The x of a slider value (0..1) on a track, and back (clamped to 0..1).
int track_x(const Rect& track, double value);
double track_value(const Rect& track, int x);

// Text drawn with the bitmap font at an integer scale, as large as fits `box`.
enum class Align { left, center, right };
struct TextPlacement {
    int x = 0, y = 0;
    int scale = 0;  // 0: the text does not fit even at scale 1 and is not drawn
};
TextPlacement place_text(const Rect& box, std::string_view text, Align align, int max_scale = 64);

}  // namespace lampi::ui
