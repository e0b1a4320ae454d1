// Analytics on SQLite and PostgreSQL: the event store, the calendar behind
// timeframes and intervals, and Keen's write and query API over HTTP.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <boost/json.hpp>

#include "analytics/calendar.h"
#include "analytics/event.h"
#include "analytics/event_queue.h"
#include "analytics/event_store.h"
#include "analytics/keys.h"
#include "analytics/query.h"
#include "analytics_store_test.h"
#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http/form.h"
#include "http_client.h"
#include "json_reply.h"
#include "lampi/topics.h"
#include "lamps/change_source.h"
#include "postgres_server.h"

namespace lampi::cloud {
namespace {

namespace json = boost::json;
using analytics::Unit;
using testing::CloudServer;
using testing::HttpClient;
using testing::parse_json;

// 2026-11-30T12:00:00Z, a Monday.
constexpr std::int64_t kNow = 1'796'040'000'000;

// lamp_changes.source has few values whatever the clients: each page load's
// web-<random> is "web", a tool naming itself as it likes is "other".
TEST(LampChangeSource, EachKnownClientHasItsSourceAndAnyOtherIsOther) {
    const std::pair<std::string_view, std::string_view> expected[] = {
        {"lamp_ui", "lamp_ui"},
        {"lamp_ble", "lamp_ble"},
        {"homeassistant", "homeassistant"},
        {"lamp_service", "lamp_service"},
        {"web-3fa9c2d1", "web"},
        {"web-ble-77aa0b12", "web_ble"},
        {"lampi-cloud", "api"},
        {"lampi-cloud/schedule", "schedule"},
        {"lampi-load-17", "other"},
        {"", "other"},
        {"web", "other"},
        {"lampi-cloud/schedule2", "other"},
    };
    for (const auto& [client, source] : expected) EXPECT_EQ(lamps::change_source(client), source) << client;
    // The names the lamp's own programs and the cloud's commands use are those above.
    EXPECT_EQ(lamps::change_source(topics::kScreenClient), "lamp_ui");
    EXPECT_EQ(lamps::change_source(topics::kBleClient), "lamp_ble");
    EXPECT_EQ(lamps::change_source(topics::kHomeAssistantClient), "homeassistant");
    EXPECT_EQ(lamps::change_source(lamps::kApiClient), "api");
    EXPECT_EQ(lamps::change_source(lamps::kScheduleClient), "schedule");
}

TEST(AnalyticsCalendar, Iso8601RoundTripsAndTakesOffsets) {
    EXPECT_EQ(analytics::format_iso8601(kNow), "2026-11-30T12:00:00.000Z");
    EXPECT_EQ(*analytics::parse_iso8601("2026-11-30T12:00:00.000Z"), kNow);
    EXPECT_EQ(*analytics::parse_iso8601("2026-11-30T04:00:00-08:00"), kNow);
    EXPECT_EQ(*analytics::parse_iso8601("2026-11-30T12:00:00.5+00:00"), kNow + 500);
    EXPECT_EQ(*analytics::parse_iso8601("2026-11-30"), kNow - std::int64_t{12} * 3600 * 1000);
    EXPECT_EQ(analytics::format_iso8601(kNow, -8 * 3600), "2026-11-30T04:00:00.000-08:00");
    EXPECT_FALSE(analytics::parse_iso8601("2026-13-01T00:00:00Z"));
    EXPECT_FALSE(analytics::parse_iso8601("yesterday"));
    EXPECT_FALSE(analytics::parse_iso8601("2026-11-30T12:00:00Zjunk"));
}

TEST(AnalyticsCalendar, UnitsFloorInLocalTimeAndWeeksStartOnSunday) {
    const int pst = -8 * 3600;
    EXPECT_EQ(analytics::format_iso8601(analytics::floor_to(Unit::day, kNow, pst), pst),
              "2026-11-30T00:00:00.000-08:00");
    EXPECT_EQ(analytics::format_iso8601(analytics::floor_to(Unit::week, kNow, 0)), "2026-11-29T00:00:00.000Z");
    EXPECT_EQ(analytics::format_iso8601(analytics::floor_to(Unit::month, kNow, 0)), "2026-11-01T00:00:00.000Z");
    EXPECT_EQ(analytics::format_iso8601(analytics::next_start(Unit::month, kNow, 0)), "2026-12-01T00:00:00.000Z");
    EXPECT_EQ(analytics::format_iso8601(analytics::next_start(Unit::year, kNow, 0)), "2027-01-01T00:00:00.000Z");
    auto jan31 = *analytics::parse_iso8601("2027-01-31T10:00:00Z");
    EXPECT_EQ(analytics::format_iso8601(analytics::add_units(Unit::month, jan31, 1, 0)), "2027-02-28T10:00:00.000Z");
}

TEST(AnalyticsCalendar, ANamedZonesDaysFollowItsWallClockAcrossDaylightSavingChanges) {
    auto berlin = analytics::TimeZone::named("Europe/Berlin");
    ASSERT_TRUE(berlin) << "the system's tzdata has no Europe/Berlin";
    // 2026-03-29: clocks go from 02:00 to 03:00, so the day is 23 hours long.
    auto spring = *analytics::parse_iso8601("2026-03-29T12:00:00Z");
    auto day = analytics::floor_to(Unit::day, spring, *berlin);
    EXPECT_EQ(analytics::format_iso8601(day, *berlin), "2026-03-29T00:00:00.000+01:00");
    auto next = analytics::next_start(Unit::day, spring, *berlin);
    EXPECT_EQ(analytics::format_iso8601(next, *berlin), "2026-03-30T00:00:00.000+02:00");
    EXPECT_EQ(next - day, std::int64_t{23} * 3600 * 1000);
    // 2026-10-25: back from 03:00 to 02:00, a 25-hour day.
    auto autumn = *analytics::parse_iso8601("2026-10-25T12:00:00Z");
    EXPECT_EQ(analytics::next_start(Unit::day, autumn, *berlin) - analytics::floor_to(Unit::day, autumn, *berlin),
              std::int64_t{25} * 3600 * 1000);
    // Hours are elapsed time: one hour after 01:30 on the spring night is 03:30.
    auto one_thirty = *analytics::parse_iso8601("2026-03-29T01:30:00+01:00");
    EXPECT_EQ(analytics::format_iso8601(analytics::add_units(Unit::hour, one_thirty, 1, *berlin), *berlin),
              "2026-03-29T03:30:00.000+02:00");
    // A month from a winter date keeps its local time across the change.
    auto march1 = *analytics::parse_iso8601("2026-03-01T09:00:00+01:00");
    EXPECT_EQ(analytics::format_iso8601(analytics::add_units(Unit::month, march1, 1, *berlin), *berlin),
              "2026-04-01T09:00:00.000+02:00");
    EXPECT_TRUE(
        berlin->fixed_between(*analytics::parse_iso8601("2026-04-01"), *analytics::parse_iso8601("2026-10-01")));
    EXPECT_FALSE(
        berlin->fixed_between(*analytics::parse_iso8601("2026-03-01"), *analytics::parse_iso8601("2026-04-01")));
    EXPECT_EQ(berlin->name(), "Europe/Berlin");
    EXPECT_FALSE(analytics::TimeZone::named("Mars/Olympus_Mons"));
    EXPECT_FALSE(analytics::TimeZone::named(""));
}

TEST_P(AnalyticsStoreTest, EventsComeBackByCollectionAndTimeRangeInOrder) {
    std::vector<analytics::PreparedEvent> batch;
    batch.reserve(250);
    for (int i = 0; i < 250; ++i)
        batch.push_back({i % 2 ? "logins" : "sign_ups", 1000 + i, "{\"n\":" + std::to_string(i) + "}"});
    ASSERT_TRUE(events_->insert(batch));
    EXPECT_EQ(*events_->count("logins", 0, 10'000), 125);
    EXPECT_EQ(*events_->count("logins", 1100, 1200), 50);
    auto rows = events_->events("sign_ups", 1000, 1010, 100);
    ASSERT_TRUE(rows) << rows.status().message();
    ASSERT_EQ(rows->size(), 5u);
    EXPECT_EQ(rows->front().timestamp_ms, 1000);
    EXPECT_EQ(parse_json(rows->back().json).at("n").as_int64(), 8);
    EXPECT_EQ(events_->events("sign_ups", 0, 10'000, 7)->size(), 7u);
}

TEST_P(AnalyticsStoreTest, KeysAreStoredHashedWithTheirKindAndTheProjectIsOne) {
    auto keys = analytics::create_keys(*events_, "test", 100);
    ASSERT_TRUE(keys) << keys.status().message();
    EXPECT_EQ(keys->project_id.size(), 24u);
    EXPECT_EQ(*events_->project_id(200), keys->project_id);
    auto again = analytics::create_keys(*events_, "second", 300);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->project_id, keys->project_id);
    EXPECT_EQ((*events_->key_grant(accounts::secret_hash(keys->write_key)))->kind, analytics::KeyKind::write);
    EXPECT_EQ((*events_->key_grant(accounts::secret_hash(keys->read_key)))->kind, analytics::KeyKind::read);
    EXPECT_EQ((*events_->key_grant(accounts::secret_hash(again->master_key)))->kind, analytics::KeyKind::master);
    EXPECT_FALSE(*events_->key_grant(keys->write_key));  // the bare key is not what is stored
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsStoreTest, ::testing::Values("sqlite", "postgres"));

class AnalyticsApiTest : public CloudHttpTest {
protected:
    // A server whose analytics clock is now_ms_, and the project's keys. A server
    // started again gets a database of its own, as its keys are made anew.
    void start(testing::CloudServerOptions options) override {
        options.app.analytics_now_ms = [this] { return now_ms_.load(); };
        if (server_) {
            events_.reset();
            url_ = testing::fresh_database_url(GetParam(), dir_.path());
        }
        CloudHttpTest::start(std::move(options));
        events_ = std::make_unique<analytics::EventStore>(server_->store().database());
        auto keys = analytics::create_keys(*events_, "test", 1);
        ASSERT_TRUE(keys);
        keys_ = *keys;
    }
    std::string base() const { return "/3.0/projects/" + keys_.project_id; }
    testing::HttpReply post(const std::string& path, const std::string& body, const std::string& key) {
        HttpClient c(server_->port());
        return c.request("POST", base() + path, {{"Authorization", key}, {"Content-Type", "application/json"}}, body);
    }
    json::value query(const std::string& analysis, const std::string& body) {
        auto r = post("/queries/" + analysis, body, keys_.read_key);
        EXPECT_EQ(r.status, 200) << r.body;
        return parse_json(r.body).at("result");
    }
    void record(const std::string& collection, const std::string& event) {
        auto r = post("/events/" + collection, event, keys_.write_key);
        ASSERT_EQ(r.status, 201) << r.body;
    }

    std::atomic<std::int64_t> now_ms_{kNow};
    std::unique_ptr<analytics::EventStore> events_;
    analytics::ProjectKeys keys_;
};

TEST_P(AnalyticsApiTest, OneEventGetsKeensObjectAndAnswerCreated) {
    auto r = post("/events/purchases", R"({"item": "lamp", "price": 25})", keys_.write_key);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(parse_json(r.body), parse_json(R"({"created": true})"));
    record("purchases", R"({"item": "bulb", "keen": {"timestamp": "2026-11-29T08:00:00.000Z"}})");
    auto events = query("extraction", R"({"event_collection": "purchases", "timeframe": "this_2_days"})");
    ASSERT_EQ(events.as_array().size(), 2u);
    const json::object& older = events.as_array()[0].as_object();
    EXPECT_EQ(older.at("item"), "bulb");
    EXPECT_EQ(older.at("keen").at("timestamp"), "2026-11-29T08:00:00.000Z");
    EXPECT_EQ(older.at("keen").at("created_at"), "2026-11-30T12:00:00.000Z");
    const json::object& newer = events.as_array()[1].as_object();
    EXPECT_EQ(newer.at("keen").at("timestamp"), "2026-11-30T12:00:00.000Z");
    EXPECT_EQ(newer.at("keen").at("id").as_string().size(), 24u);
    EXPECT_NE(newer.at("keen").at("id"), older.at("keen").at("id"));
}

TEST_P(AnalyticsApiTest, ABatchAnswersEachEventAndKeepsTheGoodOnes) {
    auto r = post("/events",
                  R"({"logins": [{"user": "a"}, {"bad.name": 1}, {"user": "b"}], "sign_ups": [{"user": "c"}]})",
                  keys_.write_key);
    ASSERT_EQ(r.status, 200) << r.body;
    json::value answer = parse_json(r.body);
    EXPECT_EQ(answer.at("sign_ups"), parse_json(R"([{"success": true}])"));
    const json::array& logins = answer.at("logins").as_array();
    ASSERT_EQ(logins.size(), 3u);
    EXPECT_EQ(logins[0], parse_json(R"({"success": true})"));
    EXPECT_EQ(logins[1].at("success"), false);
    EXPECT_EQ(logins[1].at("error").at("name"), "InvalidPropertyNameError");
    EXPECT_EQ(query("count", R"({"event_collection": "logins"})"), 2);
}

// keen-tracking in a web page on another origin: a preflight, then the call;
// every answer may be read by any origin, and none admits credentials.
TEST_P(AnalyticsApiTest, WebPagesOnAnyOriginMayCallItWithTheirKeysAndNoCookies) {
    HttpClient c(server_->port());
    auto pre = c.request("OPTIONS", base() + "/events/clicks",
                         {{"Origin", "https://shop.example"},
                          {"Access-Control-Request-Method", "POST"},
                          {"Access-Control-Request-Headers", "authorization, content-type"}},
                         "");
    EXPECT_EQ(pre.status, 204) << pre.describe() << pre.body;
    EXPECT_EQ(pre.header("Access-Control-Allow-Origin"), "*");
    EXPECT_NE(pre.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
    EXPECT_NE(pre.header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
    EXPECT_NE(pre.header("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
    EXPECT_EQ(c.request("OPTIONS", base() + "/queries/count", {{"Origin", "https://shop.example"}}, "").status, 204);

    auto written = post("/events/clicks", R"({"button": "buy"})", keys_.write_key);
    EXPECT_EQ(written.status, 201);
    auto refused = post("/events/clicks", R"({"button": "buy"})", "not-a-key");
    EXPECT_EQ(refused.status, 401);
    auto counted = post("/queries/count", R"({"event_collection": "clicks"})", keys_.read_key);
    EXPECT_EQ(counted.status, 200) << counted.body;
    for (const auto* r : {&written, &refused, &counted}) {
        EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "*") << r->status << " " << r->body;
        EXPECT_EQ(r->header("Access-Control-Allow-Credentials"), "") << "keys, never cookies";
    }
    // The rest of the platform is for its own pages only.
    EXPECT_EQ(c.request("GET", "/api/v1/lamps").header("Access-Control-Allow-Origin"), "");
}

TEST_P(AnalyticsApiTest, RefusalsHaveKeensShapeAndSayWhatIsWrong) {
    auto expect = [](const testing::HttpReply& r, int status, const std::string& code) {
        EXPECT_EQ(r.status, status) << r.body;
        json::value v = parse_json(r.body);
        EXPECT_EQ(v.at("error_code"), code.c_str()) << r.body;
        EXPECT_FALSE(v.at("message").as_string().empty());
    };
    HttpClient c(server_->port());
    expect(c.request("POST", base() + "/events/x", {}, "{}"), 401, "InvalidApiKeyError");
    expect(post("/events/x", "{}", "not-a-key"), 401, "InvalidApiKeyError");
    expect(post("/events/x", "{}", keys_.read_key), 403, "InvalidApiKeyError");
    expect(post("/queries/count", R"({"event_collection": "x"})", keys_.write_key), 403, "InvalidApiKeyError");
    HttpClient other(server_->port());
    expect(other.request("POST", "/3.0/projects/000000000000000000000000/events/x",
                         {{"Authorization", keys_.write_key}}, "{}"),
           404, "ProjectNotFoundError");
    expect(post("/events/%24system", "{}", keys_.write_key), 400, "InvalidCollectionNameError");
    expect(post("/events/" + std::string(65, 'c'), "{}", keys_.write_key), 400, "InvalidCollectionNameError");
    expect(post("/events/x", "{\"a\": ", keys_.write_key), 400, "InvalidJsonError");
    expect(post("/events/x", "[1]", keys_.write_key), 400, "InvalidEventError");
    expect(post("/events/x", R"({"$set": 1})", keys_.write_key), 400, "InvalidPropertyNameError");
    expect(post("/events/x", R"({"user": {"first.name": 1}})", keys_.write_key), 400, "InvalidPropertyNameError");
    expect(post("/events/x", R"({"keen": {"timestamp": "last tuesday"}})", keys_.write_key), 400,
           "InvalidPropertyValueError");
    expect(post("/events/x", R"({"blob": ")" + std::string(20'000, 'x') + "\"}", keys_.write_key), 400,
           "EventTooLargeError");
    expect(post("/queries/count", R"({"timeframe": "this_1_days"})", keys_.read_key), 400,
           "MissingRequiredPropertyError");
    expect(post("/queries/sum", R"({"event_collection": "x"})", keys_.read_key), 400, "MissingRequiredPropertyError");
    expect(post("/queries/count", R"({"event_collection": "x", "timeframe": "last_week"})", keys_.read_key), 400,
           "TimeframeDefinitionError");
    expect(post("/queries/count", R"({"event_collection": "x", "filters": [{"property_name": "a", "operator": "like",
           "property_value": 1}]})",
                keys_.read_key),
           400, "FilterDefinitionError");
    expect(post("/queries/count", R"({"event_collection": "x", "timezone": "Mars/Olympus_Mons"})", keys_.read_key), 400,
           "TimezoneError");
    expect(post("/queries/funnel_cake", R"({"event_collection": "x"})", keys_.read_key), 404, "ResourceNotFoundError");
    // A master key may write and read.
    EXPECT_EQ(post("/events/x", "{}", keys_.master_key).status, 201);
    EXPECT_EQ(post("/queries/count", R"({"event_collection": "x"})", keys_.master_key).status, 200);
}

// Only a key that was accepted gets a bucket in the write limiter: a flood of
// made-up keys, a read key and a revoked key on the write routes leave its
// memory as it was (GET /metrics counts the buckets).
TEST_P(AnalyticsApiTest, KeysThatAreRefusedGetNoWriteBucket) {
    testing::CloudServerOptions options;
    options.app.analytics_write_limit = {10, 20};
    start(options);
    auto buckets = [&] {
        auto r = HttpClient(server_->port()).request("GET", "/metrics");
        EXPECT_EQ(r.status, 200) << r.body;
        const std::string name = "\nlampi_analytics_write_buckets ";
        std::size_t at = r.body.find(name);
        if (at == std::string::npos) return std::int64_t{-1};
        return static_cast<std::int64_t>(std::stoll(r.body.substr(at + name.size())));
    };
    EXPECT_EQ(buckets(), 0);
    for (int i = 0; i < 300; ++i) {
        auto r = i % 2 ? post("/events/clicks", "{}", "made-up-" + std::to_string(i))
                       : post("/events", R"({"clicks": [{}]})", "made-up-" + std::to_string(i));
        ASSERT_EQ(r.status, 401) << r.body;
    }
    EXPECT_EQ(post("/events/clicks", "{}", keys_.read_key).status, 403);
    auto made = post("/keys", R"({"name": "gone", "permitted": ["writes"]})", keys_.master_key);
    ASSERT_EQ(made.status, 201) << made.body;
    std::string gone(parse_json(made.body).at("key").as_string());
    ASSERT_EQ(post("/keys/" + gone + "/revoke", "", keys_.master_key).status, 200);
    EXPECT_EQ(post("/events/clicks", "{}", gone).status, 401);
    EXPECT_EQ(buckets(), 0) << "a refused key was given a bucket";

    EXPECT_EQ(post("/events/clicks", "{}", keys_.write_key).status, 201);
    EXPECT_EQ(buckets(), 1);
}

TEST_P(AnalyticsApiTest, AWriteKeyPastItsLimitGets429WithRetryAfterAndOtherKeysWriteOn) {
    testing::CloudServerOptions options;
    options.app.analytics_write_limit = {10, 20};  // events per second, and at once
    start(options);
    auto other = analytics::create_keys(*events_, "other", 1);
    ASSERT_TRUE(other);
    auto batch = [](int events) {
        std::string body = R"({"clicks": [)";
        for (int i = 0; i < events; ++i) body += i ? ",{}" : "{}";
        return body + "]}";
    };
    // The analytics clock stands still, so nothing refills until the test moves it.
    EXPECT_EQ(post("/events", batch(15), keys_.write_key).status, 200);
    EXPECT_EQ(post("/events", batch(15), keys_.write_key).status, 200) << "5 left: let through, into debt";
    auto refused = post("/events", batch(1), keys_.write_key);
    EXPECT_EQ(refused.status, 429) << refused.body;
    json::value v = parse_json(refused.body);
    EXPECT_EQ(v.at("error_code"), "TooManyRequestsError");
    EXPECT_NE(std::string(v.at("message").as_string()).find("10 events per second"), std::string::npos) << refused.body;
    EXPECT_EQ(refused.header("Retry-After"), "2") << "a debt of 10 events and one more at 10 per second: 1.1 s, up";
    EXPECT_EQ(refused.header("Access-Control-Allow-Origin"), "*");
    EXPECT_EQ(post("/events/clicks", "{}", keys_.write_key).status, 429);
    // Refused before its body is read: a key past its limit cannot make the server parse batches.
    EXPECT_EQ(post("/events", "not json", keys_.write_key).status, 429);
    // Nothing refused was stored.
    EXPECT_EQ(*events_->count("clicks", 0, kNow + 1), 30);

    // Another key has a bucket of its own.
    EXPECT_EQ(post("/events", batch(20), other->write_key).status, 200);
    EXPECT_EQ(post("/events/clicks", "{}", other->write_key).status, 429);

    // Writing at the limit passes: a second later the first key has repaid its debt and has 1 event again.
    now_ms_ += 1100;
    EXPECT_EQ(post("/events/clicks", "{}", keys_.write_key).status, 201);
    for (int second = 0; second < 3; ++second) {
        now_ms_ += 1000;
        EXPECT_EQ(post("/events", batch(10), keys_.write_key).status, 200) << "second " << second;
    }
    EXPECT_EQ(*events_->count("clicks", 0, kNow + 10'000), 30 + 20 + 1 + 30);
}

// Eight purchases over three days; every figure below is worked out by hand.
class AnalyticsQueryTest : public AnalyticsApiTest {
protected:
    void SetUp() override {
        AnalyticsApiTest::SetUp();
        if (IsSkipped()) return;
        struct P {
            const char* when;
            const char* user;
            int price;
            const char* item;
        };
        const P purchases[] = {
            {"2026-11-27T10:00:00Z", "ann", 10, "bulb"}, {"2026-11-28T09:00:00Z", "ann", 20, "lamp"},
            {"2026-11-28T23:30:00Z", "bob", 30, "lamp"}, {"2026-11-29T01:00:00Z", "cy", 40, "lamp"},
            {"2026-11-29T12:00:00Z", "bob", 50, "bulb"}, {"2026-11-29T13:00:00Z", "ann", 60, "shade"},
            {"2026-11-30T08:00:00Z", "dee", 70, "lamp"}, {"2026-11-30T09:00:00Z", "cy", 80, "bulb"},
        };
        std::string batch = R"({"purchases": [)";
        for (const P& p : purchases)
            batch += fmt::format(
                R"({}{{"user": {{"name": "{}"}}, "price": {}, "item": "{}", "keen": {{"timestamp": "{}"}}}})",
                &p == purchases ? "" : ",", p.user, p.price, p.item, p.when);
        batch += "]}";
        auto r = post("/events", batch, keys_.write_key);
        ASSERT_EQ(r.status, 200) << r.body;
    }
};

TEST_P(AnalyticsQueryTest, SimpleAnalysesMatchTheFiguresWorkedByHand) {
    const std::string all = R"("event_collection": "purchases", "timeframe": "this_7_days")";
    EXPECT_EQ(query("count", "{" + all + "}"), 8);
    EXPECT_EQ(query("count_unique", "{" + all + R"(, "target_property": "user.name"})"), 4);
    EXPECT_EQ(query("sum", "{" + all + R"(, "target_property": "price"})"), 360);
    EXPECT_EQ(query("average", "{" + all + R"(, "target_property": "price"})"), 45);
    EXPECT_EQ(query("minimum", "{" + all + R"(, "target_property": "price"})"), 10);
    EXPECT_EQ(query("maximum", "{" + all + R"(, "target_property": "price"})"), 80);
    EXPECT_EQ(query("median", "{" + all + R"(, "target_property": "price"})"), 40);
    EXPECT_EQ(query("percentile", "{" + all + R"(, "target_property": "price", "percentile": 90})"), 80);
    EXPECT_EQ(query("select_unique", "{" + all + R"(, "target_property": "item"})"),
              parse_json(R"(["bulb", "lamp", "shade"])"));
    EXPECT_EQ(query("average", "{" + all + R"(, "target_property": "missing"})"), nullptr);
    EXPECT_EQ(query("count", R"({"event_collection": "purchases", "timeframe": "previous_1_days"})"), 3);
    EXPECT_EQ(query("count", R"({"event_collection": "purchases", "timeframe": {"start": "2026-11-28T00:00:00Z",
              "end": "2026-11-29T00:00:00Z"}})"),
              2);
    EXPECT_EQ(query("count", R"({"event_collection": "nothing", "timeframe": "this_7_days"})"), 0);
}

TEST_P(AnalyticsQueryTest, FiltersSelectEvents) {
    auto count = [this](const std::string& filter) {
        return query("count", R"({"event_collection": "purchases", "filters": [)" + filter + "]}").as_int64();
    };
    EXPECT_EQ(count(R"({"property_name": "item", "operator": "eq", "property_value": "lamp"})"), 4);
    EXPECT_EQ(count(R"({"property_name": "item", "operator": "ne", "property_value": "lamp"})"), 4);
    EXPECT_EQ(count(R"({"property_name": "price", "operator": "lt", "property_value": 30})"), 2);
    EXPECT_EQ(count(R"({"property_name": "price", "operator": "lte", "property_value": 30})"), 3);
    EXPECT_EQ(count(R"({"property_name": "price", "operator": "gt", "property_value": 70})"), 1);
    EXPECT_EQ(count(R"({"property_name": "price", "operator": "gte", "property_value": 70})"), 2);
    EXPECT_EQ(count(R"({"property_name": "user.name", "operator": "in", "property_value": ["ann", "cy"]})"), 5);
    EXPECT_EQ(count(R"({"property_name": "item", "operator": "contains", "property_value": "ul"})"), 3);
    EXPECT_EQ(count(R"({"property_name": "item", "operator": "not_contains", "property_value": "ul"})"), 5);
    EXPECT_EQ(count(R"({"property_name": "coupon", "operator": "exists", "property_value": false})"), 8);
    EXPECT_EQ(count(R"({"property_name": "keen.timestamp", "operator": "gte", "property_value": "2026-11-30"})"), 2);
    EXPECT_EQ(count(R"({"property_name": "item", "operator": "eq", "property_value": "lamp"},
                       {"property_name": "price", "operator": "gt", "property_value": 25})"),
              3);
}

TEST_P(AnalyticsQueryTest, IntervalsAndGroupsHaveKeensShapes) {
    json::value daily = query("count", R"({"event_collection": "purchases", "timeframe": "previous_3_days",
                                           "interval": "daily"})");
    EXPECT_EQ(daily, parse_json(R"([
        {"value": 1, "timeframe": {"start": "2026-11-27T00:00:00.000Z", "end": "2026-11-28T00:00:00.000Z"}},
        {"value": 2, "timeframe": {"start": "2026-11-28T00:00:00.000Z", "end": "2026-11-29T00:00:00.000Z"}},
        {"value": 3, "timeframe": {"start": "2026-11-29T00:00:00.000Z", "end": "2026-11-30T00:00:00.000Z"}}])"));
    // Eight hours west the 23:30 and 01:00 purchases fall on the 28th, and the 10:00 one on the 27th.
    json::value pacific = query("count", R"({"event_collection": "purchases", "timeframe": "previous_2_days",
                                             "interval": "daily", "timezone": -28800})");
    ASSERT_EQ(pacific.as_array().size(), 2u);
    EXPECT_EQ(pacific.as_array()[0].at("timeframe").at("start"), "2026-11-28T00:00:00.000-08:00");
    EXPECT_EQ(pacific.as_array()[0].at("value"), 3);  // 28th 09:00Z is the 28th 01:00 local
    EXPECT_EQ(pacific.as_array()[1].at("value"), 2);

