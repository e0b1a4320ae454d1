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

// Reference points worked out by hand from the formula in color.h (the page's
// web/test/format.test.mjs checks the same points).
TEST(WhiteOfTemperature, FollowsTheBlackbodyFromCandleToDaylight) {
    struct Point {
        double kelvin, hue, saturation;
    };
    for (const Point& p : {Point{2000, 0.0850, 0.9455}, Point{2700, 0.0789, 0.6572}, Point{4000, 0.0745, 0.3487},
                           Point{6500, 0.1368, 0.0194}}) {
        HueSaturation white = white_of_temperature(p.kelvin);
        EXPECT_NEAR(white.hue, p.hue, 5e-4) << p.kelvin << " K";
        EXPECT_NEAR(white.saturation, p.saturation, 5e-4) << p.kelvin << " K";
    }
    // Warmer is more saturated; outside 2000..6500 K the ends hold.
    EXPECT_GT(white_of_temperature(3000).saturation, white_of_temperature(3100).saturation);
    EXPECT_DOUBLE_EQ(white_of_temperature(1000).saturation, white_of_temperature(2000).saturation);
    EXPECT_DOUBLE_EQ(white_of_temperature(9000).hue, white_of_temperature(6500).hue);
}

}  // namespace
}  // namespace lampi
