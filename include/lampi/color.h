// From the lamp's settings to colours: the PWM duty cycles of its RGB LED (lampid)
// and the colours the lamp's screen shows (lampi-ui).
#pragma once

#include "lampi/lamp_state.h"

namespace lampi {

// Duty cycles in 0..1, one per LED channel, after gamma correction.
struct RgbDuty {
    double red = 0.0;
    double green = 0.0;
    double blue = 0.0;
};

// HSV (hue, saturation, brightness as value) to linear RGB in 0..1.
RgbDuty hsv_to_rgb(double hue, double saturation, double value);

// A white of colour temperature `kelvin` as the lamp's hue and saturation (both
// 0..1; its brightness stays the lamp's own). The lamp has only an RGB LED, so a
// white is the colour of a glowing body at that temperature: Tanner Helland's fit
// of the blackbody's RGB, then that colour's HSV hue and saturation. Temperatures
// are clamped to 2000..6500 K, where the fit's red is 255 and it reads
//   t = K / 100
//   G = clamp(99.4708025861 ln t - 161.1195681661, 0, 255)
//   B = t <= 19 ? 0 : clamp(138.5177312231 ln(t - 10) - 305.0447927307, 0, 255)
//   hue = (G - B) / (6 (255 - B)),  saturation = 1 - B / 255
// The control page has the same formula (web/src/format.js; web/README.md).
inline constexpr double kWarmestWhiteKelvin = 2000.0;
inline constexpr double kCoolestWhiteKelvin = 6500.0;
struct HueSaturation {
    double hue = 0.0;
    double saturation = 0.0;
};
HueSaturation white_of_temperature(double kelvin);

// Perceived brightness is not linear in duty cycle; gamma 2.2 makes the
// brightness slider feel even.
inline constexpr double kDefaultGamma = 2.2;
RgbDuty gamma_correct(const RgbDuty& linear, double gamma = kDefaultGamma);

// What the LED should show for a state: all channels off when the lamp is off.
RgbDuty duty_for(const LampState& state, double gamma = kDefaultGamma);

}  // namespace lampi