    json::value by_item = query("sum", R"({"event_collection": "purchases", "target_property": "price",
                                           "group_by": "item", "order_by": {"property_name": "result",
                                           "direction": "DESC"}, "limit": 2})");
    EXPECT_EQ(by_item, parse_json(R"([{"item": "lamp", "result": 160}, {"item": "bulb", "result": 140}])"));
    json::value two = query("count", R"({"event_collection": "purchases", "group_by": ["user.name", "item"],
                                         "filters": [{"property_name": "user.name", "operator": "eq",
                                         "property_value": "ann"}]})");
    EXPECT_EQ(two, parse_json(R"([{"user.name": "ann", "item": "bulb", "result": 1},
                            {"user.name": "ann", "item": "lamp", "result": 1},
                            {"user.name": "ann", "item": "shade", "result": 1}])"));
    json::value both = query("count", R"({"event_collection": "purchases", "timeframe": "this_1_days",
                                          "interval": "daily", "group_by": "item"})");
    EXPECT_EQ(both.as_array()[0].at("value"),
              parse_json(R"([{"item": "bulb", "result": 1}, {"item": "lamp", "result": 1}])"));
}

// Four events around Berlin's spring-forward night. In Europe/Berlin they fall on
// the 28th, the 29th (twice) and the 30th; a fixed +01:00 would put the last two
// on the 29th, so the answer tells a named zone from its winter offset.
TEST_P(AnalyticsQueryTest, ANamedTimeZoneCountsDaysByItsWallClockAcrossTheChange) {
    ASSERT_EQ(post("/events", R"({"dst": [
        {"n": 1, "keen": {"timestamp": "2026-03-28T12:00:00Z"}},
        {"n": 2, "keen": {"timestamp": "2026-03-28T23:30:00Z"}},
        {"n": 3, "keen": {"timestamp": "2026-03-29T21:30:00Z"}},
        {"n": 4, "keen": {"timestamp": "2026-03-29T22:30:00Z"}}]})",
                   keys_.write_key)
                  .status,
              200);
    const std::string timeframe =
        R"("timeframe": {"start": "2026-03-28T00:00:00+01:00", "end": "2026-03-31T00:00:00+02:00"}, "interval": "daily")";
    json::value berlin =
        query("count", R"({"event_collection": "dst", "timezone": "Europe/Berlin", )" + timeframe + "}");
    EXPECT_EQ(berlin, parse_json(R"([
        {"value": 1, "timeframe": {"start": "2026-03-28T00:00:00.000+01:00", "end": "2026-03-29T00:00:00.000+01:00"}},
        {"value": 2, "timeframe": {"start": "2026-03-29T00:00:00.000+01:00", "end": "2026-03-30T00:00:00.000+02:00"}},
        {"value": 1, "timeframe": {"start": "2026-03-30T00:00:00.000+02:00", "end": "2026-03-31T00:00:00.000+02:00"}}])"));
    json::value fixed = query("count", R"({"event_collection": "dst", "timezone": 3600, )" + timeframe + "}");
    ASSERT_GE(fixed.as_array().size(), 2u);
    EXPECT_EQ(fixed.as_array()[1].at("value"), 3) << fixed;
    // The same through the in-memory engine (a percentile cannot run in the database).
    json::value median = query("median", R"({"event_collection": "dst", "target_property": "n",
                                            "timezone": "Europe/Berlin", )" +
                                             timeframe + "}");
    ASSERT_EQ(median.as_array().size(), 3u) << median;
    EXPECT_EQ(median.as_array()[0].at("value"), 1) << median;
    EXPECT_EQ(median.as_array()[2].at("value"), 4) << median;
}

