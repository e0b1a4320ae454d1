// What the platform's analytics show people: a lamp's on-hours for its owner
// (the formula, then GET /api/v1/lamps/<id>/on-hours on both databases) and the
// operator's dashboard, which only operators may open or query.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <boost/json.hpp>

#include "analytics/event_store.h"
#include "analytics/on_hours.h"
#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http_client.h"
#include "json_reply.h"

namespace lampi::cloud {
namespace {

namespace json = boost::json;
using analytics::LampSwitch;
using analytics::on_hours;
using testing::BrowserSession;
using testing::CloudServer;
using testing::parse_json;

constexpr std::int64_t kHour = 3'600'000;
// 2026-11-30T12:00:00Z, and that day's UTC midnight.
constexpr std::int64_t kNow = 1'796'040'000'000;
constexpr std::int64_t kMidnight = kNow - 12 * kHour;

TEST(OnHours, ALampOnAcrossMidnightCountsOnBothDaysAndTodayUpToNow) {
    std::vector<LampSwitch> switches = {
        {kMidnight - 26 * kHour, true},             // 11-28 22:00
        {kMidnight - 22 * kHour, false},            // 11-29 02:00: 2 h on each day
        {kMidnight + 9 * kHour + kHour / 2, true},  // 11-30 09:30, still on at 12:00
    };
    analytics::OnHours h = on_hours(switches, kNow, 3, 0);
    ASSERT_EQ(h.days.size(), 3u);
    EXPECT_EQ(h.days[0].start_ms, kMidnight - 48 * kHour);
    EXPECT_DOUBLE_EQ(h.days[0].hours, 2.0);
    EXPECT_DOUBLE_EQ(h.days[1].hours, 2.0);
    EXPECT_DOUBLE_EQ(h.days[2].hours, 2.5);
    EXPECT_DOUBLE_EQ(h.total_hours, 6.5);
}

TEST(OnHours, BeforeItsFirstSwitchALampCountsAsOffAndRepeatsChangeNothing) {
    std::vector<LampSwitch> switches = {
        {kMidnight + 1 * kHour, false},             // first known: off (what came before is unknown)
        {kMidnight + 2 * kHour, true},              // lit
        {kMidnight + 2 * kHour + kHour / 2, true},  // a colour change while lit
        {kMidnight + 4 * kHour, false},             // 2 h
        {kMidnight + 13 * kHour, true},             // after now: not counted
    };
    analytics::OnHours h = on_hours(switches, kNow, 1, 0);
    EXPECT_DOUBLE_EQ(h.days.at(0).hours, 2.0);
    EXPECT_DOUBLE_EQ(h.total_hours, 2.0);

    // A first switch "on" counts from that switch; hours before the days shown count in the total only.
    h = on_hours({{kMidnight - 100 * kHour, true}, {kMidnight - 90 * kHour, false}, {kMidnight + 10 * kHour, true}},
                 kNow, 1, 0);
    EXPECT_DOUBLE_EQ(h.days.at(0).hours, 2.0);
    EXPECT_DOUBLE_EQ(h.total_hours, 12.0);
    EXPECT_DOUBLE_EQ(on_hours({}, kNow, 1, 0).total_hours, 0.0);
}

TEST(OnHours, DaysStartAtLocalMidnightOfTheOffset) {
    // 22:00 to 02:00 in UTC-8: two hours on each local day.
    analytics::OnHours h =
        on_hours({{kMidnight + 6 * kHour, true}, {kMidnight + 10 * kHour, false}}, kNow, 2, -8 * 3600);
    ASSERT_EQ(h.days.size(), 2u);
    EXPECT_EQ(h.days[1].start_ms, kMidnight + 8 * kHour);
    EXPECT_DOUBLE_EQ(h.days[0].hours, 2.0);
    EXPECT_DOUBLE_EQ(h.days[1].hours, 2.0);
}

class LampUsageTest : public CloudHttpTest {
protected:
    void start(testing::CloudServerOptions options) override {
        options.app.analytics_now_ms = [] { return kNow; };
        options.app.led_rated_hours = 10;
        events_.reset();
        CloudHttpTest::start(std::move(options));
        events_ = std::make_unique<analytics::EventStore>(server_->store().database());
    }
    void change(const std::string& device, std::int64_t at, bool on, std::optional<std::int64_t> owner) {
        std::string body = fmt::format(R"({{"device_id":"{}","owner_id":{},"client":"lamp_ui","on":{},"state":{{}}}})",
                                       device, owner ? std::to_string(*owner) : "null", on ? "true" : "false");
        ASSERT_TRUE(events_->insert({{"lamp_changes", at, body}}));
    }

