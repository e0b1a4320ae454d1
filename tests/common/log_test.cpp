#include "lampi/log.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

TEST(LogInitFromOption, SetsTheLevelTheOptionNames) {
    ASSERT_TRUE(log::init_from_option("lampi-test", "warn"));
    EXPECT_TRUE(log::enabled(log::Level::warn));
    EXPECT_FALSE(log::enabled(log::Level::info));
    ASSERT_TRUE(log::init_from_option("lampi-test", "debug", "lampi-test[b827eb74663e]"));
    EXPECT_TRUE(log::enabled(log::Level::debug));
}

TEST(LogInitFromOption, ABadLevelIsRefusedAndSaidOnStderrWithTheProgramName) {
    ::testing::internal::CaptureStderr();
    EXPECT_FALSE(log::init_from_option("lampi-test", "loud"));
    std::string said = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(said.find("lampi-test: unknown log level \"loud\""), std::string::npos) << said;
}

}  // namespace
}  // namespace lampi