TEST_P(AnalyticsQueryTest, AFunnelCountsTheActorsWhoDidEachStepAndTheOnesBefore) {
    auto r = post("/queries/funnel", R"({"timeframe": "this_7_days", "steps": [
        {"event_collection": "purchases", "actor_property": "user.name"},
        {"event_collection": "purchases", "actor_property": "user.name",
         "filters": [{"property_name": "item", "operator": "eq", "property_value": "bulb"}]},
        {"event_collection": "purchases", "actor_property": "user.name", "optional": true,
         "filters": [{"property_name": "item", "operator": "eq", "property_value": "shade"}]},
        {"event_collection": "purchases", "actor_property": "user.name",
         "filters": [{"property_name": "price", "operator": "gte", "property_value": 40}]},
        {"event_collection": "purchases", "actor_property": "user.name", "inverted": true,
         "filters": [{"property_name": "item", "operator": "eq", "property_value": "shade"}]}]})",
                  keys_.read_key);
    ASSERT_EQ(r.status, 200) << r.body;
    // everyone (4); bulb buyers ann, bob, cy (3); of them shade: ann (1, optional: narrows
    // nothing); of ann, bob, cy a price >= 40: bob, cy, ann (3); of those, no shade: bob, cy (2).
    EXPECT_EQ(parse_json(r.body).at("result"), parse_json("[4, 3, 1, 3, 2]"));
    EXPECT_EQ(parse_json(r.body).at("steps").as_array().size(), 5u);
}

