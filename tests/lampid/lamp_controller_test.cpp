#include "lamp_controller.h"

#include <gtest/gtest.h>

#include "lampi/topics.h"
#include "lampid_fakes.h"

namespace lampi::lampid {
namespace {

using namespace std::chrono_literals;

class LampControllerTest : public ::testing::Test {
protected:
    LampController make(LampState initial = {}, bool unsaved = false) {
        return LampController(broker, store, led, clock.clock(), std::move(initial), unsaved);
    }
    std::vector<LampState> announced() const {
        std::vector<LampState> states;
        for (const MqttMessage& m : broker.on(topics::kChanged)) states.push_back(*decode_changed(m.payload));
        return states;
    }
    std::optional<LampHealth> last_health() const {
        auto messages = broker.on(topics::kHealth);
        if (messages.empty()) return std::nullopt;
        EXPECT_TRUE(messages.back().retain);
        return *decode_health(messages.back().payload);
    }
    static std::string brightness(double value, std::optional<std::int64_t> sent_at = std::nullopt) {
        LampUpdate update;
        update.brightness = value;
        update.client = "test";
        update.sent_at = sent_at;
        return encode_set_config(update);
    }

    testing::Broker broker;
    testing::Store store;
    testing::Led led;
    testing::ManualClock clock;
};

TEST_F(LampControllerTest, ABurstOfCommandsIsCommittedWithOneSaveAndOneAnnouncement) {
    LampController lamp = make();
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    broker.published.clear();
    for (int i = 1; i <= 50; ++i) lamp.handle_set_config(brightness(i / 100.0));
    lamp.flush();
    ASSERT_EQ(store.saved.size(), 1u);
    EXPECT_EQ(store.saved[0].version, 50u);
    auto states = announced();
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].version, 50u);
    EXPECT_DOUBLE_EQ(states[0].brightness, 0.5);
    EXPECT_EQ(lamp.stats().commits, 1u);
    // Nothing new: nothing saved or published.
    lamp.flush();
    EXPECT_EQ(store.saved.size(), 1u);
    EXPECT_EQ(announced().size(), 1u);
}

TEST_F(LampControllerTest, AStateIsAnnouncedOnlyAfterItsSaveSucceeded) {
    LampController lamp = make();
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    broker.published.clear();
    store.fail = true;
    lamp.handle_set_config(R"({"on": true, "color": {"h": 0, "s": 1}, "brightness": 1, "client": "test"})");
    lamp.flush();
    EXPECT_TRUE(announced().empty()) << "a state that was not saved was announced";
    // The LED follows anyway, and lamp/health says it is not durable.
    EXPECT_DOUBLE_EQ(led.duty.red, 1.0);
    auto health = last_health();
    ASSERT_TRUE(health);
    EXPECT_FALSE(health->durable);
    EXPECT_TRUE(health->led);
    EXPECT_NE(health->error.find("Read-only file system"), std::string::npos);
    ASSERT_TRUE(health->live);
    EXPECT_TRUE(health->live->on);
    EXPECT_EQ(health->live->client, "test");

    store.fail = false;
    clock.advance(LampController::kSaveRetry);
    lamp.flush();
    auto states = announced();
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].version, 1u);
    EXPECT_TRUE(states[0].on);
    health = last_health();
    EXPECT_TRUE(health->durable);
    EXPECT_FALSE(health->live);
    EXPECT_TRUE(health->error.empty());
}

