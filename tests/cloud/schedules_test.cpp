// Timers and weekly schedules: when they next happen in a time zone (across
// daylight saving changes), and how the cloud fires them from the database with
// an injected clock: on time, once, after a restart, late within the grace or
// recorded as missed, to a lamp that is offline, and never for a lamp given away;
// a room's saved scene as what a schedule sets, and the scene kept while it does.
#include <gtest/gtest.h>

#include <ctime>

#include "cloud_server.h"
#include "database_test.h"
#include "http/status_http.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "lamps/change_source.h"
#include "lamps/scenes.h"
#include "schedules/local_time.h"
#include "schedules/schedule_store.h"
#include "schedules/schedules.h"

namespace lampi::cloud::schedules {
namespace {

const std::string kLamp = "b827eb74663e";
constexpr std::int64_t kMinute = 60;
const std::string kOtherLamp = "b827eb000001";
const std::string kShelf = "b827eb000002";

// Unix seconds of a UTC wall time.
std::int64_t utc(int year, int month, int day, int hour, int minute) {
    std::tm t{};
    t.tm_year = year - 1900;
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = minute;
    return static_cast<std::int64_t>(timegm(&t));
}

// The next `count` occurrences after `after`.
std::vector<std::int64_t> occurrences(const WeeklyTime& when, std::int64_t after, int count) {
    std::vector<std::int64_t> out;
    for (int i = 0; i < count; ++i) {
        auto next = next_occurrence(when, after);
        EXPECT_TRUE(next) << next.status().message();
        if (!next) break;
        out.push_back(*next);
        after = *next;
    }
    return out;
}

TEST(LocalTime, SevenOClockStaysSevenOClockAcrossDaylightSavingInBerlin) {
    WeeklyTime daily{kEveryDay, 7 * 60, "Europe/Berlin"};
    // Summer time starts on Sunday 29 March 2026: 07:00 is 06:00 UTC before, 05:00 UTC after.
    EXPECT_EQ(occurrences(daily, utc(2026, 3, 27, 0, 0), 4),
              (std::vector<std::int64_t>{utc(2026, 3, 27, 6, 0), utc(2026, 3, 28, 6, 0), utc(2026, 3, 29, 5, 0),
                                         utc(2026, 3, 30, 5, 0)}));
    // And ends on Sunday 25 October 2026.
    EXPECT_EQ(occurrences(daily, utc(2026, 10, 24, 0, 0), 2),
              (std::vector<std::int64_t>{utc(2026, 10, 24, 5, 0), utc(2026, 10, 25, 6, 0)}));
}

TEST(LocalTime, SevenOClockStaysSevenOClockAcrossDaylightSavingInNewYork) {
    WeeklyTime daily{kEveryDay, 7 * 60, "America/New_York"};
    // New York changes on other days than Berlin: 8 March and 1 November 2026.
    EXPECT_EQ(occurrences(daily, utc(2026, 3, 7, 0, 0), 2),
              (std::vector<std::int64_t>{utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 11, 0)}));
    EXPECT_EQ(occurrences(daily, utc(2026, 10, 31, 0, 0), 2),
              (std::vector<std::int64_t>{utc(2026, 10, 31, 11, 0), utc(2026, 11, 1, 12, 0)}));
}

TEST(LocalTime, WeekdayMasksSkipTheDaysLeftOut) {
    WeeklyTime weekdays{kWeekdays, 7 * 60, "Europe/Berlin"};
    // Friday 27 March 2026 at 07:00 exactly: next is Monday, after the weekend and the change.
    EXPECT_EQ(next_occurrence(weekdays, utc(2026, 3, 27, 6, 0)).value(), utc(2026, 3, 30, 5, 0));
    EXPECT_EQ(next_occurrence(weekdays, utc(2026, 3, 27, 5, 59)).value(), utc(2026, 3, 27, 6, 0));
    auto sunday = weekday_bit("sun");
    ASSERT_TRUE(sunday);
    WeeklyTime sundays{*sunday, 22 * 60 + 30, "Europe/Berlin"};
    // From Monday 30 March, a week less a little: Sunday 5 April 22:30 CEST.
    EXPECT_EQ(next_occurrence(sundays, utc(2026, 3, 30, 0, 0)).value(), utc(2026, 4, 5, 20, 30));
    // Just after it: the Sunday a week later.
    EXPECT_EQ(next_occurrence(sundays, utc(2026, 4, 5, 20, 30)).value(), utc(2026, 4, 12, 20, 30));
    EXPECT_EQ(weekday_names(kWeekdays), (std::vector<std::string>{"mon", "tue", "wed", "thu", "fri"}));
    EXPECT_FALSE(weekday_bit("Monday"));
    EXPECT_FALSE(next_occurrence(WeeklyTime{0, 420, "Europe/Berlin"}, 0)) << "no day chosen";
}

TEST(LocalTime, ATimeTheClocksSkipHappensAtTheJumpAndARepeatedOneOnce) {
    WeeklyTime half_past_two{kEveryDay, 2 * 60 + 30, "Europe/Berlin"};
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
    EXPECT_EQ(next_occurrence(half_past_two, utc(2026, 3, 28, 12, 0)).value(), utc(2026, 3, 29, 1, 0));
    // 25 October 2026: 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET); it fires at the first only.
    EXPECT_EQ(occurrences(half_past_two, utc(2026, 10, 24, 12, 0), 2),
              (std::vector<std::int64_t>{utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)}));
}