TEST_P(AnalyticsQueryTest, MultiAnalysisAnswersEveryLabelOverTheSameEvents) {
    const std::string analyses =
        R"("analyses": {"total": {"analysis_type": "count"}, "spent": {"analysis_type": "sum", "target_property": "price"}})";
    EXPECT_EQ(query("multi_analysis", R"({"event_collection": "purchases", )" + analyses + "}"),
              parse_json(R"({"total": 8, "spent": 360})"));
    EXPECT_EQ(query("multi_analysis", R"({"event_collection": "purchases", "group_by": "item", )" + analyses + "}"),
              parse_json(R"([{"item": "bulb", "total": 3, "spent": 140}, {"item": "lamp", "total": 4, "spent": 160},
                        {"item": "shade", "total": 1, "spent": 60}])"));
    json::value daily = query("multi_analysis", R"({"event_collection": "purchases", "timeframe": "previous_1_days",
                                                   "interval": "daily", )" +
                                                    analyses + "}");
    EXPECT_EQ(daily.as_array()[0].at("value"), parse_json(R"({"total": 3, "spent": 150})"));
}

// The database and the in-memory engine must answer every query alike, including
// over awkward events: a price that is a string, null or missing, booleans, and
// events over three months.
TEST_P(AnalyticsQueryTest, TheDatabaseAndMemoryEnginesGiveTheSameAnswers) {
    std::string odd = R"({"purchases": [
        {"item": "lamp", "price": "12", "user": {"name": "eve"}, "gift": true, "keen": {"timestamp": "2026-10-03T10:00:00Z"}},
        {"item": null, "price": null, "user": {"name": "eve"}, "gift": false, "keen": {"timestamp": "2026-09-15T10:00:00Z"}},
        {"item": "bulb", "price": 7.5, "gift": true, "keen": {"timestamp": "2026-11-29T23:59:59.999Z"}},
        {"item": "Lamp", "price": -3, "user": {"name": "ann"}, "keen": {"timestamp": "2026-11-30T11:59:00Z"}}]})";
    ASSERT_EQ(post("/events", odd, keys_.write_key).status, 200);
    const std::vector<std::pair<std::string, std::string>> queries = {
        {"count", R"({"group_by": "item"})"},
        {"count", R"({"group_by": ["item", "gift"], "timeframe": "this_4_months", "interval": "monthly"})"},
        {"count", R"({"timeframe": "this_3_months", "interval": "weekly", "timezone": 3600})"},
        {"count", R"({"timeframe": "this_3_months", "interval": "daily", "timezone": "Europe/Berlin"})"},
        {"count", R"({"timeframe": "this_3_months", "interval": "weekly", "timezone": "US/Pacific",
                     "group_by": "item"})"},
        {"count", R"({"timeframe": "previous_48_hours", "interval": "hourly", "group_by": "user.name"})"},
        {"count_unique", R"({"target_property": "item", "timeframe": "this_2_years", "interval": "yearly"})"},
        {"sum", R"({"target_property": "price", "group_by": "user.name"})"},
        {"average", R"({"target_property": "price", "group_by": "item", "order_by": {"property_name": "result",
                       "direction": "DESC"}, "limit": 2})"},
        {"minimum", R"({"target_property": "price"})"},
        {"maximum", R"({"target_property": "price", "timeframe": "this_1_days", "interval": "minutely"})"},
        {"count", R"({"filters": [{"property_name": "price", "operator": "gt", "property_value": 10}]})"},
        {"count", R"({"filters": [{"property_name": "price", "operator": "ne", "property_value": 12}]})"},
        {"count", R"({"filters": [{"property_name": "item", "operator": "ne", "property_value": "lamp"}]})"},
        {"count", R"({"filters": [{"property_name": "item", "operator": "lt", "property_value": "b"}]})"},
        {"count", R"({"filters": [{"property_name": "item", "operator": "exists", "property_value": false}]})"},
        {"count", R"({"filters": [{"property_name": "gift", "operator": "eq", "property_value": true}]})"},
        {"count",
         R"({"filters": [{"property_name": "user.name", "operator": "in", "property_value": ["eve", "bob", 3]}],
                     "group_by": "user.name"})"},
        {"count", R"({"filters": [{"property_name": "keen.timestamp", "operator": "gte",
                     "property_value": "2026-11-29T12"}], "group_by": "item"})"},
        {"multi_analysis", R"({"analyses": {"n": {"analysis_type": "count"}, "low": {"analysis_type": "minimum",
                              "target_property": "price"}}, "group_by": "item", "timeframe": "this_7_days",
                              "interval": "daily", "timezone": -18000})"},
    };
    for (const auto& [analysis, params] : queries) {
        json::object body = parse_json(params).as_object();
        body["event_collection"] = "purchases";
        std::string text = json::serialize(body);
        auto in_db = analytics::run_query(*events_, analysis, text, now_ms_.load(), analytics::QueryEngine::best);
        auto in_memory =
            analytics::run_query(*events_, analysis, text, now_ms_.load(), analytics::QueryEngine::in_memory);
        ASSERT_FALSE(analytics::failed(in_db))
            << text << ": " << std::get<analytics::KeenError>(in_db).status.message();
        ASSERT_FALSE(analytics::failed(in_memory)) << text;
        EXPECT_EQ(parse_json(std::get<std::string>(in_db)), parse_json(std::get<std::string>(in_memory)))
            << analysis << " " << text;
    }
}

