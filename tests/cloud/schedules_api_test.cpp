// /api/v1/schedules over HTTP on both engines: timers and weekly schedules made,
// listed, changed and deleted by their owner only, a released lamp's schedules gone,
// a timer firing from lampi-cloud's own runner when the injected clock reaches it,
// and a room's saved scene as what a schedule sets (the scene kept while it does).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <boost/json.hpp>

#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http_client.h"
#include "json_reply.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "lamps/change_source.h"

namespace lampi::cloud {
namespace {

// The same names as the other cloud tests on purpose (api_test.cpp): each file
// says what it uses; a shared header of using-declarations would hide where they come from.
namespace json = boost::json;
using testing::BrowserSession;
using testing::CloudServer;
using testing::parse_json;

const std::string kLamp = "b827eb74663e";
constexpr std::int64_t kMinute = 60;

class SchedulesApiTest : public CloudHttpTest {
protected:
    void SetUp() override {
        CloudHttpTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ann_ = server_->add_user("ann").id;
        server_->add_user("bob");
        server_->add_lamp(kLamp, ann_, "Desk");
        ASSERT_TRUE(server_->lamps().set_room(ann_, kLamp, "Study"));
    }
    void start(testing::CloudServerOptions options) override {
        options.app.schedule_period = std::chrono::milliseconds(50);
        CloudHttpTest::start(std::move(options));
    }
    json::array listed(BrowserSession& s) {
        auto r = s.get("/api/v1/schedules");
        EXPECT_EQ(r.status, 200) << r.body;
        return parse_json(r.body).at("schedules").as_array();
    }
    std::vector<LampUpdate> commands() {
        std::vector<LampUpdate> out;
        for (const auto& m : server_->published())
            if (m.topic == topics::cloud(kLamp, topics::kSetConfig))
                out.push_back(decode_set_config(m.payload)->update);
        return out;
    }
    // The commands sent once the first one is, waiting up to `deadline` for it.
    std::vector<LampUpdate> first_commands_by(std::chrono::steady_clock::time_point deadline) {
        while (commands().empty() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return commands();
    }

    std::int64_t ann_ = 0;
};

TEST_P(SchedulesApiTest, TimersAndWeeklySchedulesAreMadeListedAndDeletedByTheirOwnerOnly) {
    auto ann = logged_in("ann");
    auto timer = ann.send_json("POST", "/api/v1/schedules",
                               R"({"lamp":")" + kLamp + R"(","in_minutes":30,"state":{"on":false}})");
    ASSERT_EQ(timer.status, 201) << timer.body;
    auto t = parse_json(timer.body);
    EXPECT_EQ(t.at("kind").as_string(), "timer");
    EXPECT_EQ(t.at("lamp").as_string(), kLamp);
    EXPECT_TRUE(t.at("room").is_null());
    EXPECT_EQ(t.at("state").at("on").as_bool(), false);
    EXPECT_EQ(t.at("next_fire_at").as_int64(), server_->now() + 1800);

    auto weekly = ann.send_json("POST", "/api/v1/schedules",
                                R"({"room":"Study","days":["mon","tue","wed","thu","fri"],"time":"07:00",)"
                                R"("time_zone":"Europe/Berlin","scene":"warm-white","state":{"brightness":0.6}})");
    ASSERT_EQ(weekly.status, 201) << weekly.body;
    auto w = parse_json(weekly.body);
    EXPECT_EQ(w.at("kind").as_string(), "weekly");
    EXPECT_EQ(w.at("room").as_string(), "Study");
    EXPECT_EQ(w.at("days").as_array().size(), 5u);
    EXPECT_EQ(w.at("time").as_string(), "07:00");
    EXPECT_EQ(w.at("time_zone").as_string(), "Europe/Berlin");
    EXPECT_EQ(w.at("scene").as_string(), "warm-white");
    EXPECT_EQ(w.at("scene_name").as_string(), "Warm white");
    EXPECT_DOUBLE_EQ(w.at("state").at("brightness").to_number<double>(), 0.6);
    // Tuesday 14 November 2023, 23:13 in Berlin: next is Wednesday 07:00 CET.
    EXPECT_EQ(w.at("next_fire_at").as_int64(), 1700028000);
    EXPECT_EQ(listed(ann).size(), 2u);

    // Mistakes are the caller's, with a 400 or 404 that says so.
    EXPECT_EQ(ann.send_json("POST", "/api/v1/schedules", R"({"lamp":")" + kLamp + R"(","in_minutes":30})").status, 400);
    EXPECT_EQ(
        ann.send_json(
               "POST", "/api/v1/schedules",
               R"({"room":"Study","days":["someday"],"time":"07:00","time_zone":"Europe/Berlin","state":{"on":true}})")
            .status,
        400);
    EXPECT_EQ(
        ann.send_json(
               "POST", "/api/v1/schedules",
               R"({"room":"Study","days":["mon"],"time":"25:00","time_zone":"Europe/Berlin","state":{"on":true}})")
            .status,
        400);
    EXPECT_EQ(
        ann.send_json("POST", "/api/v1/schedules",
                      R"({"room":"Study","days":["mon"],"time":"07:00","time_zone":"Moon/Base","state":{"on":true}})")
            .status,
        400);
    EXPECT_EQ(
        ann.send_json("POST", "/api/v1/schedules", R"({"room":"Attic","in_minutes":5,"state":{"on":false}})").status,
        404);
    EXPECT_EQ(ann.send("POST", "/api/v1/schedules", R"({"room":"Study","in_minutes":5,"state":{"on":false}})",
                       {{"Content-Type", "application/json"}})
                  .status,
              403)
        << "a session needs the CSRF header";

    // Bob sees none of them, cannot delete them, and cannot time ann's lamp.
    auto bob = logged_in("bob");
    EXPECT_TRUE(listed(bob).empty());
    std::string timer_id(t.at("id").as_string());
    EXPECT_EQ(bob.send_json("DELETE", "/api/v1/schedules/" + timer_id).status, 404);
    EXPECT_EQ(bob.send_json("POST", "/api/v1/schedules",
                            R"({"lamp":")" + kLamp + R"(","in_minutes":5,"state":{"on":false}})")
                  .status,
              404);
    EXPECT_EQ(listed(ann).size(), 2u);

    EXPECT_EQ(ann.send_json("DELETE", "/api/v1/schedules/" + timer_id).status, 204);
    EXPECT_EQ(ann.send_json("DELETE", "/api/v1/schedules/" + timer_id).status, 404);
    EXPECT_EQ(listed(ann).size(), 1u);
    testing::HttpClient anonymous(server_->port());
    EXPECT_EQ(anonymous.request("GET", "/api/v1/schedules").status, 401);
}

// PATCH changes a schedule's time, days, zone or state with the rules of its
// creation; what is not given stays, and its lamp or room and kind never change.
TEST_P(SchedulesApiTest, AScheduleIsChangedByItsOwnerWithTheRulesOfItsCreation) {
    auto ann = logged_in("ann");
    auto made = ann.send_json("POST", "/api/v1/schedules",
                              R"({"room":"Study","days":["mon","tue","wed","thu","fri"],"time":"07:00",)"
                              R"("time_zone":"Europe/Berlin","scene":"warm-white","state":{"brightness":0.6}})");
    ASSERT_EQ(made.status, 201) << made.body;
    const std::string path = "/api/v1/schedules/" + std::string(parse_json(made.body).at("id").as_string());

    // Saturday and Sunday at 09:30: next is Saturday 18 November 2023, 09:30 CET. The state stays.
    auto weekend = ann.send_json("PATCH", path, R"({"days":["sat","sun"],"time":"09:30"})");
    ASSERT_EQ(weekend.status, 200) << weekend.body;
    auto w = parse_json(weekend.body);
    EXPECT_EQ(w.at("days"), json::parse(R"(["sat","sun"])"));
    EXPECT_EQ(w.at("time").as_string(), "09:30");
    EXPECT_EQ(w.at("time_zone").as_string(), "Europe/Berlin");
    EXPECT_EQ(w.at("next_fire_at").as_int64(), 1700296200);
    EXPECT_EQ(w.at("scene").as_string(), "warm-white");
    EXPECT_DOUBLE_EQ(w.at("state").at("brightness").to_number<double>(), 0.6);
    EXPECT_EQ(w.at("room").as_string(), "Study");

    // A new state replaces the whole look: off, no scene.
    auto off = ann.send_json("PATCH", path, R"({"state":{"on":false}})");
    ASSERT_EQ(off.status, 200) << off.body;
    auto o = parse_json(off.body);
    EXPECT_EQ(o.at("state"), json::parse(R"({"on":false})"));
    EXPECT_TRUE(o.at("scene").is_null());
    EXPECT_EQ(o.at("time").as_string(), "09:30");
    auto list = listed(ann);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0], o) << "the list shows what PATCH answered";