TEST(LocalTime, TimesAndZonesAreChecked) {
    EXPECT_EQ(parse_time_of_day("07:00").value(), 420);
    EXPECT_EQ(parse_time_of_day("23:59").value(), 1439);
    for (const char* bad : {"7:00", "24:00", "12:60", "0700", "ab:cd", ""}) EXPECT_FALSE(parse_time_of_day(bad)) << bad;
    EXPECT_EQ(format_time_of_day(7 * 60 + 5), "07:05");
    EXPECT_TRUE(check_time_zone("Europe/Berlin"));
    EXPECT_TRUE(check_time_zone("UTC"));
    EXPECT_EQ(check_time_zone("Mars/Olympus_Mons").code(), StatusCode::invalid_argument);
    EXPECT_EQ(check_time_zone("").code(), StatusCode::invalid_argument);
    EXPECT_FALSE(next_occurrence(WeeklyTime{kEveryDay, 420, "Nowhere/Town"}, 0));
}

// The scheduler on each engine, with the test server's clock; run_due is called
// by the test (no runner thread).
class SchedulesTest : public lampi::testing::DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped()) return;
        start();
        ann_ = server_->add_user("ann").id;
        server_->add_lamp(kLamp, ann_, "Desk");
        ASSERT_TRUE(server_->lamps().set_room(ann_, kLamp, "Study"));
    }
    // A fresh lampi-cloud on the same database: a restart.
    void start(SchedulesOptions options = {}) {
        schedules_.reset();
        std::int64_t now = server_ ? server_->now() : 0;
        server_.reset();
        lampi::testing::CloudServerOptions server_options;
        server_options.app.schedule_period = std::chrono::milliseconds(0);
        server_ = std::make_unique<lampi::testing::CloudServer>(url_, server_options);
        if (now) server_->advance(now - server_->now());
        schedules_ = std::make_unique<Schedules>(
            server_->store(), server_->lamps(), [this] { return server_->now(); }, options);
    }
    // The set_configs published to `device_id`, decoded.
    std::vector<LampUpdate> commands(const std::string& device_id = kLamp) {
        std::vector<LampUpdate> out;
        for (const auto& m : server_->published())
            if (m.topic == topics::cloud(device_id, topics::kSetConfig))
                out.push_back(decode_set_config(m.payload)->update);
        return out;
    }
    NewSchedule turn_off_in(int minutes) {
        NewSchedule r;
        r.device_id = kLamp;
        r.in_minutes = minutes;
        r.state.on = false;
        return r;
    }
    NewSchedule warm_white_at(int minute_of_day, WeekdayMask days = kEveryDay) {
        NewSchedule r;
        r.room = "Study";
        r.weekly = WeeklyTime{days, minute_of_day, "Europe/Berlin"};
        r.preset = "warm-white";
        r.state.brightness = 0.6;
        return r;
    }
    Schedule only_schedule() {
        auto list = schedules_->of_user(ann_);
        EXPECT_TRUE(list && list->size() == 1u);
        return list && !list->empty() ? list->front() : Schedule{};
    }
    Schedule only_weekly() {
        // Held here: a range-for over of_user(...).value() would outlive the Result.
        auto list = schedules_->of_user(ann_);
        for (const auto& s : list.value())
            if (s.kind == ScheduleKind::weekly) return s;
        ADD_FAILURE() << "no weekly schedule";
        return {};
    }
    RunReport run() {
        auto report = schedules_->run_due();
        EXPECT_TRUE(report) << report.status().message();
        return report ? *report : RunReport{};
    }
    void lamp_reports(std::string_view client, std::string_view state, const std::string& device_id = kLamp) {
        server_->lamps().handle_message(topics::cloud(device_id, topics::connection_state(client)), state);
    }
    // "Evening": how ann's desk (on, blue, 25 %) and shelf (off, 90 %) in the study
    // looked when she saved it.
    storage::Scene save_evening() {
        server_->add_lamp(kShelf, ann_, "Shelf");
        EXPECT_TRUE(server_->lamps().set_room(ann_, kShelf, "Study"));
        server_->lamps().handle_message(
            topics::cloud(kLamp, topics::kChanged),
            R"({"on":true,"color":{"h":0.6,"s":0.5},"brightness":0.25,"client":"x","version":3})");
        server_->lamps().handle_message(
            topics::cloud(kShelf, topics::kChanged),
            R"({"on":false,"color":{"h":0.1,"s":1},"brightness":0.9,"client":"x","version":8})");
        auto saved = lamps::Scenes(server_->store(), server_->lamps()).save(ann_, "Evening", "Study", server_->now());
        EXPECT_TRUE(saved) << saved.status().message();
        return saved ? *saved : storage::Scene{};
    }
    NewSchedule scene_at(const storage::Scene& scene, int minute_of_day, WeekdayMask days = kEveryDay) {
        NewSchedule r;
        r.room = scene.room;
        r.weekly = WeeklyTime{days, minute_of_day, "Europe/Berlin"};
        r.preset = std::to_string(scene.id);
        return r;
    }

    std::unique_ptr<lampi::testing::CloudServer> server_;
    std::unique_ptr<Schedules> schedules_;
    std::int64_t ann_ = 0;
};

