#include "stats/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lampi::load {
namespace {

TEST(Histogram, PercentilesStayWithinTheBucketPrecision) {
    Histogram h;
    for (std::int64_t v = 1; v <= 100'000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
    EXPECT_EQ(h.count(), 100'000u);
    EXPECT_EQ(h.min(), 1000);
    EXPECT_EQ(h.max(), 100'000'000);
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        double expected = q * 100'000 * 1000;
        EXPECT_NEAR(static_cast<double>(h.percentile(q)), expected, expected / 64) << "quantile " << q;
    }
    EXPECT_EQ(h.percentile(1.0), h.max());
}

TEST(Histogram, MeanAndStddevAreExact) {
    Histogram h;
    for (std::int64_t v : {2, 4, 4, 4, 5, 5, 7, 9}) h.record(v);
    EXPECT_DOUBLE_EQ(h.mean(), 5.0);
    EXPECT_DOUBLE_EQ(h.stddev(), 2.0);
}

TEST(Histogram, MergingEqualsRecordingEverythingInOne) {
    Histogram a, b, all;
    for (std::int64_t v = 0; v < 1000; ++v) {
        (v % 2 ? a : b).record(v * 37);
        all.record(v * 37);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), all.count());
    EXPECT_EQ(a.percentile(0.99), all.percentile(0.99));
    EXPECT_EQ(a.min(), all.min());
    EXPECT_EQ(a.max(), all.max());
}

// A controller makes each second's histogram from a worker's cumulative ones.
TEST(Histogram, WhatWasRecordedSinceAnOlderStateIsExactlyTheNewValues) {
    Histogram run, second;
    for (std::int64_t v = 1; v <= 1000; ++v) run.record(v * 1000);
    const Histogram earlier = run;
    for (std::int64_t v = 1; v <= 500; ++v) {
        run.record(v * 3000 + 7);  // overlapping the first values, and past their max
        second.record(v * 3000 + 7);
    }
    Histogram gained = run.since(earlier);
    EXPECT_EQ(gained.count(), second.count());
    EXPECT_DOUBLE_EQ(gained.mean(), second.mean());
    for (double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_EQ(gained.percentile(q), second.percentile(q)) << q;
    EXPECT_EQ(gained.max(), second.max());  // the run's own max, recorded since
    EXPECT_NEAR(static_cast<double>(gained.min()), static_cast<double>(second.min()), second.min() / 64.0);

    EXPECT_EQ(run.since(run).count(), 0u);
    EXPECT_EQ(run.since(Histogram()).count(), run.count());
    EXPECT_EQ(earlier.since(run).count(), 0u) << "a newer state is not an older one: nothing was gained";
}

TEST(Histogram, EmptyReportsZeros) {
    Histogram h;
    EXPECT_EQ(h.percentile(0.99), 0);
    EXPECT_EQ(h.max(), 0);
    EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace lampi::load