    std::unique_ptr<analytics::EventStore> events_;
};

TEST_P(LampUsageTest, TheOwnerReadsTheirLampsOnHoursAndNobodyElseCan) {
    const std::string lamp = "b827eb000001";
    const std::string other_lamp = "b827eb000002";
    auto alice = server_->add_user("alice");
    server_->add_user("bob");
    auto carol = server_->add_user("carol");  // owned the lamp before alice
    server_->add_lamp(lamp, alice.id);
    server_->add_lamp(other_lamp, carol.id);
    change(lamp, kMidnight - 48 * kHour, true, carol.id);  // 4 h in carol's time: in the total only
    change(lamp, kMidnight - 44 * kHour, false, carol.id);
    change(lamp, kMidnight - 20 * kHour, true, alice.id);  // 3 h on 11-29
    change(lamp, kMidnight - 18 * kHour, true, alice.id);
    change(lamp, kMidnight - 17 * kHour, false, alice.id);
    change(lamp, kMidnight + 9 * kHour + kHour / 2, true, alice.id);  // on since 09:30: 2.5 h today
    change(other_lamp, kMidnight - 30 * kHour, true, carol.id);       // another lamp: never counted

    BrowserSession owner = logged_in("alice");
    auto reply = owner.get("/api/v1/lamps/" + lamp + "/on-hours");
    ASSERT_EQ(reply.status, 200) << reply.body;
    json::value answer = parse_json(reply.body);
    const json::array& days = answer.at("days").as_array();
    ASSERT_EQ(days.size(), 30u);
    EXPECT_EQ(days[29].at("date"), "2026-11-30");
    EXPECT_EQ(days[29].at("hours").to_number<double>(), 2.5);
    EXPECT_EQ(days[28].at("hours").to_number<double>(), 3.0);
    EXPECT_EQ(days[27].at("hours").to_number<double>(), 0.0);
    EXPECT_EQ(answer.at("total_hours").to_number<double>(), 9.5);
    EXPECT_EQ(answer.at("rated_hours").to_number<double>(), 10.0);
    EXPECT_EQ(answer.at("used_percent").to_number<double>(), 95.0);
    EXPECT_EQ(answer.at("nearing_end_of_life"), true);
    EXPECT_EQ(answer.at("counted_since"), "2026-11-28T00:00:00.000Z");

    EXPECT_EQ(owner.get("/api/v1/lamps/" + other_lamp + "/on-hours").status, 404);
    EXPECT_EQ(owner.get("/api/v1/lamps/" + lamp + "/on-hours?timezone=Europe%2FParis").status, 400);
    BrowserSession stranger = logged_in("bob");
    auto refused = stranger.get("/api/v1/lamps/" + lamp + "/on-hours");
    EXPECT_EQ(refused.status, 404);
    EXPECT_EQ(refused.body.find("hours"), std::string::npos) << refused.body;
    EXPECT_EQ(BrowserSession(server_->port()).get("/api/v1/lamps/" + lamp + "/on-hours").status, 401);
}

TEST_P(LampUsageTest, OnlyOperatorsOpenTheDashboard) {
    server_->add_user("ops", true);
    server_->add_user("dave");
    auto away = BrowserSession(server_->port()).get("/operator/analytics/");
    EXPECT_EQ(away.status, 302);
    EXPECT_EQ(away.header("Location"), "/accounts/login/?next=/operator/analytics/");

    BrowserSession user = logged_in("dave");
    auto refused = user.get("/operator/analytics/");
    EXPECT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find("for operators"), std::string::npos) << refused.body;

    BrowserSession op = logged_in("ops");
    auto page = op.get("/operator/analytics/");
    ASSERT_EQ(page.status, 200);
    for (const char* part : {"Sign-ups per day", "Top referrers", "Users with no login in 14 days",
                             "/static/dashboard.js", "/static/uPlot.iife.min.js", "data-queries="})
        EXPECT_NE(page.body.find(part), std::string::npos) << part;
}

TEST_P(LampUsageTest, DashboardQueriesTakeKeensParametersForOperatorsOnly) {
    server_->add_user("ops", true);
    server_->add_user("dave");
    ASSERT_TRUE(events_->insert({{"sign_ups", kNow - kHour, R"({"username":"a","referred_by":"blog"})"},
                                 {"sign_ups", kNow - 2 * kHour, R"({"username":"b","referred_by":"blog"})"},
                                 {"sign_ups", kNow - 3 * kHour, R"({"username":"c","referred_by":null})"}}));
    const std::string path =
        "/operator/analytics/queries/count?event_collection=sign_ups&timeframe=this_1_days&group_by=referred_by";

    BrowserSession op = logged_in("ops");
    auto answer = op.get(path);
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(answer.header("Access-Control-Allow-Origin"), "");  // same-origin pages only
    json::value result = parse_json(answer.body);
    const json::array& rows = result.at("result").as_array();
    ASSERT_EQ(rows.size(), 2u);
    std::int64_t blog = 0;
    for (const json::value& row : rows)
        if (row.at("referred_by") == "blog") blog = row.at("result").as_int64();
    EXPECT_EQ(blog, 2);

    BrowserSession user = logged_in("dave");
    auto refused = user.get(path);
    EXPECT_EQ(refused.status, 403);
    EXPECT_NE(refused.body.find("for operators"), std::string::npos) << refused.body;
    EXPECT_EQ(BrowserSession(server_->port()).get(path).status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, LampUsageTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace lampi::cloud