    // Mistakes change nothing and say what is wrong.
    for (const char* bad :
         {R"({"days":[]})", R"({"days":["someday"]})", R"({"time":"24:00"})", R"({"time_zone":"Moon/Base"})",
          R"({"in_minutes":10})", R"({"scene":"disco"})", R"({"kelvin":9000})", R"({"state":{}})",
          R"({"room":"Kitchen"})", R"({"lamp":"x"})", R"({})", R"({"time":7})"}) {
        auto r = ann.send_json("PATCH", path, bad);
        EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    }
    EXPECT_EQ(listed(ann)[0], o);
    EXPECT_EQ(ann.send("PATCH", path, R"({"time":"08:00"})", {{"Content-Type", "application/json"}}).status, 403)
        << "a session needs the CSRF header";

    // Someone else's, or none at all: 404.
    auto bob = logged_in("bob");
    EXPECT_EQ(bob.send_json("PATCH", path, R"({"time":"08:00"})").status, 404);
    EXPECT_EQ(ann.send_json("PATCH", "/api/v1/schedules/999999", R"({"time":"08:00"})").status, 404);
    EXPECT_EQ(ann.send_json("PATCH", "/api/v1/schedules/x1", R"({"time":"08:00"})").status, 404);
    EXPECT_EQ(listed(ann)[0].at("time").as_string(), "09:30");

