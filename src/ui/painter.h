// Draws one frame of the screen with SDL2's 2D renderer: the colour swatch,
// the power switch, the association panel, and sliders whose tracks show the
// colour each position would give.
//
// The colours are public so tests can check pixels against what was meant.
#pragma once

#include <cstdint>
#include <string>

#include "layout.h"
#include "screen_model.h"

struct SDL_Renderer;

namespace lampi::ui {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb&) const = default;
};

inline constexpr Rgb kBackground{18, 18, 24};
inline constexpr Rgb kPanel{40, 40, 52};
inline constexpr Rgb kText{235, 235, 235};
inline constexpr Rgb kOnline{60, 200, 90};
inline constexpr Rgb kOffline{230, 80, 70};
inline constexpr Rgb kSwitchOff{90, 90, 100};
inline constexpr Rgb kThumb{250, 250, 250};
inline constexpr Rgb kAllow = kOnline;
inline constexpr Rgb kDeny = kOffline;

// What the lamp's LED shows, as a screen colour: no gamma here, the display
// applies its own (lampid gamma-corrects only the LED's duty cycles).
Rgb lamp_colour(const LampState& lamp);
// The colour a track shows at `position`: the lamp's colour with that slider at
// `position`. Hue and saturation tracks are shown at full brightness, so they
// stay readable on a dimmed lamp.
Rgb track_colour(const LampState& lamp, Slider slider, double position);

const char* slider_label(Slider slider);
std::string cloud_text(const ScreenView& view);
std::string claim_text(const ScreenView& view);
inline constexpr const char* kInstruction = "ENTER IT ON THE LAMPI WEB PAGE";
inline constexpr const char* kClaimedMessage = "CLAIMED BY ITS OWNER";
std::string pairing_question(const PairingRequest& request);
inline constexpr const char* kPairingCheck = "CHECK THAT THE PHONE SHOWS";
inline constexpr const char* kAllowLabel = "ALLOW";
inline constexpr const char* kDenyLabel = "DENY";

void paint(SDL_Renderer* renderer, const Layout& layout, const ScreenView& view);

}  // namespace lampi::ui