TEST_P(SchedulesTest, ATimerFiresOnceAtItsTime) {
    auto made = schedules_->create(ann_, turn_off_in(30));
    ASSERT_TRUE(made) << made.status().message();
    EXPECT_EQ(made->next_fire_at, server_->now() + 30 * kMinute);
    server_->advance(30 * kMinute - 1);
    EXPECT_EQ(run().fired, 0);
    EXPECT_TRUE(commands().empty());
    server_->advance(1);
    EXPECT_EQ(run().fired, 1);
    auto sent = commands();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].on, false);
    EXPECT_FALSE(sent[0].brightness);
    EXPECT_EQ(sent[0].client.value_or(""), lamps::kScheduleClient) << "the lamp and analytics see a schedule sent it";
    Schedule done = only_schedule();
    EXPECT_FALSE(done.next_fire_at) << "a timer is done once it fired";
    EXPECT_EQ(done.last_outcome, "sent_while_offline") << "the lamp never said it was online";
    EXPECT_EQ(run().fired, 0);
    EXPECT_EQ(commands().size(), 1u);
    // Listed for a day with its outcome, then gone.
    server_->advance(24 * 3600 + 1);
    run();
    EXPECT_TRUE(schedules_->of_user(ann_)->empty());
}

TEST_P(SchedulesTest, AWeeklyScheduleSendsItsPresetToTheRoomAndMovesOnADay) {
    lamp_reports(topics::kLampServiceClient, "1");
    // The server's clock starts on Tuesday 14 November 2023, 23:13 in Berlin.
    auto made = schedules_->create(ann_, warm_white_at(7 * 60));
    ASSERT_TRUE(made) << made.status().message();
    EXPECT_EQ(made->next_fire_at, utc(2023, 11, 15, 6, 0));
    server_->advance(*made->next_fire_at - server_->now());
    EXPECT_EQ(run().fired, 1);
    auto sent = commands();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].on, true);
    EXPECT_DOUBLE_EQ(*sent[0].brightness, 0.6) << "the brightness given wins over the preset's";
    EXPECT_TRUE(sent[0].hue && sent[0].saturation) << "warm white's colour";
    EXPECT_EQ(only_schedule().next_fire_at, utc(2023, 11, 16, 6, 0));
    EXPECT_EQ(only_schedule().last_outcome, "sent");
}