TEST_F(LampControllerTest, TheLastCommandAndTheLastSaveAreKeptForTheOperator) {
    LampController lamp = make();
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    EXPECT_FALSE(lamp.activity().last_command);
    auto last = [&] { return *lamp.activity().last_command; };

    clock.advance(1s);
    lamp.handle_set_config(brightness(0.3));
    EXPECT_EQ(last().outcome, "applied");
    EXPECT_EQ(last().client, "test");
    EXPECT_EQ(last().at_ms, clock.wall_now_ms);
    lamp.handle_set_config(brightness(0.3));
    EXPECT_EQ(last().outcome, "unchanged");
    lamp.handle_set_config(brightness(0.4, 1));
    EXPECT_EQ(last().outcome, "stale");
    EXPECT_NE(last().reason.find("before the change applied"), std::string::npos) << last().reason;
    lamp.handle_set_config("{not json");
    EXPECT_EQ(last().outcome, "rejected");
    EXPECT_EQ(last().client, "") << "a payload that cannot be read names no client";
    EXPECT_FALSE(last().reason.empty());

    lamp.flush();
    ASSERT_TRUE(lamp.activity().last_save);
    EXPECT_TRUE(lamp.activity().last_save->ok);
    EXPECT_EQ(lamp.activity().last_save->version, lamp.state().version);
    store.fail = true;
    lamp.handle_set_config(brightness(0.9));
    clock.advance(LampController::kSaveRetry);
    lamp.flush();
    EXPECT_FALSE(lamp.activity().last_save->ok);
    EXPECT_NE(lamp.activity().last_save->error.find("Read-only file system"), std::string::npos);
    EXPECT_EQ(lamp.activity().last_save->at_ms, clock.wall_now_ms);
}

TEST_F(LampControllerTest, AnUnwritableStoreIsReportedRightAfterAStartNotAtTheNextCommand) {
    LampState restored;
    restored.version = 12;
    store.fail = true;
    LampController lamp = make(restored);
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    lamp.flush();
    auto health = last_health();
    ASSERT_TRUE(health);
    EXPECT_FALSE(health->durable);
    EXPECT_FALSE(health->live) << "the LED shows the saved state: nothing is at risk yet";
    ASSERT_EQ(announced().size(), 1u);
    EXPECT_EQ(announced()[0].version, 12u);
}

TEST_F(LampControllerTest, AFailingSaveIsRetriedOnceASecondNotOnEveryPass) {
    LampController lamp = make();
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    store.fail = true;
    lamp.handle_set_config(brightness(0.3));
    for (int i = 0; i < 100; ++i) lamp.flush();
    EXPECT_EQ(store.attempts, 1);
    clock.advance(LampController::kSaveRetry);
    for (int i = 0; i < 100; ++i) lamp.flush();
    EXPECT_EQ(store.attempts, 2);
}

// Starts its lamp in the open, as the tests above do: the order is part of the test.
TEST_F(LampControllerTest, WhileSavesFailEveryNewCommandReachesTheLedAndTheHealthTopic) {
    LampController lamp = make();
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    broker.published.clear();
    store.fail = true;
    for (double b : {0.2, 0.4, 0.6}) {
        lamp.handle_set_config(R"({"on": true, "color": {"h": 0, "s": 1}})");
        lamp.handle_set_config(brightness(b));
        lamp.flush();
        EXPECT_DOUBLE_EQ(led.duty.red, duty_for(lamp.state()).red);
        ASSERT_TRUE(last_health()->live);
        EXPECT_DOUBLE_EQ(last_health()->live->brightness, b);
    }
    EXPECT_TRUE(announced().empty());
}

TEST_F(LampControllerTest, AReconnectionAnnouncesTheLastSavedStateNeverAnUnsavedOne) {
    LampState initial;
    initial.version = 9;
    LampController lamp = make(initial);
    ASSERT_TRUE(lamp.start());
    store.fail = true;
    lamp.handle_set_config(brightness(0.1));
    lamp.flush();
    broker.published.clear();
    lamp.on_connected();
    auto states = announced();
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].version, 9u);
    EXPECT_FALSE(last_health()->durable);
}

TEST_F(LampControllerTest, ARebuiltInitialStateIsSavedBeforeItIsAnnounced) {
    LampState rebuilt;
    rebuilt.version = 1042;
    LampController lamp = make(rebuilt, /*unsaved=*/true);
    ASSERT_TRUE(lamp.start());
    lamp.on_connected();
    EXPECT_TRUE(announced().empty());
    lamp.flush();
    ASSERT_EQ(store.saved.size(), 1u);
    auto states = announced();
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].version, 1042u);
}