TEST_P(AnalyticsQueryTest, GetTakesTheSameParametersAsQueryStringAndApiKey) {
    HttpClient c(server_->port());
    std::string target = base() + "/queries/count?api_key=" + keys_.read_key +
                         "&event_collection=purchases&timeframe=this_7_days&group_by=%5B%22item%22%5D" + "&filters=" +
                         http::percent_encode(R"([{"property_name":"price","operator":"gte","property_value":40}])");
    auto r = c.request("GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse_json(r.body).at("result"),
              parse_json(
                  R"([{"item": "bulb", "result": 2}, {"item": "lamp", "result": 2}, {"item": "shade", "result": 1}])"));
}

// Keen's key API: the master key makes scoped keys for one customer's view.
class AnalyticsAccessKeyTest : public AnalyticsQueryTest {
protected:
    // A new key from `definition`, made through the API with the master key.
    std::string make_key(const std::string& definition) {
        auto r = post("/keys", definition, keys_.master_key);
        EXPECT_EQ(r.status, 201) << r.body;
        if (r.status != 201) return {};
        json::value made = parse_json(r.body);
        EXPECT_EQ(made.at("is_active"), true);
        return std::string(made.at("key").as_string());
    }
    json::value scoped_query(const std::string& key, const std::string& analysis, const std::string& body) {
        auto r = post("/queries/" + analysis, body, key);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? parse_json(r.body).at("result") : json::value();
    }
};