TEST_P(SchedulesTest, RequestsAreChecked) {
    NewSchedule both = turn_off_in(5);
    both.weekly = WeeklyTime{kEveryDay, 60, "Europe/Berlin"};
    EXPECT_EQ(schedules_->create(ann_, both).status().code(), StatusCode::invalid_argument);
    NewSchedule nothing = turn_off_in(5);
    nothing.state = {};
    EXPECT_EQ(schedules_->create(ann_, nothing).status().code(), StatusCode::invalid_argument);
    EXPECT_EQ(schedules_->create(ann_, turn_off_in(0)).status().code(), StatusCode::invalid_argument);
    NewSchedule nowhere = warm_white_at(60);
    nowhere.weekly->time_zone = "Europe/Atlantis";
    EXPECT_EQ(schedules_->create(ann_, nowhere).status().code(), StatusCode::invalid_argument);
    NewSchedule disco = warm_white_at(60);
    disco.preset = "disco";
    EXPECT_EQ(schedules_->create(ann_, disco).status().code(), StatusCode::invalid_argument);
    NewSchedule attic = warm_white_at(60);
    attic.room = "Attic";
    EXPECT_EQ(schedules_->create(ann_, attic).status().code(), StatusCode::not_found);
    auto bob = server_->add_user("bob").id;
    server_->add_lamp(kOtherLamp, bob);
    NewSchedule not_hers = turn_off_in(5);
    not_hers.device_id = kOtherLamp;
    EXPECT_EQ(schedules_->create(ann_, not_hers).status().code(), StatusCode::not_found);
    EXPECT_TRUE(schedules_->of_user(ann_)->empty());
    EXPECT_EQ(schedules_->remove(ann_, "1x").code(), StatusCode::not_found);
}

// Each schedule is a row checked every second: a free account may not make them
// without end.
TEST_P(SchedulesTest, AnAccountHasAtMostItsShareOfSchedulesAndAnotherStillGetsItsOwn) {
    SchedulesOptions options;
    options.max_per_user = 3;
    start(options);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(schedules_->create(ann_, turn_off_in(5 + i))) << i;
    auto fourth = schedules_->create(ann_, turn_off_in(9));
    EXPECT_EQ(fourth.status().code(), StatusCode::resource_exhausted);
    EXPECT_NE(fourth.status().message().find("delete some first"), std::string::npos) << fourth.status().message();
    EXPECT_EQ(schedules_->of_user(ann_)->size(), 3u);
    auto bob = server_->add_user("bob").id;
    server_->add_lamp(kOtherLamp, bob);
    NewSchedule his = turn_off_in(5);
    his.device_id = kOtherLamp;
    EXPECT_TRUE(schedules_->create(bob, his)) << "the cap is per account";
    // A deleted one makes room again.
    ASSERT_TRUE(schedules_->remove(ann_, std::to_string(schedules_->of_user(ann_)->front().id)));
    EXPECT_TRUE(schedules_->create(ann_, turn_off_in(9)));
}

TEST_P(SchedulesTest, SchedulesAreReloadedFromTheDatabaseAfterARestart) {
    ASSERT_TRUE(schedules_->create(ann_, turn_off_in(10)));
    ASSERT_TRUE(schedules_->create(ann_, warm_white_at(7 * 60)));
    start();
    EXPECT_EQ(schedules_->of_user(ann_)->size(), 2u);
    server_->advance(10 * kMinute);
    EXPECT_EQ(run().fired, 1);
    EXPECT_EQ(commands().size(), 1u);
}

TEST_P(SchedulesTest, AFireMissedWhileTheCloudWasDownIsSentWithinTheGraceElseRecordedAsMissed) {
    SchedulesOptions options;
    options.grace_seconds = 600;
    start(options);
    ASSERT_TRUE(schedules_->create(ann_, turn_off_in(10)));
    ASSERT_TRUE(schedules_->create(ann_, warm_white_at(7 * 60)));
    start(options);  // down from now...
    // ...until 5 minutes after the timer: it fires, late; the 07:00 is hours away.
    server_->advance(15 * kMinute);
    auto first = run();
    EXPECT_EQ(first.fired, 1);
    EXPECT_EQ(first.missed, 0);
    // Down again until 07:11 (11 minutes late): missed, nothing sent; next is tomorrow.
    start(options);
    server_->advance(utc(2023, 11, 15, 6, 11) - server_->now());
    auto second = run();
    EXPECT_EQ(second.fired, 0);
    EXPECT_EQ(second.missed, 1);
    EXPECT_TRUE(commands().empty());
    Schedule weekly = only_weekly();
    EXPECT_EQ(weekly.last_outcome, "missed");
    EXPECT_EQ(weekly.last_run_at, server_->now());
    EXPECT_EQ(weekly.next_fire_at, utc(2023, 11, 16, 6, 0));
    // Days away: one fire within the grace covers all the occurrences it slept through.
    server_->advance(utc(2023, 11, 19, 6, 5) - server_->now());
    EXPECT_EQ(run().fired, 1);
    EXPECT_EQ(run().fired, 0);
    EXPECT_EQ(commands().size(), 1u);
    EXPECT_EQ(only_weekly().next_fire_at, utc(2023, 11, 20, 6, 0));
}