TEST_F(LampControllerTest, AFailingLedIsReportedAndTheLampKeepsWorking) {
    led.fail = true;
    LampController lamp = make();
    EXPECT_FALSE(lamp.start());
    lamp.on_connected();
    auto health = last_health();
    ASSERT_TRUE(health);
    EXPECT_FALSE(health->led);
    EXPECT_TRUE(health->durable);
    EXPECT_NE(health->error.find("led-duty"), std::string::npos);
    broker.published.clear();
    lamp.handle_set_config(brightness(0.7));
    lamp.flush();
    EXPECT_EQ(announced().size(), 1u);
    led.fail = false;
    lamp.handle_set_config(brightness(0.8));
    lamp.flush();
    EXPECT_TRUE(last_health()->led);
}

TEST_F(LampControllerTest, RejectionsAreLoggedAtMostTenLinesASecond) {
    LampController lamp = make();
    for (int i = 0; i < 100; ++i) lamp.handle_set_config("not json");
    EXPECT_EQ(lamp.stats().rejected, 100u);
    EXPECT_EQ(lamp.stats().log_lines, 10u);
    clock.advance(999ms);
    lamp.handle_set_config("not json");
    EXPECT_EQ(lamp.stats().log_lines, 10u);
    clock.advance(1ms);
    // A new second: one line for the 91 held back, one for this payload.
    lamp.handle_set_config("not json");
    EXPECT_EQ(lamp.stats().log_lines, 12u);
    EXPECT_EQ(lamp.state().version, 0u);
}

TEST_F(LampControllerTest, AStaleCommandNeverUndoesANewerChange) {
    LampController lamp = make();
    std::int64_t t = clock.wall_now_ms;
    lamp.handle_set_config(brightness(0.9, t));
    lamp.handle_set_config(brightness(0.1, t - 1));  // sent earlier, delivered later
    lamp.flush();
    EXPECT_DOUBLE_EQ(lamp.state().brightness, 0.9);
    EXPECT_EQ(lamp.state().changed_at, t);
    EXPECT_EQ(lamp.stats().stale, 1u);
    // Sent in the same millisecond: not older, so applied.
    lamp.handle_set_config(brightness(0.5, t));
    EXPECT_DOUBLE_EQ(lamp.state().brightness, 0.5);
    ASSERT_FALSE(store.saved.empty());
    EXPECT_EQ(store.saved.back().changed_at, t);
}

TEST_F(LampControllerTest, ACommandWithoutATimeIsStampedWithTheLampsClock) {
    LampController lamp = make();
    lamp.handle_set_config(R"({"on": true, "client": "screen"})");
    EXPECT_EQ(lamp.state().changed_at, clock.wall_now_ms);
    // A command the cloud queued before the screen was touched.
    lamp.handle_set_config(brightness(0.2, clock.wall_now_ms - 5000));
    EXPECT_EQ(lamp.stats().stale, 1u);
    EXPECT_DOUBLE_EQ(lamp.state().brightness, 1.0);
}

TEST_F(LampControllerTest, ASenderWithAClockFarAheadCannotBlockOthers) {
    LampController lamp = make();
    lamp.handle_set_config(brightness(0.9, clock.wall_now_ms + 3'600'000));
    EXPECT_EQ(lamp.state().changed_at, clock.wall_now_ms + LampController::kMaxClockLeadMs);
    clock.advance(std::chrono::milliseconds(LampController::kMaxClockLeadMs + 1));
    lamp.handle_set_config(brightness(0.3, clock.wall_now_ms));
    EXPECT_DOUBLE_EQ(lamp.state().brightness, 0.3);
    EXPECT_EQ(lamp.stats().stale, 0u);
}

TEST_F(LampControllerTest, TheLampsClockGoingBackDoesNotMoveTheOrderBack) {
    LampState initial;
    initial.changed_at = clock.wall_now_ms;
    LampController lamp = make(initial);
    clock.wall_now_ms = 0;  // booted without a real-time clock, before NTP
    lamp.handle_set_config(R"({"on": true})");
    EXPECT_EQ(lamp.state().changed_at, initial.changed_at);
}

}  // namespace
}  // namespace lampi::lampid