TEST_P(AnalyticsAccessKeyTest, AScopedQueryKeySeesOnlyWhatItsFiltersAllowWhateverItAsks) {
    std::string ann = make_key(R"({"name": "ann's dashboard", "permitted": ["queries"], "options": {"queries":
        {"filters": [{"property_name": "user.name", "operator": "eq", "property_value": "ann"}]}}})");
    ASSERT_FALSE(ann.empty());
    const std::string week = R"("event_collection": "purchases", "timeframe": "this_7_days")";
    EXPECT_EQ(scoped_query(ann, "count", "{" + week + "}"), 3);
    EXPECT_EQ(scoped_query(ann, "sum", "{" + week + R"(, "target_property": "price"})"), 90);
    EXPECT_EQ(scoped_query(ann, "count", "{" + week + R"(, "filters": [{"property_name": "item", "operator": "eq",
              "property_value": "lamp"}]})"),
              1);
    // Its own filters narrow; they never widen past the key's.
    EXPECT_EQ(scoped_query(ann, "count", "{" + week + R"(, "filters": [{"property_name": "user.name",
              "operator": "eq", "property_value": "bob"}]})"),
              0);
    EXPECT_EQ(scoped_query(ann, "funnel", R"({"steps": [{"event_collection": "purchases", "actor_property":
              "user.name", "timeframe": "this_7_days"}]})"),
              parse_json("[1]"));
    EXPECT_EQ(
        scoped_query(ann, "multi_analysis", "{" + week + R"(, "analyses": {"n": {"analysis_type": "count"}}})").at("n"),
        3);
    // The unscoped read key, for comparison, sees every buyer.
    EXPECT_EQ(query("funnel", R"({"steps": [{"event_collection": "purchases", "actor_property": "user.name",
              "timeframe": "this_7_days"}]})"),
              parse_json("[4]"));
    // The same through GET with api_key, as keen-analysis sends it.
    HttpClient c(server_->port());
    auto r = c.request("GET", base() + "/queries/count?api_key=" + ann +
                                  "&event_collection=purchases&timeframe=this_7_days&group_by=%5B%22item%22%5D");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(parse_json(r.body).at("result"),
              parse_json(
                  R"([{"item": "bulb", "result": 1}, {"item": "lamp", "result": 1}, {"item": "shade", "result": 1}])"));
    // A query key cannot write, nor make keys.
    EXPECT_EQ(post("/events/purchases", R"({"user": {"name": "ann"}})", ann).status, 403);
    EXPECT_EQ(post("/keys", R"({"name": "x", "permitted": ["queries"]})", ann).status, 403);
}