TEST_P(SchedulesTest, AnOfflineLampGetsTheStateWhenItReturns) {
    lamp_reports(topics::kLampServiceClient, "0");
    ASSERT_TRUE(schedules_->create(ann_, turn_off_in(1)));
    server_->advance(60);
    EXPECT_EQ(run().fired, 1);
    EXPECT_EQ(only_schedule().last_outcome, "sent_while_offline");
    ASSERT_EQ(commands().size(), 1u);
    // The lamp comes back: the unconfirmed command goes out again, the same one.
    lamp_reports(topics::kLampServiceClient, "1");
    auto sent = commands();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[1].on, false);
    EXPECT_EQ(sent[1].sent_at, sent[0].sent_at) << "ordered by its sending time like any command";
}

TEST_P(SchedulesTest, AFireWaitsForTheBrokerWithinTheGrace) {
    // No broker yet, as when lampi-cloud starts before its link is up: publishing fails.
    auto clock = [this] { return server_->now(); };
    lamps::LampService unlinked(
        server_->store(), [](std::string_view, std::string_view, int, bool) { return Status::error("not connected"); },
        {}, clock);
    SchedulesOptions options;
    options.grace_seconds = 120;
    Schedules waiting(server_->store(), unlinked, clock, options);
    ASSERT_TRUE(waiting.create(ann_, turn_off_in(1)));
    server_->advance(60);
    EXPECT_EQ(waiting.run_due()->waiting, 1);
    EXPECT_EQ(only_schedule().last_outcome, "waiting_for_broker");
    EXPECT_TRUE(only_schedule().next_fire_at) << "still due";
    // The link comes up a minute later: the fire goes out then.
    server_->advance(60);
    EXPECT_EQ(run().fired, 1);
    EXPECT_EQ(commands().size(), 1u);
    // A broker away past the grace: missed.
    ASSERT_TRUE(waiting.create(ann_, turn_off_in(1)));
    server_->advance(60);
    EXPECT_EQ(waiting.run_due()->waiting, 1);
    server_->advance(121);
    EXPECT_EQ(waiting.run_due()->missed, 1);
}

TEST_P(SchedulesTest, ALampGivenAwayTakesItsSchedulesAlongNowhere) {
    ASSERT_TRUE(schedules_->create(ann_, turn_off_in(5)));
    ASSERT_TRUE(server_->lamps().remove(ann_, kLamp));
    EXPECT_TRUE(schedules_->of_user(ann_)->empty()) << "not listed once released";
    // Claimed again by someone else before the timer is due: nothing fires for ann.
    auto bob = server_->add_user("bob").id;
    ASSERT_TRUE(server_->store().assign_lamp(kLamp, bob, server_->now()));
    server_->advance(5 * kMinute);
    EXPECT_EQ(run().fired, 0);
    EXPECT_TRUE(commands().empty());
    // Swept: ann owning the lamp again later does not bring it back.
    ASSERT_TRUE(server_->store().assign_lamp(kLamp, ann_, server_->now()));
    EXPECT_TRUE(schedules_->of_user(ann_)->empty());
}

TEST_P(SchedulesTest, TwoProcessesOnOneDatabaseFireEachOccurrenceOnce) {
    ASSERT_TRUE(schedules_->create(ann_, turn_off_in(1)));
    Schedules other(server_->store(), server_->lamps(), [this] { return server_->now(); });
    server_->advance(60);
    EXPECT_EQ(run().fired + other.run_due()->fired, 1);
    EXPECT_EQ(commands().size(), 1u);
}