    // A timer takes new minutes from now, and no days.
    auto timer = ann.send_json("POST", "/api/v1/schedules",
                               R"({"lamp":")" + kLamp + R"(","in_minutes":30,"state":{"on":false}})");
    ASSERT_EQ(timer.status, 201);
    const std::string timer_path = "/api/v1/schedules/" + std::string(parse_json(timer.body).at("id").as_string());
    server_->advance(5 * kMinute);
    auto longer = ann.send_json("PATCH", timer_path, R"({"in_minutes":60})");
    ASSERT_EQ(longer.status, 200) << longer.body;
    EXPECT_EQ(parse_json(longer.body).at("next_fire_at").as_int64(), server_->now() + 60 * kMinute);
    EXPECT_EQ(ann.send_json("PATCH", timer_path, R"({"time":"07:00"})").status, 400);
    EXPECT_EQ(ann.send_json("PATCH", timer_path, R"({"in_minutes":0})").status, 400);
}

TEST_P(SchedulesApiTest, AReleasedLampsSchedulesStop) {
    auto ann = logged_in("ann");
    ASSERT_EQ(ann.send_json("POST", "/api/v1/schedules",
                            R"({"lamp":")" + kLamp + R"(","in_minutes":1,"state":{"on":false}})")
                  .status,
              201);
    ASSERT_EQ(ann.send_json("DELETE", "/api/v1/lamps/" + kLamp).status, 204);
    EXPECT_TRUE(listed(ann).empty());
    server_->advance(60);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several runs of the runner
    EXPECT_TRUE(commands().empty());
}

TEST_P(SchedulesApiTest, ATimerFiresWhenTheClockReachesIt) {
    auto ann = logged_in("ann");
    ASSERT_EQ(
        ann.send_json("POST", "/api/v1/schedules", R"({"room":"Study","in_minutes":15,"state":{"on":false}})").status,
        201);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(commands().empty()) << "not before its time";
    server_->advance(15 * kMinute);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto sent = first_commands_by(deadline);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].on, false);
    EXPECT_EQ(sent[0].client.value_or(""), lamps::kScheduleClient) << "a room's schedule says it sent the command";
    // Its outcome is recorded just after the send.
    json::array after = listed(ann);
    while (!after.empty() && after[0].at("last_outcome").as_string() == "firing" &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        after = listed(ann);
    }
    ASSERT_EQ(after.size(), 1u);
    EXPECT_TRUE(after[0].at("next_fire_at").is_null());
    EXPECT_EQ(after[0].at("last_outcome").as_string(), "sent_while_offline");
}

