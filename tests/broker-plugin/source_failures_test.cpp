#include "source_failures.h"

#include <gtest/gtest.h>

namespace lampi::broker {
namespace {

using namespace std::chrono_literals;

TEST(SourceFailures, CountsPerSourceAndOnlyQuietTimeResetsIt) {
    SourceFailures failures(10min);
    auto t = SourceFailures::Clock::now();
    EXPECT_EQ(failures.record("10.0.0.1", t), 1u);
    EXPECT_EQ(failures.record("10.0.0.1", t + 5min), 2u);
    EXPECT_EQ(failures.record("10.0.0.2", t + 5min), 1u);
    EXPECT_EQ(failures.record("10.0.0.1", t + 14min), 3u);  // never quiet for 10 min
    EXPECT_EQ(failures.record("10.0.0.1", t + 25min), 1u);
}

TEST(SourceFailures, StaysBoundedUnderManySources) {
    SourceFailures failures(10min, 100);
    auto t = SourceFailures::Clock::now();
    for (int i = 0; i < 1000; ++i) failures.record("10.0.0." + std::to_string(i), t);
    EXPECT_LE(failures.sources(), 100u);
}

TEST(SourceFailures, LogsThe1st10th100th) {
    EXPECT_TRUE(SourceFailures::worth_logging(1));
    EXPECT_FALSE(SourceFailures::worth_logging(2));
    EXPECT_TRUE(SourceFailures::worth_logging(10));
    EXPECT_FALSE(SourceFailures::worth_logging(11));
    EXPECT_TRUE(SourceFailures::worth_logging(1000));
}

}  // namespace
}  // namespace lampi::broker