TEST_P(SchedulesTest, ASavedSceneGivesEachLampOfTheRoomItsLookAfterARestartAndAnOfflineOneWhenItReturns) {
    storage::Scene evening = save_evening();
    auto made = schedules_->create(ann_, scene_at(evening, 7 * 60));
    ASSERT_TRUE(made) << made.status().message();
    EXPECT_EQ(made->scene_id, evening.id);
    EXPECT_EQ(made->scene_name, "Evening");
    EXPECT_TRUE(made->preset.empty());
    start();  // a row of the database, read again by the next process
    EXPECT_EQ(only_schedule().scene_id, evening.id);
    EXPECT_EQ(only_schedule().scene_name, "Evening");
    // At 07:00 the desk is on line, the shelf is not.
    lamp_reports(topics::kLampServiceClient, "1");
    server_->advance(*made->next_fire_at - server_->now());
    EXPECT_EQ(run().fired, 1);
    auto desk = commands(kLamp);
    ASSERT_EQ(desk.size(), 1u);
    EXPECT_EQ(desk[0].on, true);
    EXPECT_DOUBLE_EQ(desk[0].hue.value_or(0), 0.6);
    EXPECT_DOUBLE_EQ(desk[0].brightness.value_or(0), 0.25);
    auto shelf = commands(kShelf);
    ASSERT_EQ(shelf.size(), 1u);
    EXPECT_EQ(shelf[0].on, false);
    EXPECT_DOUBLE_EQ(shelf[0].brightness.value_or(0), 0.9);
    EXPECT_EQ(only_schedule().last_outcome, "sent_while_offline");
    EXPECT_EQ(only_schedule().next_fire_at, utc(2023, 11, 16, 6, 0));
    // The shelf comes back: its own look goes out again, as any unconfirmed command.
    lamp_reports(topics::kLampServiceClient, "1", kShelf);
    shelf = commands(kShelf);
    ASSERT_EQ(shelf.size(), 2u);
    EXPECT_EQ(shelf[1].on, false);
    EXPECT_EQ(shelf[1].sent_at, shelf[0].sent_at);
    // A lamp that left the room since is left alone; with none left the fire says so.
    ASSERT_TRUE(server_->lamps().set_room(ann_, kLamp, "Hall"));
    ASSERT_TRUE(server_->lamps().set_room(ann_, kShelf, "Hall"));
    server_->advance(*only_schedule().next_fire_at - server_->now());
    EXPECT_EQ(run().failed, 1);
    EXPECT_EQ(only_schedule().last_outcome, "no_lamp");
    EXPECT_EQ(commands(kLamp).size(), 1u);
}

TEST_P(SchedulesTest, ASavedSceneIsForItsOwnRoomsSchedulesAndSentAsSaved) {
    storage::Scene evening = save_evening();
    const std::string id = std::to_string(evening.id);
    NewSchedule on_a_lamp = turn_off_in(5);
    on_a_lamp.state = {};
    on_a_lamp.preset = id;
    EXPECT_EQ(schedules_->create(ann_, on_a_lamp).status().code(), StatusCode::invalid_argument);
    server_->add_lamp(kOtherLamp, ann_, "Hall light");
    ASSERT_TRUE(server_->lamps().set_room(ann_, kOtherLamp, "Hall"));
    NewSchedule elsewhere = scene_at(evening, 60);
    elsewhere.room = "Hall";
    auto refused = schedules_->create(ann_, elsewhere);
    EXPECT_EQ(refused.status().code(), StatusCode::invalid_argument);
    EXPECT_NE(refused.status().message().find(R"(the room "Study")"), std::string::npos) << refused.status().message();
    NewSchedule dimmed = scene_at(evening, 60);
    dimmed.state.brightness = 0.5;
    EXPECT_EQ(schedules_->create(ann_, dimmed).status().code(), StatusCode::invalid_argument);
    NewSchedule unknown = scene_at(evening, 60);
    unknown.preset = std::to_string(evening.id + 1000);
    EXPECT_EQ(schedules_->create(ann_, unknown).status().code(), StatusCode::not_found);
    auto bob = server_->add_user("bob").id;
    server_->add_lamp("b827eb000003", bob, "Bob's");
    ASSERT_TRUE(server_->lamps().set_room(bob, "b827eb000003", "Study"));
    EXPECT_EQ(schedules_->create(bob, scene_at(evening, 60)).status().code(), StatusCode::not_found)
        << "ann's scene is not bob's, though his lamp is in a study too";
    EXPECT_TRUE(schedules_->of_user(ann_)->empty());

    // A built-in's schedule changed to the saved scene, and back.
    auto made = schedules_->create(ann_, warm_white_at(7 * 60));
    ASSERT_TRUE(made) << made.status().message();
    ScheduleChange to_scene;
    to_scene.preset = id;
    auto changed = schedules_->update(ann_, std::to_string(made->id), to_scene);
    ASSERT_TRUE(changed) << changed.status().message();
    EXPECT_EQ(only_schedule().scene_id, evening.id);
    EXPECT_EQ(only_schedule().action_json, "{}");
    ScheduleChange back;
    back.preset = "reading";
    ASSERT_TRUE(schedules_->update(ann_, std::to_string(made->id), back));
    EXPECT_FALSE(only_schedule().scene_id);
    EXPECT_EQ(only_schedule().preset, "reading");
}