TEST_P(SchedulesApiTest, ARoomsScheduleSetsASavedSceneWhichIsKeptWhileItDoes) {
    server_->lamps().handle_message(
        topics::cloud(kLamp, topics::kChanged),
        R"({"on":true,"color":{"h":0.6,"s":0.5},"brightness":0.25,"client":"x","version":3})");
    auto ann = logged_in("ann");
    auto saved = ann.send_json("POST", "/api/v1/scenes", R"({"name":"Evening","room":"Study"})");
    ASSERT_EQ(saved.status, 201) << saved.body;
    const std::string scene(parse_json(saved.body).at("id").as_string());
    const std::string with_scene = R"("scene":")" + scene + R"("})";

    auto made = ann.send_json("POST", "/api/v1/schedules",
                              R"({"room":"Study","days":["mon","tue","wed","thu","fri"],"time":"07:00",)"
                              R"("time_zone":"Europe/Berlin",)" +
                                  with_scene);
    ASSERT_EQ(made.status, 201) << made.body;
    auto w = parse_json(made.body);
    EXPECT_EQ(w.at("scene").as_string(), scene);
    EXPECT_EQ(w.at("scene_name").as_string(), "Evening");
    EXPECT_EQ(w.at("state"), json::object()) << "each lamp gets its own look, not one state";
    EXPECT_EQ(listed(ann).at(0), w);
    auto timer = ann.send_json("POST", "/api/v1/schedules", R"({"room":"Study","in_minutes":15,)" + with_scene);
    ASSERT_EQ(timer.status, 201) << timer.body;

    // A lamp's schedule, a state beside the scene, a scene that is not hers: refused.
    EXPECT_EQ(
        ann.send_json("POST", "/api/v1/schedules", R"({"lamp":")" + kLamp + R"(","in_minutes":5,)" + with_scene).status,
        400);
    EXPECT_EQ(ann.send_json("POST", "/api/v1/schedules",
                            R"({"room":"Study","in_minutes":5,"state":{"brightness":0.5},)" + with_scene)
                  .status,
              400);
    EXPECT_EQ(ann.send_json("POST", "/api/v1/schedules", R"({"room":"Study","in_minutes":5,"scene":"999999"})").status,
              404);
    // Another account with a room of the same name cannot set her scene by its id.
    const std::string carols_lamp = "b827eb000c0c";
    const std::int64_t carol = server_->add_user("carol").id;
    server_->add_lamp(carols_lamp, carol, "Lamp");
    ASSERT_TRUE(server_->lamps().set_room(carol, carols_lamp, "Study"));
    auto borrowed =
        logged_in("carol").send_json("POST", "/api/v1/schedules", R"({"room":"Study","in_minutes":5,)" + with_scene);
    EXPECT_EQ(borrowed.status, 404) << borrowed.body;
    EXPECT_NE(borrowed.body.find("you have no scene"), std::string::npos) << borrowed.body;

    // The scene cannot be deleted while they set it; the answer names them.
    auto refused = ann.send_json("DELETE", "/api/v1/scenes/" + scene);
    EXPECT_EQ(refused.status, 409) << refused.body;
    const std::string error(parse_json(refused.body).at("error").as_string());
    for (const char* named : {R"("Evening")", "Monday to Friday at 07:00", "the timer due in 15 min"})
        EXPECT_NE(error.find(named), std::string::npos) << named << " in: " << error;
    EXPECT_EQ(parse_json(ann.get("/api/v1/scenes").body).at("scenes").as_array().size(), 5u);

    // lampi-cloud's runner applies it when the clock comes.
    server_->advance(15 * kMinute);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto sent = first_commands_by(deadline);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].on, true);
    EXPECT_DOUBLE_EQ(sent[0].hue.value_or(0), 0.6);
    EXPECT_DOUBLE_EQ(sent[0].brightness.value_or(0), 0.25);
    EXPECT_EQ(sent[0].client.value_or(""), lamps::kScheduleClient) << "a scene's schedule says it sent the command";

    // The weekly one deleted (the timer is done), the scene goes.
    ASSERT_EQ(ann.send_json("DELETE", "/api/v1/schedules/" + std::string(w.at("id").as_string())).status, 204);
    EXPECT_EQ(ann.send_json("DELETE", "/api/v1/scenes/" + scene).status, 204);
    EXPECT_EQ(parse_json(ann.get("/api/v1/scenes").body).at("scenes").as_array().size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulesApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lampi::cloud