TEST_P(AnalyticsAccessKeyTest, AWriteKeysAutofillOverridesWhatTheCallerSends) {
    std::string acme = make_key(
        R"({"name": "acme's tracker", "permitted": ["writes"], "options": {"writes": {"autofill": {"customer": "acme"}}}})");
    ASSERT_FALSE(acme.empty());
    ASSERT_EQ(post("/events/visits", R"({"page": "/a", "customer": "globex"})", acme).status, 201);
    ASSERT_EQ(post("/events", R"({"visits": [{"page": "/b"}]})", acme).status, 200);
    auto customers = query("select_unique", R"({"event_collection": "visits", "target_property": "customer"})");
    EXPECT_EQ(customers, parse_json(R"(["acme"])"));
    EXPECT_EQ(query("count", R"({"event_collection": "visits"})"), 2);
    // A write key cannot read.
    EXPECT_EQ(post("/queries/count", R"({"event_collection": "visits"})", acme).status, 403);
}

TEST_P(AnalyticsAccessKeyTest, ARevokedKeyIsRefusedAndTheMasterKeyCannotBe) {
    std::string key = make_key(R"({"name": "old", "permitted": ["queries"]})");
    ASSERT_FALSE(key.empty());
    EXPECT_EQ(post("/queries/count", R"({"event_collection": "purchases"})", key).status, 200);
    HttpClient c(server_->port());
    auto shown = c.request("GET", base() + "/keys/" + key, {{"Authorization", keys_.master_key}}, "");
    ASSERT_EQ(shown.status, 200) << shown.body;
    EXPECT_EQ(parse_json(shown.body),
              parse_json(R"({"name": "old", "permitted": ["queries"], "options": {}, "is_active": true})"));
    auto revoked = post("/keys/" + key + "/revoke", "", keys_.master_key);
    ASSERT_EQ(revoked.status, 200) << revoked.body;
    EXPECT_EQ(parse_json(revoked.body).at("is_active"), false);
    auto refused = post("/queries/count", R"({"event_collection": "purchases"})", key);
    EXPECT_EQ(refused.status, 401);
    EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
    EXPECT_EQ(post("/keys/" + keys_.master_key + "/revoke", "", keys_.master_key).status, 409);
    EXPECT_EQ(post("/keys/" + std::string(64, 'a') + "/revoke", "", keys_.master_key).status, 404);
    EXPECT_EQ(post("/keys/" + keys_.write_key + "/revoke", "", keys_.read_key).status, 403);
    EXPECT_EQ(post("/queries/count", R"({"event_collection": "purchases"})", keys_.master_key).status, 200);
}

TEST_P(AnalyticsAccessKeyTest, DefinitionsThatCannotBeKeptAreRefusedWithWhy) {
    auto refused = [this](const std::string& definition, const std::string& code, const std::string& words) {
        auto r = post("/keys", definition, keys_.master_key);
        EXPECT_EQ(r.status, 400) << definition << " -> " << r.body;
        json::value v = parse_json(r.body);
        EXPECT_EQ(v.at("error_code"), code.c_str()) << r.body;
        EXPECT_NE(std::string(v.at("message").as_string()).find(words), std::string::npos) << r.body;
    };
    refused(R"({"permitted": ["queries"]})", "InvalidAccessKeyError", "name");
    refused(R"({"name": "x"})", "InvalidAccessKeyError", "permitted");
    refused(R"({"name": "x", "permitted": ["queries", "writes"]})", "InvalidAccessKeyError", "another for writes");
    refused(R"({"name": "x", "permitted": ["deletes"]})", "InvalidAccessKeyError", "deletes");
    refused(R"({"name": "x", "permitted": ["queries"], "options": {"queries": {"filters": [{"property_name": "a",
              "operator": "like", "property_value": 1}]}}})",
            "FilterDefinitionError", "like");
    refused(R"({"name": "x", "permitted": ["queries"], "options": {"writes": {"autofill": {"a": 1}}}})",
            "InvalidAccessKeyError", "writes");
    refused(R"({"name": "x", "permitted": ["writes"], "options": {"writes": {"autofill": {"keen": {}}}}})",
            "InvalidAccessKeyError", "keen");
    refused(R"({"name": "x", "permitted": ["writes"], "options": {"writes": {"autofill": {"a.b": 1}}}})",
            "InvalidPropertyNameError", "a.b");
    refused("{", "InvalidJsonError", "JSON");
}

// A key row whose options cannot be read limits its holder to nothing.
TEST_P(AnalyticsAccessKeyTest, DamagedStoredOptionsFailClosed) {
    std::string key(64, 'd');
    ASSERT_TRUE(events_->add_key(accounts::secret_hash(key), analytics::KeyKind::read, "damaged", 1, "{not json"));
    EXPECT_EQ(scoped_query(key, "count", R"({"event_collection": "purchases", "timeframe": "this_7_days"})"), 0);
    EXPECT_EQ(query("count", R"({"event_collection": "purchases", "timeframe": "this_7_days"})"), 8);
}

// The server's store exists only once the server does: the queue is attached then.
class LateSink final : public analytics::EventSink {
public:
    void record(std::string_view collection, std::string properties) override {
        if (auto q = std::atomic_load(&queue)) q->record(collection, std::move(properties));
    }
    std::shared_ptr<analytics::EventQueue> queue;
};

class PlatformEventsTest : public AnalyticsApiTest {
protected:
    void start(testing::CloudServerOptions options) override {
        options.app.events = sink_;
        options.lamps.events = sink_;
        AnalyticsApiTest::start(std::move(options));
        std::atomic_store(&sink_->queue,
                          std::make_shared<analytics::EventQueue>(*events_, analytics::EventQueueOptions{},
                                                                  [this] { return now_ms_.load(); }));
    }
    void TearDown() override {
        if (sink_->queue) sink_->queue->flush();
        server_.reset();
        sink_->queue.reset();
    }
    json::value extraction(const std::string& collection) {
        sink_->queue->flush();
        return query("extraction", R"({"event_collection": ")" + collection + R"("})");
    }
    std::shared_ptr<LateSink> sink_ = std::make_shared<LateSink>();
};

