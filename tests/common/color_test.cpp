#include "lampi/color.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

void expect_rgb(const RgbDuty& rgb, double r, double g, double b) {
    EXPECT_NEAR(rgb.red, r, 1e-9);
    EXPECT_NEAR(rgb.green, g, 1e-9);
    EXPECT_NEAR(rgb.blue, b, 1e-9);
}

TEST(HsvToRgb, PrimaryAndSecondaryHues) {
    expect_rgb(hsv_to_rgb(0.0, 1.0, 1.0), 1, 0, 0);
    expect_rgb(hsv_to_rgb(1.0 / 6, 1.0, 1.0), 1, 1, 0);
    expect_rgb(hsv_to_rgb(2.0 / 6, 1.0, 1.0), 0, 1, 0);
    expect_rgb(hsv_to_rgb(3.0 / 6, 1.0, 1.0), 0, 1, 1);
    expect_rgb(hsv_to_rgb(4.0 / 6, 1.0, 1.0), 0, 0, 1);
    expect_rgb(hsv_to_rgb(5.0 / 6, 1.0, 1.0), 1, 0, 1);
    expect_rgb(hsv_to_rgb(1.0, 1.0, 1.0), 1, 0, 0);  // hue wraps
}

TEST(HsvToRgb, SaturationZeroIsWhiteScaledByValue) { expect_rgb(hsv_to_rgb(0.3, 0.0, 0.5), 0.5, 0.5, 0.5); }

TEST(GammaCorrect, KeepsEndsAndDarkensMidtones) {
    RgbDuty corrected = gamma_correct({0.0, 0.5, 1.0}, 2.2);
    EXPECT_DOUBLE_EQ(corrected.red, 0.0);
    EXPECT_NEAR(corrected.green, 0.2176376, 1e-6);
    EXPECT_DOUBLE_EQ(corrected.blue, 1.0);
}

TEST(DutyFor, LampOffMeansAllChannelsOff) {
    LampState state;
    state.on = false;
    state.brightness = 1.0;
    expect_rgb(duty_for(state), 0, 0, 0);
    state.on = true;
    state.saturation = 1.0;
    expect_rgb(duty_for(state), 1, 0, 0);
}

}  // namespace
}  // namespace lampi
