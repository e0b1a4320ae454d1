#include "lampi/lamp_state.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

TEST(ApplyUpdate, ChangesOnlyTheGivenFieldsAndBumpsTheVersion) {
    LampState state;
    LampUpdate update;
    update.on = true;
    update.hue = 0.25;
    update.client = "phone";
    ASSERT_TRUE(apply_update(state, update));
    EXPECT_TRUE(state.on);
    EXPECT_DOUBLE_EQ(state.hue, 0.25);
    EXPECT_DOUBLE_EQ(state.saturation, 0.0);
    EXPECT_DOUBLE_EQ(state.brightness, 1.0);
    EXPECT_EQ(state.client, "phone");
    EXPECT_EQ(state.version, 1u);
}

TEST(ApplyUpdate, ClampsOutOfRangeValuesToTheNearestBound) {
    // Start away from both bounds and from the defaults, so code that ignores an
    // out-of-range value (and keeps the old one) fails as surely as code that
    // stores it unclamped.
    LampState state;
    state.hue = 0.25;
    state.saturation = 0.5;
    state.brightness = 0.5;
    LampUpdate above;
    above.hue = 1.5;
    above.saturation = 9.0;
    above.brightness = 7.0;
    ASSERT_TRUE(apply_update(state, above));
    EXPECT_DOUBLE_EQ(state.hue, 1.0);
    EXPECT_DOUBLE_EQ(state.saturation, 1.0);
    EXPECT_DOUBLE_EQ(state.brightness, 1.0);

    LampUpdate below;
    below.hue = -0.5;
    below.saturation = -3.0;
    below.brightness = -1.0;
    ASSERT_TRUE(apply_update(state, below));
    EXPECT_DOUBLE_EQ(state.hue, 0.0);
    EXPECT_DOUBLE_EQ(state.saturation, 0.0);
    EXPECT_DOUBLE_EQ(state.brightness, 0.0);
}

TEST(ApplyUpdate, AnUpdateThatChangesNothingKeepsTheVersionAndClient) {
    LampState state;
    state.on = true;
    state.version = 41;
    LampUpdate same;
    same.on = true;
    same.client = "web";
    EXPECT_FALSE(apply_update(state, same));
    EXPECT_EQ(state.version, 41u);
    EXPECT_EQ(state.client, "lamp_service");
    EXPECT_FALSE(apply_update(state, LampUpdate{}));
}

}  // namespace
}  // namespace lampi
