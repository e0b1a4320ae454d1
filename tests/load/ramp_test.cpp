// The ramp to failure on its own: the --stop-when language, the user target
// the drivers follow, and how steps close and where the knee falls.
#include <gtest/gtest.h>

#include "ramp/load_target.h"
#include "ramp/ramp.h"
#include "ramp/stop_condition.h"

namespace {

// The ramp's parts named here, as each test file names what it uses.
using lampi::load::Histogram;
using lampi::load::LoadTarget;
using lampi::load::Ramp;
using lampi::load::RampOptions;
using lampi::load::share_of;
using lampi::load::StepWindow;
using lampi::load::StopCondition;

constexpr std::int64_t kMs = 1'000'000;

StepWindow window_of(std::int64_t latency_ms, std::uint64_t operations, std::uint64_t failures) {
    StepWindow w;
    for (std::uint64_t i = 0; i < operations; ++i) w.latency.record(latency_ms * kMs);
    w.operations = operations;
    w.failures = failures;
    return w;
}

StopCondition parsed(const std::string& text) {
    auto c = StopCondition::parse(text);
    EXPECT_TRUE(c) << text << ": " << c.status().message();
    return c ? *c : StopCondition{};
}

TEST(StopCondition, PercentileAndFailureTestsJoinedByOrHoldWhenEitherDoes) {
    StopCondition c = parsed("p95>500ms or fail>1%");
    EXPECT_FALSE(c.holds(window_of(100, 1000, 0)));
    std::string why;
    EXPECT_TRUE(c.holds(window_of(600, 1000, 0), &why));
    EXPECT_NE(why.find("p95"), std::string::npos) << why;
    EXPECT_TRUE(c.holds(window_of(100, 1000, 20), &why));
    EXPECT_NE(why.find("fail 2%"), std::string::npos) << why;
    EXPECT_FALSE(c.holds(window_of(100, 1000, 10)));  // exactly 1 % is not above 1 %
}

TEST(StopCondition, AndBindsTighterThanOr) {
    // (avg>100ms and fail>=5%) or max>=2s
    StopCondition c = parsed("avg>100ms and fail>=5% or max>=2s");
    EXPECT_FALSE(c.holds(window_of(200, 100, 1)));
    EXPECT_TRUE(c.holds(window_of(200, 100, 5)));
    EXPECT_TRUE(c.holds(window_of(2100, 100, 0)));
}

TEST(StopCondition, UnitsCaseAndSpacesAreUnderstood) {
    EXPECT_TRUE(parsed("P99.9 >= 0.5S").holds(window_of(600, 10, 0)));
    EXPECT_FALSE(parsed("p50<900us").holds(window_of(2, 10, 0)));
    EXPECT_TRUE(parsed("  p50 <= 2 ms  ").holds(window_of(1, 10, 0)));
    EXPECT_TRUE(parsed("p95 > 5 ms or fail > 1 %").holds(window_of(6, 10, 0)));
}

TEST(StopCondition, AnEmptyWindowMeetsNoLatencyOrFailureThreshold) {
    EXPECT_FALSE(parsed("p95>500ms or fail>1%").holds(StepWindow{}));
}

TEST(StopCondition, MalformedConditionsSayWhatIsWrongAndShowAnExample) {
    struct Case {
        const char* text;
        const char* says;
    };
    for (const Case& k : {Case{"", "empty"}, Case{"p95>500", "time unit"}, Case{"fail>1", "in %"},
                          Case{"p95 500ms", "expected >"}, Case{"latency>5ms", "expected a measure"},
                          Case{"p100>5ms", "not a percentile"}, Case{"p95>ms", "expected a number"},
                          Case{"p95>5ms nor fail>1%", "'and' or 'or'"}, Case{"p95>5ms or", "missing"}, Case{"p95>5 or fail>1%", "time unit"},
                          Case{"p95>-5ms", "expected a number"}}) {
        auto c = StopCondition::parse(k.text);
        ASSERT_FALSE(c) << k.text;
        EXPECT_NE(c.status().message().find(k.says), std::string::npos) << k.text << ": " << c.status().message();
        EXPECT_NE(c.status().message().find("e.g. --stop-when 'p95>500ms or fail>1%'"), std::string::npos);
    }
}

TEST(LoadTarget, AFixedTargetStartsUserKAtKOverTheRateAsBefore) {
    LoadTarget target(10, 2);  // 2 users a second
    LoadTarget::Plan plan = target.plan();
    EXPECT_EQ(plan.due(0, 0), 1);  // user 0 at once
    EXPECT_EQ(plan.due(499 * kMs, 0), 1);
    EXPECT_EQ(plan.due(500 * kMs, 0), 2);
    EXPECT_EQ(plan.due(100'000 * kMs, 0), 10);
    target.reset(3, 1);  // before the run: as if constructed so
    EXPECT_EQ(target.plan().due(0, 0), 1);
    EXPECT_EQ(target.plan().due(1'000 * kMs, 0), 2);
    EXPECT_EQ(share_of(10, 0, 3), 4);  // users 0 3 6 9
    EXPECT_EQ(share_of(10, 2, 3), 3);  // users 2 5 8
    EXPECT_EQ(share_of(1, 1, 3), 0);
}

TEST(LoadTarget, ARaiseStartsFromWhereTheRunIsAndALowerTargetIsDueAtOnce) {
    LoadTarget target(4, 10);
    std::uint64_t before = target.generation();
    target.set(8, 1, 1'000 * kMs, 0);  // 4 already due; 1 more each second
    EXPECT_NE(target.generation(), before);
    LoadTarget::Plan plan = target.plan();
    EXPECT_EQ(plan.due(1'000 * kMs, 0), 5);
    EXPECT_EQ(plan.due(3'000 * kMs, 0), 7);
    EXPECT_EQ(plan.due(60'000 * kMs, 0), 8);
    target.set(2, 1, 61'000 * kMs, 0);
    EXPECT_EQ(target.plan().due(61'000 * kMs, 0), 2);
}

RampOptions steps_of(int users, double seconds, int ceiling, const std::string& condition) {
    RampOptions options;
    options.step_users = users;
    options.step_time_s = seconds;
    options.max_users = ceiling;
    options.condition = parsed(condition);
    return options;
}

// Feeds the ramp `seconds` one-second samples whose latency depends on the users.
bool feed(Ramp& ramp, LoadTarget& target, double& t, int seconds, std::int64_t (*latency_ms)(int users)) {
    for (int i = 0; i < seconds; ++i) {
        t += 1;
        int users = target.plan().users;
        Histogram h;
        for (int k = 0; k < 100; ++k) h.record(latency_ms(users) * kMs);
        if (ramp.add(t, 1, h, 100, 0, static_cast<std::int64_t>(t * 1e9), 0)) return true;
    }
    return false;
}

// Runs a ramp for `seconds` samples at most: whether it asked to stop, and what it found.
std::pair<bool, lampi::load::RampReport> ramp_for(RampOptions options, int seconds,
                                                  std::int64_t (*latency_ms)(int users)) {
    LoadTarget target(0, 0);
    Ramp ramp(std::move(options), target);
    ramp.start();
    double t = 0;
    bool stopped = feed(ramp, target, t, seconds, latency_ms);
    return {stopped, ramp.finish(t)};
}

TEST(Ramp, StepsUpUntilTheConditionHoldsAndTheKneeIsTheStepBefore) {
    // 19 ms a user: 25 users give 475 ms, 30 give 570 ms.
    auto [stopped, report] = ramp_for(steps_of(5, 3, 1000, "p95>500ms"), 100,
                                      [](int users) -> std::int64_t { return users * 19; });
    EXPECT_TRUE(stopped);
    EXPECT_EQ(report.steps.front().users, 5);
    ASSERT_EQ(report.steps.size(), 6u);
    EXPECT_EQ(report.steps.back().users, 30);
    EXPECT_TRUE(report.steps.back().stopped);
    ASSERT_TRUE(report.knee_users);
    EXPECT_EQ(*report.knee_users, 25);
    EXPECT_NEAR(report.steps[0].duration_s, 3, 0.01);
    EXPECT_NE(report.outcome.find("held at 30 users"), std::string::npos) << report.outcome;
}

TEST(Ramp, StopsAtTheCeilingWhenTheConditionNeverHolds) {
    auto [stopped, report] = ramp_for(steps_of(4, 2, 10, "fail>1%"), 100, [](int) -> std::int64_t { return 1; });
    EXPECT_TRUE(stopped);
    ASSERT_EQ(report.steps.size(), 3u);  // 4, 8, then the ceiling 10
    EXPECT_EQ(report.steps.back().users, 10);
    EXPECT_EQ(*report.knee_users, 10);
    EXPECT_NE(report.outcome.find("ceiling"), std::string::npos);
}

TEST(Ramp, AStepCutShortByTheEndOfTheRunIsShownButIsNoKnee) {
    auto [stopped, report] = ramp_for(steps_of(1, 10, 100, "p95>1s"), 14, [](int) -> std::int64_t { return 1; });
    EXPECT_FALSE(stopped);
    ASSERT_EQ(report.steps.size(), 2u);
    EXPECT_EQ(*report.knee_users, 1);
    EXPECT_NE(report.outcome.find("ended before"), std::string::npos);
}

// A step in which nothing finished (a target that answers nothing, or think
// times longer than the step) says nothing of the load: it is shown, not judged,
// and no knee, however quiet its figures.
TEST(Ramp, AStepInWhichNothingFinishedIsNotJudgedAndIsNoKnee) {
    LoadTarget target(0, 0);
    Ramp ramp(steps_of(2, 2, 4, "p95>1s"), target);
    ramp.start();
    for (double t = 1; t <= 2; ++t) ramp.add(t, 1, Histogram{}, 0, 0, static_cast<std::int64_t>(t * 1e9), 0);
    lampi::load::RampReport report = ramp.finish(2);
    ASSERT_EQ(report.steps.size(), 1u);
    EXPECT_FALSE(report.steps[0].judged);
    EXPECT_FALSE(report.steps[0].stopped);
    EXPECT_NE(report.steps[0].why.find("nothing finished"), std::string::npos) << report.steps[0].why;
    EXPECT_FALSE(report.knee_users) << "a step that measured nothing passed";
}

// A cluster's step whose users are not all running yet: those seconds are not
// measured and the step's time counts from its first measured one, so a step is
// judged on its whole --step-time of load (it was judged on what was left of it).
TEST(Ramp, AStepsTimeCountsFromItsFirstMeasuredInterval) {
    LoadTarget target(0, 0);
    Ramp ramp(steps_of(2, 3, 4, "p95>1s"), target);
    ramp.start();
    Histogram fast;
    for (int k = 0; k < 10; ++k) fast.record(5 * kMs);
    double t = 0;
    auto sample = [&](bool measured) {
        t += 1;
        return ramp.add(t, 1, fast, 10, 0, static_cast<std::int64_t>(t * 1e9), 0, measured);
    };
    EXPECT_FALSE(sample(false));
    EXPECT_FALSE(sample(false));
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(sample(true));
    EXPECT_EQ(target.plan().users, 2) << "the step closed before its 3 measured seconds";
    EXPECT_FALSE(sample(true));
    EXPECT_EQ(target.plan().users, 4) << "the step did not close after its 3 measured seconds";
    lampi::load::RampReport report = ramp.finish(t);
    ASSERT_GE(report.steps.size(), 1u);
    EXPECT_NEAR(report.steps[0].duration_s, 3, 0.01);
    EXPECT_EQ(report.steps[0].operations, 30u) << "the unmeasured seconds added nothing";
}

}  // namespace