TEST_P(SchedulesTest, ASceneThatSchedulesSetIsKeptAndTheRefusalNamesThem) {
    storage::Scene evening = save_evening();
    const std::string id = std::to_string(evening.id);
    auto weekly = schedules_->create(ann_, scene_at(evening, 7 * 60, kWeekdays));
    ASSERT_TRUE(weekly) << weekly.status().message();
    NewSchedule soon;
    soon.room = "Study";
    soon.in_minutes = 30;
    soon.preset = id;
    ASSERT_TRUE(schedules_->create(ann_, soon));

    Status refused = schedules_->check_scene_unused(ann_, id);
    EXPECT_EQ(refused.code(), StatusCode::failed_precondition);
    for (const char* named : {R"("Evening")", "2 schedules", "Monday to Friday at 07:00", "the timer due in 30 min"})
        EXPECT_NE(refused.message().find(named), std::string::npos) << named << " in: " << refused.message();
    // Deleted without asking first (or a schedule made meanwhile): the database keeps it too.
    lamps::Scenes scenes(server_->store(), server_->lamps());
    EXPECT_EQ(scenes.remove(ann_, id).code(), StatusCode::failed_precondition);
    EXPECT_EQ(scenes.saved(ann_)->size(), 1u);
    EXPECT_TRUE(schedules_->check_scene_unused(server_->add_user("bob").id, id))
        << "another account's schedules are its own";

    // Once the timer is done it holds the scene no more; the weekly one still does.
    server_->advance(30 * kMinute);
    EXPECT_EQ(run().fired, 1);
    refused = schedules_->check_scene_unused(ann_, id);
    EXPECT_EQ(refused.code(), StatusCode::failed_precondition);
    EXPECT_EQ(refused.message().find("timer"), std::string::npos) << refused.message();
    ASSERT_TRUE(schedules_->remove(ann_, std::to_string(weekly->id)));
    EXPECT_TRUE(schedules_->check_scene_unused(ann_, id));
    EXPECT_TRUE(scenes.remove(ann_, id));
    EXPECT_TRUE(scenes.saved(ann_)->empty());
    EXPECT_TRUE(schedules_->of_user(ann_)->empty()) << "the done timer went with its scene";
}

// The race the route's look-up cannot close: the scene is deleted between the
// check and the insert. The foreign key refuses the row, and the user is told
// to reload (409), not shown a server fault.
TEST_P(SchedulesTest, AScheduleForASceneDeletedAMomentAgoIsRefusedAsAConflict) {
    storage::Scene evening = save_evening();
    auto made = schedules_->create(ann_, scene_at(evening, 7 * 60));
    ASSERT_TRUE(made) << made.status().message();
    const Schedule& copy = *made;
    ASSERT_TRUE(schedules_->remove(ann_, std::to_string(made->id)));
    lamps::Scenes scenes(server_->store(), server_->lamps());
    ASSERT_TRUE(scenes.remove(ann_, std::to_string(evening.id)));

    ScheduleStore store(server_->store().database());
    auto raced = store.insert(copy);
    ASSERT_FALSE(raced) << "a schedule setting a scene that is gone";
    EXPECT_EQ(raced.status().code(), StatusCode::failed_precondition) << raced.status().message();
    EXPECT_EQ(http::http_status_of(raced.status().code()), 409);
    EXPECT_NE(raced.status().message().find("reload"), std::string::npos) << raced.status().message();
    EXPECT_TRUE(schedules_->of_user(ann_)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulesTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lampi::cloud::schedules
