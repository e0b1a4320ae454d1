#include "lampi/color.h"

#include <algorithm>
#include <cmath>

namespace lampi {

RgbDuty hsv_to_rgb(double hue, double saturation, double value) {
    hue = std::clamp(hue, 0.0, 1.0);
    saturation = std::clamp(saturation, 0.0, 1.0);
    value = std::clamp(value, 0.0, 1.0);
    // Hue 1.0 is the same red as hue 0.0.
    double sector = std::fmod(hue * 6.0, 6.0);
    int index = static_cast<int>(sector);
    double fraction = sector - index;
    double p = value * (1.0 - saturation);
    double q = value * (1.0 - saturation * fraction);
    double t = value * (1.0 - saturation * (1.0 - fraction));
    switch (index) {
        case 0: return {value, t, p};
        case 1: return {q, value, p};
        case 2: return {p, value, t};
        case 3: return {p, q, value};
        case 4: return {t, p, value};
        default: return {value, p, q};
    }
}

HueSaturation white_of_temperature(double kelvin) {
    double t = std::clamp(kelvin, kWarmestWhiteKelvin, kCoolestWhiteKelvin) / 100.0;
    double green = std::clamp(99.4708025861 * std::log(t) - 161.1195681661, 0.0, 255.0);
    double blue = t <= 19.0 ? 0.0 : std::clamp(138.5177312231 * std::log(t - 10.0) - 305.0447927307, 0.0, 255.0);
    return {(green - blue) / (6.0 * (255.0 - blue)), 1.0 - blue / 255.0};
}

RgbDuty gamma_correct(const RgbDuty& linear, double gamma) {
    auto correct = [gamma](double channel) { return std::pow(std::clamp(channel, 0.0, 1.0), gamma); };
    return {correct(linear.red), correct(linear.green), correct(linear.blue)};
}

RgbDuty duty_for(const LampState& state, double gamma) {
    if (!state.on) return {};
    return gamma_correct(hsv_to_rgb(state.hue, state.saturation, state.brightness), gamma);
}

}  // namespace lampi
