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

// Perceived brightness is not linear in duty cycle; gamma 2.2 makes the
// brightness slider feel even.
inline constexpr double kDefaultGamma = 2.2;
RgbDuty gamma_correct(const RgbDuty& linear, double gamma = kDefaultGamma);

// What the LED should show for a state: all channels off when the lamp is off.
RgbDuty duty_for(const LampState& state, double gamma = kDefaultGamma);

}  // namespace lampi