// A login to an account an operator disabled fails, even with the right password,
// and is a failed login event saying so (never the password); a wrong password on
// it is the usual failure, which tells nothing about the account.
TEST_P(PlatformEventsTest, ALoginToADisabledAccountIsAFailedLoginEventSayingDisabled) {
    auto dave = server_->add_user("dave");
    ASSERT_TRUE(server_->store().set_user_disabled(dave.id, 1000));
    testing::BrowserSession s(server_->port());
    EXPECT_FALSE(s.login("dave", testing::CloudServer::kPassword));
    EXPECT_FALSE(s.login("dave", "wrong-password-here"));
    json::value logins = extraction("logins");
    ASSERT_EQ(logins.as_array().size(), 2u) << json::serialize(logins);
    const json::value& right = logins.as_array()[0];
    EXPECT_EQ(right.at("username"), "dave");
    EXPECT_EQ(right.at("success"), false);
    EXPECT_EQ(right.at("failure"), "disabled");
    EXPECT_EQ(right.as_object().if_contains("user_id"), nullptr) << "a refused login names nobody's id";
    EXPECT_EQ(logins.as_array()[1].at("failure"), "wrong username or password");
    for (const json::value& login : logins.as_array()) {
        EXPECT_EQ(json::serialize(login).find(testing::CloudServer::kPassword), std::string::npos);
        EXPECT_EQ(json::serialize(login).find("wrong-password-here"), std::string::npos);
    }
}

TEST_P(PlatformEventsTest, SignUpsLoginsAndLampsBecomeEvents) {
    const std::string lamp = "b827eb74663e";
    testing::BrowserSession s(server_->port());
    ASSERT_EQ(s.get("/accounts/signup/?ref=spring-newsletter").status, 200);
    auto signed_up = s.post_form("/accounts/signup/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")},
                                                       {"username", "carol"},
                                                       {"password1", "long-enough-1"},
                                                       {"password2", "long-enough-1"},
                                                       {"ref", "spring-newsletter"}});
    ASSERT_EQ(signed_up.status, 302);
    json::value sign_ups = extraction("sign_ups");
    ASSERT_EQ(sign_ups.as_array().size(), 1u);
    EXPECT_EQ(sign_ups.as_array()[0].at("username"), "carol");
    EXPECT_EQ(sign_ups.as_array()[0].at("referred_by"), "spring-newsletter");

    testing::BrowserSession other(server_->port());
    EXPECT_FALSE(other.login("carol", "wrong-password-here"));
    EXPECT_TRUE(other.login("carol", "long-enough-1"));
    json::value logins = extraction("logins");
    ASSERT_EQ(logins.as_array().size(), 2u);
    EXPECT_EQ(logins.as_array()[0].at("success"), false);
    EXPECT_EQ(logins.as_array()[0].at("username"), "carol");
    EXPECT_EQ(logins.as_array()[1].at("success"), true);
    for (const json::value& login : logins.as_array())
        EXPECT_EQ(json::serialize(login).find("wrong-password-here"), std::string::npos);

    server_->announce_code(lamp, "123456");
    auto claimed = other.send("POST", "/api/v1/lamps/claim", R"({"code":"123456"})",
                              {{"Content-Type", "application/json"}, {"X-CSRFToken", other.cookie("csrftoken")}});
    ASSERT_EQ(claimed.status, 201) << claimed.body;
    // What the lamp says, spelled out as the broker delivers it (like api_test's
    // scenes): the events recorded follow from these messages one by one.
    server_->lamps().handle_message("devices/" + lamp + "/lamp/connection/lamp_service/state", "1");
    server_->lamps().handle_message("devices/" + lamp + "/lamp/connection/lamp_service/state", "1");  // no change
    server_->lamps().handle_message(
        "devices/" + lamp + "/lamp/changed",
        R"({"on":true,"color":{"h":0.25,"s":0.5},"brightness":0.75,"client":"lamp_ui","version":7})");
    server_->lamps().handle_message(
        "devices/" + lamp + "/lamp/changed",
        R"({"on":false,"color":{"h":0.25,"s":0.5},"brightness":0.75,"client":"x","version":6})");
    server_->lamps().handle_message("devices/" + lamp + "/lamp/connection/bridge/state", "0");
    auto released = other.send("DELETE", "/api/v1/lamps/" + lamp, "", {{"X-CSRFToken", other.cookie("csrftoken")}});
    ASSERT_EQ(released.status, 204) << released.body;

    std::int64_t carol = sign_ups.as_array()[0].at("user_id").as_int64();
    json::value claims = extraction("lamp_claims");
    ASSERT_EQ(claims.as_array().size(), 1u);
    EXPECT_EQ(claims.as_array()[0].at("device_id"), lamp.c_str());
    EXPECT_EQ(claims.as_array()[0].at("owner_id"), carol);
    json::value changes = extraction("lamp_changes");
    ASSERT_EQ(changes.as_array().size(), 1u);  // the older version was not stored, so it is no change
    EXPECT_EQ(changes.as_array()[0].at("client"), "lamp_ui");
    EXPECT_EQ(changes.as_array()[0].at("source"), "lamp_ui");
    EXPECT_EQ(changes.as_array()[0].at("owner_id"), carol);
    EXPECT_EQ(changes.as_array()[0].at("state").at("brightness"), 0.75);
    json::value connections = extraction("lamp_connections");
    ASSERT_EQ(connections.as_array().size(), 2u);
    EXPECT_EQ(connections.as_array()[0].at("online"), true);
    EXPECT_EQ(connections.as_array()[1].at("online"), false);
    EXPECT_EQ(connections.as_array()[1].at("reported_by"), "bridge");
    EXPECT_EQ(extraction("lamp_releases").as_array().size(), 1u);
    EXPECT_EQ(sink_->queue->dropped(), 0u);
}

TEST_P(AnalyticsStoreTest, AFullQueueDropsAndCountsInsteadOfWaiting) {
    analytics::EventQueueOptions options;
    options.capacity = 10;
    options.batch = 1000;                         // never woken early
    options.flush_every = std::chrono::hours(1);  // so the queue fills
    analytics::EventQueue queue(*events_, options, [] { return kNow; });
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 25; ++i) queue.record("logins", analytics::Properties().add("n", std::int64_t{i}).json());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
    EXPECT_EQ(queue.dropped(), 15u);
    queue.flush();
    EXPECT_EQ(queue.stored(), 10u);
    EXPECT_EQ(*events_->count("logins", 0, kNow + 1), 10);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsApiTest, ::testing::Values("sqlite", "postgres"));
INSTANTIATE_TEST_SUITE_P(Backends, PlatformEventsTest, ::testing::Values("sqlite", "postgres"));
INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsQueryTest, ::testing::Values("sqlite", "postgres"));
INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsAccessKeyTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace lampi::cloud
