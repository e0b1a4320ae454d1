// The analytics daily and group rollups on SQLite and PostgreSQL: every count
// they answer equals the count of the events themselves, however the timeframe
// cuts the days and whatever the values, the migration that made the daily
// rollup counted the events stored before it, and the group rollup's backfill
// counts those stored before a declaration.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <limits>
#include <random>
#include <thread>

#include "analytics/calendar.h"
#include "analytics/daily_rollup.h"
#include "analytics/event_store.h"
#include "analytics/query.h"
#include "analytics/retention.h"
#include "analytics_store_test.h"
#include "cloud_server.h"
#include "json_reply.h"
#include "lamps/change_source.h"
#include "postgres_server.h"
#include "process.h"
#include "storage/schema.h"
#include "storage/store.h"

namespace lampi::cloud {
namespace {

namespace json = boost::json;
using testing::parse_json;

// 2026-11-30T12:00:00Z, a Monday.
constexpr std::int64_t kNow = 1'796'040'000'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;

std::int64_t at(const char* iso) { return *analytics::parse_iso8601(iso); }

// Schema 15 undone on PostgreSQL: the events in one plain table again, as
// before they were partitioned, ids and sequence kept.
Status undo_partitioning(storage::SqlConnection& conn) {
    if (conn.dialect() != storage::Dialect::postgres) return Status::ok();
    return conn.script(R"SQL(
ALTER TABLE analytics_events RENAME TO analytics_events_partitioned;
CREATE TABLE analytics_events (
    id BIGINT PRIMARY KEY DEFAULT nextval('analytics_events_id_seq'),
    collection TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    body JSONB NOT NULL
);
INSERT INTO analytics_events SELECT id, collection, ts_ms, body FROM analytics_events_partitioned;
ALTER SEQUENCE analytics_events_id_seq OWNED BY analytics_events.id;
DROP TABLE analytics_events_partitioned;
CREATE INDEX analytics_events_collection_ts ON analytics_events(collection, ts_ms);
)SQL");
}

class AnalyticsRollupTest : public AnalyticsStoreTest {
protected:
    void SetUp() override {
        AnalyticsStoreTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        // On PostgreSQL the months around kNow get their partitions as lampi-cloud
        // makes them; older events stay in the default one, so both are read.
        auto made = events_->make_month_partitions(kNow, 2, 1);
        ASSERT_TRUE(made) << made.status().message();
    }
    // Events at the edges of days, spread over several batches and collections.
    void store_tricky_events() {
        std::vector<std::int64_t> times = {at("2026-11-30T00:00:00Z"),
                                           at("2026-11-29T23:59:59.999Z"),
                                           at("2026-11-29T00:00:00.001Z"),
                                           at("2026-11-30T11:59:59.999Z"),
                                           at("2026-11-28T12:00:00Z"),
                                           at("2026-11-01T00:00:00Z"),
                                           at("2026-10-31T23:00:00Z"),
                                           at("2026-01-01T00:00:00Z"),
                                           at("2025-12-31T23:59:59Z"),
                                           -12 * kHour,
                                           -1,
                                           0};  // and around 1970
        for (int i = 0; i < 40; ++i)
            times.push_back(kNow - (static_cast<std::int64_t>(i) * 7919 * 60'000) % (90 * kDay));
        std::vector<analytics::PreparedEvent> batch;
        for (std::size_t i = 0; i < times.size(); ++i) {
            batch.push_back({"purchases", times[i], fmt::format(R"({{"n": {}}})", i)});
            if (i % 3 == 0) batch.push_back({"views", times[i] + 1, "{}"});
            if (batch.size() >= 7) {
                ASSERT_TRUE(events_->insert(batch));
                batch.clear();
            }
        }
        ASSERT_TRUE(events_->insert(batch));
    }
    // The answer from the rollup where it can (QueryEngine::best) and from the events alone.
    void expect_rollup_equals_events(const std::string& params) {
        json::object body = parse_json(params).as_object();
        body["event_collection"] = "purchases";
        std::string text = json::serialize(body);
        auto best = analytics::run_query(*events_, "count", text, kNow, analytics::QueryEngine::best);
        auto raw = analytics::run_query(*events_, "count", text, kNow, analytics::QueryEngine::in_memory);
        ASSERT_FALSE(analytics::failed(best)) << text << ": " << std::get<analytics::KeenError>(best).status.message();
        ASSERT_FALSE(analytics::failed(raw)) << text;
        EXPECT_EQ(parse_json(std::get<std::string>(best)), parse_json(std::get<std::string>(raw))) << text;
    }
    // Each (collection, day) of the rollup against a GROUP BY over the events.
    void expect_rollup_table_matches_events() {
        auto conn = store_->database().lease();
        auto rollup = conn->query("SELECT collection, day_ms, events FROM analytics_daily ORDER BY 1, 2");
        auto counted = conn->query(
            "SELECT collection, ts_ms - ((ts_ms % 86400000) + 86400000) % 86400000 AS day_ms, COUNT(*) "
            "FROM analytics_events GROUP BY collection, day_ms ORDER BY 1, 2");
        ASSERT_TRUE(rollup && counted);
        EXPECT_EQ(*rollup, *counted);
    }
    // The store refuses a body that is not JSON; SQLite takes any text as a
    // body, so a trigger refuses the same row there.
    void refuse_bodies_that_are_not_json() {
        if (GetParam() != "sqlite") return;
        auto conn = store_->database().lease();
        ASSERT_TRUE(
            conn->script("CREATE TRIGGER refuse_bad_body BEFORE INSERT ON analytics_events "
                         "WHEN NEW.body = 'not json' BEGIN SELECT RAISE(ABORT, 'not json'); END"));
    }
    // A batch of a day ago whose refused body (refuse_bodies_that_are_not_json)
    // is in its second statement, after 100 rows of `body` went in.
    static std::vector<analytics::PreparedEvent> batch_refused_after_100_rows(const std::string& body) {
        std::vector<analytics::PreparedEvent> batch(150, {"purchases", kNow - kDay, body});
        batch.back().json = "not json";
        return batch;
    }
};

// Values of every JSON kind, as group_by meets them: PostgreSQL gives 2.0 back
// as 2 and an object's keys in its own order; "" and a quote are strings too.
const char* kMixedValues[] = {R"("lamp")",
                              R"("bulb")",
                              R"("")",
                              R"("say \"hi\"")",
                              "1",
                              "2",
                              "2.0",
                              "2.5",
                              "-0.0",
                              "1e2",
                              "12345678901234567890",
                              "true",
                              "false",
                              "null",
                              R"({"b": 1, "a": [2.0]})",
                              R"([1, "a", 2.0])",
                              "[]"};

class GroupRollupTest : public AnalyticsRollupTest {
protected:
    // Events of purchases over 12 days before kNow (some on midnights), as the
    // write API stores them (Boost's JSON text); each of kind, user.tier and
    // tags.1 is one of kMixedValues or missing (user and tags may also be a
    // string, so the path ends early), in batches of 1 to 60.
    void store_mixed_events(std::mt19937& random, int count) {
        std::uniform_int_distribution<std::size_t> value(0, std::size(kMixedValues));  // the last one: missing
        std::uniform_int_distribution<std::int64_t> when(0, 12 * kDay);
        std::uniform_int_distribution<std::size_t> batch_size(1, 60);
        std::vector<analytics::PreparedEvent> batch;
        std::size_t wanted = batch_size(random);
        for (int i = 0; i < count; ++i) {
            json::object event;
            auto put = [&](json::object& into, const char* name) {
                std::size_t v = value(random);
                if (v < std::size(kMixedValues)) into[name] = json::parse(kMixedValues[v]);
            };
            put(event, "kind");
            if (i % 7 == 0) {
                event["user"] = "ann";
            } else {
                json::object user;
                put(user, "tier");
                event["user"] = std::move(user);
            }
            json::array tags{"first"};
            if (std::size_t v = value(random); v < std::size(kMixedValues))
                tags.push_back(json::parse(kMixedValues[v]));
            if (i % 5 != 0) event["tags"] = std::move(tags);
            std::int64_t at = i % 11 == 0 ? analytics::utc_day_of(kNow - when(random)) : kNow - when(random);
            batch.push_back({"purchases", at, json::serialize(event)});
            if (batch.size() >= wanted) {
                ASSERT_TRUE(events_->insert(batch));
                batch.clear();
                wanted = batch_size(random);
            }
        }
        ASSERT_TRUE(events_->insert(batch));
    }
    void declare(const std::string& property) {
        ASSERT_TRUE(events_->declare_group_rollup({"purchases", property}, kNow));
    }
    void backfill_all() {
        auto unfinished = events_->unfinished_group_rollups();
        ASSERT_TRUE(unfinished) << unfinished.status().message();
        for (const analytics::GroupRollupKey& key : *unfinished) {
            for (int step = 0;; ++step) {
                auto more = events_->backfill_group_rollup(key);
                ASSERT_TRUE(more) << more.status().message();
                if (!*more) break;
                ASSERT_LT(step, 10'000) << "the backfill does not end";
            }
        }
    }
    // The answer from the group rollup where it can and from the events alone, for
    // each declared property and for timeframes cutting days every way.
    void expect_group_answers_equal_events(const std::string& property) {
        // Timeframes like the counts' test below, but its own list: a group answer
        // also takes an order_by, and its days may hold other values than a count's.
        for (
            const char* params : {
                R"({})",  // all time
                R"({"timeframe": "this_7_days", "interval": "daily"})",
                R"({"timeframe": "this_14_days", "interval": "daily", "timezone": "UTC"})",
                R"({"timeframe": "previous_3_days", "interval": "daily", "timezone": 0})",
                R"({"timeframe": "this_90_days", "interval": "weekly"})",
                R"({"timeframe": "this_4_months", "interval": "monthly"})",
                R"({"timeframe": "this_2_years", "interval": "yearly"})",
                R"({"timeframe": "this_30_days"})",
                R"({"timeframe": "this_30_days", "order_by": {"property_name": "result", "direction": "DESC"},
                     "limit": 4})",
                R"({"timeframe": {"start": "2026-11-20T06:00:00Z", "end": "2026-11-29T05:00:00Z"}, "interval": "daily"})",
                R"({"timeframe": {"start": "2026-11-20T06:00:00Z", "end": "2026-11-29T05:00:00Z"}})",
                R"({"timeframe": {"start": "2026-11-25T06:00:00Z", "end": "2026-11-25T23:00:00Z"}})",
                R"({"timeframe": {"start": "2026-11-18T00:00:00Z", "end": "2026-11-30T00:00:00Z"}, "interval": "daily"})",
                // Not the rollup's (another zone, hours): the same answers through the events.
                R"({"timeframe": "this_7_days", "interval": "daily", "timezone": -28800})",
                R"({"timeframe": "this_2_days", "interval": "hourly"})",
            }) {
            json::object body = parse_json(params).as_object();
            body["event_collection"] = "purchases";
            body["group_by"] = property;
            std::string text = json::serialize(body);
            auto best = analytics::run_query(*events_, "count", text, kNow, analytics::QueryEngine::best);
            auto raw = analytics::run_query(*events_, "count", text, kNow, analytics::QueryEngine::events);
            ASSERT_FALSE(analytics::failed(best)) << text;
            ASSERT_FALSE(analytics::failed(raw)) << text;
            // Compared as text: the groups' order is part of the answer.
            EXPECT_EQ(std::get<std::string>(best), std::get<std::string>(raw)) << text;
        }
    }
    // Each (day, value) of the group rollup against the events' own GROUP BY per day.
    void expect_group_table_matches_events(const std::string& property) {
        std::map<std::pair<std::int64_t, std::string>, std::int64_t> counted, rolled;
        auto days = store_->database().lease()->query(
            "SELECT day_ms FROM analytics_daily WHERE collection = 'purchases' ORDER BY day_ms");
        ASSERT_TRUE(days);
        for (const auto& day : *days) {
            std::int64_t d = storage::as_int(day[0]);
            auto rows = events_->aggregate(
                {"purchases", d, d + kDay, {}, {analytics::property_path(property)}, {{}}, 0, 0, std::nullopt});
            ASSERT_TRUE(rows);
            for (const auto& r : *rows)
                counted[{d, analytics::group_value_key(r.groups[0])}] += storage::as_int(r.values[0]);
        }
        auto rows = store_->database().lease()->query(
            "SELECT day_ms, value_json, events FROM analytics_daily_groups WHERE collection = 'purchases' AND "
            "property = $1",
            {property});
        ASSERT_TRUE(rows);
        for (const auto& r : *rows) rolled[{storage::as_int(r[0]), storage::as_text(r[1])}] = storage::as_int(r[2]);
        EXPECT_EQ(rolled, counted) << property;
    }
};

TEST_P(AnalyticsRollupTest, CountsAnsweredFromTheRollupEqualTheEventsCountedOneByOne) {
    store_tricky_events();
    expect_rollup_table_matches_events();
    for (const char* params : {
             R"({})",  // all time
             R"({"timeframe": "this_7_days", "interval": "daily"})",
             R"({"timeframe": "this_7_days", "interval": "daily", "timezone": "UTC"})",
             R"({"timeframe": "previous_3_days", "interval": "daily", "timezone": 0})",
             R"({"timeframe": "this_90_days", "interval": "weekly"})",
             R"({"timeframe": "this_4_months", "interval": "monthly"})",
             R"({"timeframe": "this_2_years", "interval": "yearly"})",
             R"({"timeframe": "this_7_days"})",
             R"({"timeframe": {"start": "2026-11-28T00:00:00Z", "end": "2026-11-30T00:00:00Z"}, "interval": "daily"})",
             R"({"timeframe": {"start": "2026-11-28T06:00:00Z", "end": "2026-11-30T05:00:00Z"}, "interval": "daily"})",
             R"({"timeframe": {"start": "2026-11-29T06:00:00Z", "end": "2026-11-29T23:00:00Z"}})",
             R"({"timeframe": {"start": "2026-11-29T06:00:00Z", "end": "2026-11-30T01:00:00Z"}})",
             R"({"timeframe": {"start": "2026-10-31T23:00:00Z", "end": "2026-11-01T00:00:00.001Z"}})",
             R"({"timeframe": {"start": "1969-12-31T00:00:00Z", "end": "1970-01-01T12:00:00Z"}, "interval": "daily"})",
             R"({"timeframe": {"start": "1969-12-31T18:00:00Z", "end": "1970-01-02T00:00:00Z"}})",
             // Not the rollup's (a zone off UTC, hours, a group): the same answers through the events.
             R"({"timeframe": "this_7_days", "interval": "daily", "timezone": -28800})",
             R"({"timeframe": "this_2_days", "interval": "hourly"})",
         })
        expect_rollup_equals_events(params);
}

TEST_P(AnalyticsRollupTest, AFailedBatchLeavesNeitherEventsNorCounts) {
    ASSERT_NO_FATAL_FAILURE(refuse_bodies_that_are_not_json());
    ASSERT_TRUE(events_->insert({{"purchases", kNow, "{}"}}));
    EXPECT_FALSE(events_->insert(batch_refused_after_100_rows("{}")));
    EXPECT_EQ(*events_->count("purchases", 0, kNow + 1), 1);
    expect_rollup_table_matches_events();
    // The connection is usable again.
    ASSERT_TRUE(events_->insert({{"purchases", kNow - kDay, "{}"}}));
    expect_rollup_table_matches_events();
}

// A writer may give every event of a batch a day of its own (keen.timestamp):
// with a larger --body-limit one batch then names more (collection, day) pairs
// than one statement can carry (65 535 parameters on PostgreSQL, 32 766 in
// SQLite's default build), and the rollup still counts them all, in the batch's
// transaction.
TEST_P(AnalyticsRollupTest, ABatchOfTensOfThousandsOfDaysIsCountedWhole) {
    std::vector<analytics::PreparedEvent> batch;
    for (std::int64_t day = 0; day < 22'000; ++day) batch.push_back({"purchases", kNow - day * kDay, "{}"});
    batch.push_back({"views", kNow, "{}"});
    Status stored = events_->insert(batch);
    ASSERT_TRUE(stored) << stored.message();
    EXPECT_EQ(*events_->count("purchases", std::numeric_limits<std::int64_t>::min(), kNow + 1), 22'000);
    expect_rollup_table_matches_events();
    expect_rollup_equals_events(R"({})");
}

TEST_P(AnalyticsRollupTest, TheMigrationCountsTheEventsStoredBeforeIt) {
    store_tricky_events();
    // Back to schema 11 with the events kept (each later migration undone, newest
    // first), then forward again.
    ASSERT_EQ(storage::schema_version(), 16) << "a new migration: add its undo below, before 15's (16 needs none)";
    {
        auto conn = store_->database().lease();
        ASSERT_TRUE(undo_partitioning(*conn));
        ASSERT_TRUE(conn->script("DROP TABLE analytics_daily_groups; DROP TABLE analytics_group_rollups"));
        ASSERT_TRUE(conn->script("DROP INDEX schedules_scene; ALTER TABLE schedules DROP COLUMN scene_id"));
        ASSERT_TRUE(conn->script("DROP TABLE analytics_daily"));
        ASSERT_TRUE(conn->script("DELETE FROM schema_migrations WHERE version >= 12"));
        ASSERT_TRUE(storage::migrate(*conn));
    }
    expect_rollup_table_matches_events();
    expect_rollup_equals_events(R"({"timeframe": "this_90_days", "interval": "daily"})");
}

TEST_P(AnalyticsRollupTest, RetentionDropsOldEventsAndTheirDailyCountsStillAnswer) {
    const std::int64_t today = analytics::utc_day_of(kNow);
    ASSERT_TRUE(events_->insert({{"purchases", today - 10 * kDay + 6 * kHour, R"({"item": "lamp"})"},
                                 {"purchases", today - 4 * kDay + 23 * kHour, R"({"item": "lamp"})"},
                                 {"purchases", today - 3 * kDay, R"({"item": "lamp"})"},
                                 {"purchases", kNow, R"({"item": "bulb"})"},
                                 {"views", today - 10 * kDay, "{}"},
                                 {"lamp_changes", today - 10 * kDay, R"({"on": true})"}}));
    auto before = analytics::run_query(*events_, "count",
                                       R"({"event_collection": "purchases", "timeframe": "this_14_days",
                                           "interval": "daily", "timezone": "UTC"})",
                                       kNow);
    ASSERT_FALSE(analytics::failed(before));

    // Three days: today and the three whole days before it stay; older ones go.
    auto dropped = analytics::drop_expired(*events_, 3, kNow);
    ASSERT_TRUE(dropped) << dropped.status().message();
    EXPECT_EQ(*dropped, 3);  // two purchases and a view
    EXPECT_EQ(*events_->count("purchases", 0, kNow + 1), 2);
    EXPECT_EQ(*events_->count("views", 0, kNow + 1), 0);
    EXPECT_EQ(*events_->count("lamp_changes", 0, kNow + 1), 1) << "a lamp's on-hours need all its changes";

    // Daily counts of the dropped days still answer, from the rollup, as before.
    auto after = analytics::run_query(*events_, "count",
                                      R"({"event_collection": "purchases", "timeframe": "this_14_days",
                                          "interval": "daily", "timezone": "UTC"})",
                                      kNow);
    ASSERT_FALSE(analytics::failed(after));
    EXPECT_EQ(parse_json(std::get<std::string>(after)), parse_json(std::get<std::string>(before)));
    EXPECT_EQ(parse_json(std::get<std::string>(
                  analytics::run_query(*events_, "count", R"({"event_collection": "purchases"})", kNow))),
              parse_json(R"({"result": 4})"));
    // What needs the events themselves sees only the ones kept.
    EXPECT_EQ(parse_json(std::get<std::string>(analytics::run_query(
                  *events_, "count",
                  R"({"event_collection": "purchases", "filters": [{"property_name": "item", "operator": "eq",
                      "property_value": "lamp"}]})",
                  kNow))),
              parse_json(R"({"result": 1})"));
    EXPECT_EQ(*analytics::drop_expired(*events_, 3, kNow), 0);
}

TEST_P(AnalyticsRollupTest, LampiCloudDropsExpiredEventsOnItsOwnOnTheAnalyticsClock) {
    std::atomic<std::int64_t> now_ms{kNow};
    testing::CloudServerOptions options;
    options.app.analytics_now_ms = [&now_ms] { return now_ms.load(); };
    options.app.analytics_retention_days = 2;
    options.app.analytics_retention_period = std::chrono::milliseconds(50);
    testing::CloudServer server(testing::fresh_database_url(GetParam(), dir_.path()), options);
    analytics::EventStore events(server.store().database());
    ASSERT_TRUE(events.insert({{"purchases", kNow - 5 * kDay, "{}"}, {"purchases", kNow, "{}"}}));
    auto raw_count = [&events] { return *events.count("purchases", 0, kNow + 10 * kDay); };
    // Generous deadlines: the job runs every 50 ms, but the machine may be busy.
    auto wait_for_count = [&](std::int64_t wanted) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (raw_count() != wanted && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return raw_count();
    };
    EXPECT_EQ(wait_for_count(1), 1);
    now_ms += 3 * kDay;  // today's event is now three days old
    EXPECT_EQ(wait_for_count(0), 0);
    auto counted = analytics::run_query(events, "count",
                                        R"({"event_collection": "purchases", "timeframe": "this_10_days"})",
                                        now_ms.load());
    ASSERT_FALSE(analytics::failed(counted));
    EXPECT_EQ(parse_json(std::get<std::string>(counted)), parse_json(R"({"result": 2})"));
}

TEST_P(GroupRollupTest, GroupCountsAnsweredFromTheRollupEqualTheEventsCountedOneByOne) {
    for (const char* property : {"kind", "user.tier", "tags.1"}) declare(property);
    backfill_all();  // nothing stored yet: every day is ready at once
    std::mt19937 random(20261130);
    store_mixed_events(random, 900);
    for (const char* property : {"kind", "user.tier", "tags.1"}) {
        SCOPED_TRACE(property);
        expect_group_table_matches_events(property);
        expect_group_answers_equal_events(property);
    }
}

TEST_P(GroupRollupTest, AFailedBatchLeavesNoGroupCounts) {
    ASSERT_NO_FATAL_FAILURE(refuse_bodies_that_are_not_json());
    declare("item");
    ASSERT_TRUE(events_->insert({{"purchases", kNow, R"({"item": "lamp"})"}}));
    EXPECT_FALSE(events_->insert(batch_refused_after_100_rows(R"({"item": "bulb"})")));
    expect_group_table_matches_events("item");
    auto rows = store_->database().lease()->query("SELECT COUNT(*) FROM analytics_daily_groups");
    ASSERT_TRUE(rows);
    EXPECT_EQ(storage::as_int(rows->at(0).at(0)), 1);
    ASSERT_TRUE(events_->insert({{"purchases", kNow - kDay, R"({"item": "bulb"})"}}));
    expect_group_table_matches_events("item");
}

TEST_P(GroupRollupTest, APropertyDeclaredAfterItsEventsIsBackfilledDayByDayAndCountsEachEventOnce) {
    std::mt19937 random(7);
    store_mixed_events(random, 400);
    declare("kind");
    // Until the backfill reaches a day, its answers come from the events.
    EXPECT_EQ(*events_->group_rollup_ready_from("purchases", "kind"), std::nullopt);
    expect_group_answers_equal_events("kind");
    ASSERT_TRUE(*events_->backfill_group_rollup({"purchases", "kind"}));
    auto newest =
        store_->database().lease()->query("SELECT MAX(day_ms) FROM analytics_daily WHERE collection = 'purchases'");
    ASSERT_TRUE(newest);
    EXPECT_EQ(*events_->group_rollup_ready_from("purchases", "kind"), storage::as_int(newest->at(0).at(0)));
    expect_group_answers_equal_events("kind");
    // Events stored meanwhile, on days backfilled and days not yet, are counted by their batches only.
    store_mixed_events(random, 200);
    ASSERT_TRUE(*events_->backfill_group_rollup({"purchases", "kind"}));
    store_mixed_events(random, 200);
    backfill_all();
    EXPECT_EQ(*events_->group_rollup_ready_from("purchases", "kind"), std::numeric_limits<std::int64_t>::min());
    expect_group_table_matches_events("kind");
    expect_group_answers_equal_events("kind");
    // Declaring again changes nothing.
    declare("kind");
    EXPECT_FALSE(*events_->backfill_group_rollup({"purchases", "kind"}));
    expect_group_table_matches_events("kind");
}

// `lampi-cloud analytics undeclare`: the counts go with the declaration, batches
// after it count nothing for the property, its answers come from the events, and
// a declaration made again later counts each event once (no count left behind).
TEST_P(GroupRollupTest, AnUndeclaredPropertyIsCountedFromItsEventsAndADeclarationMadeAgainCountsEachEventOnce) {
    std::mt19937 random(5);
    declare("kind");
    declare("user.tier");
    store_mixed_events(random, 300);
    auto rows_of = [this](const char* property) {
        auto rows = store_->database().lease()->query(
            "SELECT COUNT(*) FROM analytics_daily_groups WHERE collection = 'purchases' AND property = $1",
            {std::string(property)});
        EXPECT_TRUE(rows);
        return rows ? storage::as_int(rows->at(0).at(0)) : -1;
    };
    ASSERT_GT(rows_of("kind"), 0);
    auto forgotten = events_->undeclare_group_rollup({"purchases", "kind"});
    ASSERT_TRUE(forgotten) << forgotten.status().message();
    EXPECT_TRUE(*forgotten);
    EXPECT_EQ(*events_->group_rollup_ready_from("purchases", "kind"), std::nullopt);
    EXPECT_EQ(rows_of("kind"), 0);
    EXPECT_GT(rows_of("user.tier"), 0) << "another declaration keeps its counts";
    store_mixed_events(random, 100);
    EXPECT_EQ(rows_of("kind"), 0) << "batches after the undeclaration count nothing for it";
    expect_group_answers_equal_events("kind");
    auto again = events_->undeclare_group_rollup({"purchases", "kind"});
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again) << "it was no longer declared";
    declare("kind");
    backfill_all();
    expect_group_table_matches_events("kind");
    expect_group_table_matches_events("user.tier");
    expect_group_answers_equal_events("kind");
}

// An event stored last with an old timestamp, dropped by retention while a
// declaration's backfill is unfinished: SQLite would give its id to the next
// event, which its batch counts and the backfill (up to the id recorded at the
// declaration) would count again.
TEST_P(GroupRollupTest, AnIdFreedByRetentionIsNotGivenToANewEventTheBackfillWouldCountAgain) {
    ASSERT_TRUE(events_->insert({{"purchases", kNow - kDay, R"({"item": "lamp"})"}}));
    ASSERT_TRUE(events_->insert({{"purchases", kNow - 100 * kDay, R"({"item": "old"})"}}));
    declare("item");
    auto dropped = events_->drop_events_before("purchases", kNow - 30 * kDay);
    ASSERT_TRUE(dropped) << dropped.status().message();
    ASSERT_TRUE(events_->insert({{"purchases", kNow - kDay, R"({"item": "bulb"})"}}));
    backfill_all();
    expect_group_table_matches_events("item");
    expect_group_answers_equal_events("item");
    // With the backfill done (and a newer event stored), the old one goes at the next run.
    auto again = events_->drop_events_before("purchases", kNow - 30 * kDay);
    ASSERT_TRUE(again);
    auto old =
        store_->database().lease()->query("SELECT COUNT(*) FROM analytics_events WHERE ts_ms < $1", {kNow - 30 * kDay});
    ASSERT_TRUE(old);
    EXPECT_EQ(storage::as_int(old->at(0).at(0)), 0);
}

// As two lampi-cloud processes started together would: both backfill the same
// declaration at once, and each day is counted by one of them only.
TEST_P(GroupRollupTest, TwoBackfillsAtOnceCountEachDayOnce) {
    std::mt19937 random(11);
    store_mixed_events(random, 3000);
    declare("kind");
    std::atomic<int> failures{0};
    std::atomic<bool> endless{false};
    auto backfill = [&] {
        analytics::EventStore events(store_->database());
        for (int step = 0; step < 10'000; ++step) {
            auto more = events.backfill_group_rollup({"purchases", "kind"});
            if (!more) ++failures;
            if (!more || !*more) return;
        }
        endless = true;
    };
    std::thread other(backfill);
    backfill();
    other.join();
    EXPECT_EQ(failures.load(), 0);
    ASSERT_FALSE(endless.load()) << "the backfill does not end";
    EXPECT_EQ(*events_->group_rollup_ready_from("purchases", "kind"), std::numeric_limits<std::int64_t>::min());
    expect_group_table_matches_events("kind");
}

TEST_P(GroupRollupTest, RetentionKeepsTheGroupCountsOfTheDaysItDrops) {
    declare("item");
    backfill_all();
    const std::int64_t today = analytics::utc_day_of(kNow);
    ASSERT_TRUE(events_->insert({{"purchases", today - 10 * kDay + 6 * kHour, R"({"item": "lamp"})"},
                                 {"purchases", today - 10 * kDay + 7 * kHour, R"({"item": 2})"},
                                 {"purchases", today - 4 * kDay + 23 * kHour, R"({"item": "lamp"})"},
                                 {"purchases", today - 4 * kDay + 23 * kHour, "{}"},
                                 {"purchases", today - 3 * kDay, R"({"item": "lamp"})"},
                                 {"purchases", kNow, R"({"item": "bulb"})"}}));
    const std::string daily = R"({"event_collection": "purchases", "timeframe": "this_14_days",
                                  "interval": "daily", "timezone": "UTC", "group_by": "item"})";
    const std::string all_time = R"({"event_collection": "purchases", "group_by": "item"})";
    auto daily_before = analytics::run_query(*events_, "count", daily, kNow);
    auto all_before = analytics::run_query(*events_, "count", all_time, kNow);
    ASSERT_FALSE(analytics::failed(daily_before));
    ASSERT_FALSE(analytics::failed(all_before));
    EXPECT_EQ(parse_json(std::get<std::string>(all_before)),
              parse_json(R"({"result": [{"item": "bulb", "result": 1}, {"item": "lamp", "result": 3},
                                        {"item": 2, "result": 1}, {"item": null, "result": 1}]})"));

    ASSERT_EQ(*analytics::drop_expired(*events_, 3, kNow), 4);
    EXPECT_EQ(std::get<std::string>(analytics::run_query(*events_, "count", daily, kNow)),
              std::get<std::string>(daily_before));
    EXPECT_EQ(std::get<std::string>(analytics::run_query(*events_, "count", all_time, kNow)),
              std::get<std::string>(all_before));
    // Grouped by a property not rolled up, only the events kept answer.
    EXPECT_EQ(parse_json(std::get<std::string>(analytics::run_query(
                  *events_, "count", R"({"event_collection": "purchases", "group_by": "colour"})", kNow))),
              parse_json(R"({"result": [{"colour": null, "result": 2}]})"));
}

// PostgreSQL refuses a btree index row over 2704 bytes: a value that long must
// neither fail its batch nor stall the backfill of the events stored before.
TEST_P(GroupRollupTest, RetentionLeavesTheEventsOfACollectionBeingBackfilledUntilTheBackfillEnds) {
    // Thirty days kept: September expired whole (a month partition on PostgreSQL), October 20 as a day.
    const std::int64_t september = at("2026-09-10T08:00:00Z"), october = at("2026-10-20T08:00:00Z");
    // The view first: SQLite keeps the newest event while a backfill could reach it.
    ASSERT_TRUE(events_->insert({{"views", october, "{}"},
                                 {"purchases", september, R"({"kind": "lamp"})"},
                                 {"purchases", october, R"({"kind": "bulb"})"}}));
    declare("kind");  // its backfill has not run
    auto while_backfilling = analytics::drop_expired(*events_, 30, kNow);
    ASSERT_TRUE(while_backfilling) << while_backfilling.status().message();
    EXPECT_EQ(*while_backfilling, 1) << "the view only";
    EXPECT_EQ(*events_->count("purchases", 0, kNow), 2);

    backfill_all();
    auto after = analytics::drop_expired(*events_, 30, kNow);
    ASSERT_TRUE(after) << after.status().message();
    EXPECT_EQ(*after, 2);
    EXPECT_EQ(*events_->count("purchases", 0, kNow), 0);
    auto counts =
        events_->daily_group_counts("purchases", "kind", at("2026-09-01T00:00:00Z"), at("2026-11-01T00:00:00Z"));
    ASSERT_TRUE(counts) << counts.status().message();
    using Days = std::map<std::int64_t, std::map<std::string, std::int64_t>>;
    EXPECT_EQ(*counts, (Days{{analytics::utc_day_of(september), {{analytics::group_value_key(R"("lamp")"), 1}}},
                             {analytics::utc_day_of(october), {{analytics::group_value_key(R"("bulb")"), 1}}}}))
        << "each day counted per value before its events went";
}

TEST_P(GroupRollupTest, LampChangesRecordedBeforeTheirSourceGetTheOneTheirClientGivesAndAreCountedAgain) {
    const std::vector<std::string> clients = {"lamp_ui",  "lamp_ble",      "homeassistant", "lamp_service",
                                              "web-3f2a", "web-ble-77",    "lampi-cloud",   "lampi-cloud/schedule",
                                              "bridge",   "Web-upper-case"};
    std::vector<analytics::PreparedEvent> batch;
    std::map<std::string, std::int64_t> expected;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        batch.push_back({"lamp_changes", kNow - static_cast<std::int64_t>(i) * kHour,
                         fmt::format(R"({{"device_id": "b827eb000001", "client": "{}", "on": true}})", clients[i])});
        ++expected[analytics::group_value_key(fmt::format(R"("{}")", lamps::change_source(clients[i])))];
    }
    batch.push_back({"lamp_changes", kNow - 20 * kHour, R"({"client": "web-1", "source": "api"})"});  // kept
    ++expected[analytics::group_value_key(R"("api")")];
    batch.push_back({"lamp_changes", kNow - 21 * kHour, R"({"on": false})"});  // no client: stays unknown
    ++expected[analytics::group_value_key(std::nullopt)];
    ASSERT_TRUE(events_->insert(batch));
    // Counted per source as the version before counted them: unknown.
    ASSERT_TRUE(events_->declare_group_rollup({"lamp_changes", "source"}, kNow));
    backfill_all();
    {
        auto conn = store_->database().lease();
        ASSERT_TRUE(conn->script("DELETE FROM schema_migrations WHERE version >= 16"));
        Status migrated = storage::migrate(*conn);
        ASSERT_TRUE(migrated) << migrated.message();
    }
    auto by_source = [this] {
        std::map<std::string, std::int64_t> counted;
        auto rows = events_->aggregate({"lamp_changes", 0, kNow + 1, {}, {{"source"}}, {{}}, 0, 0, std::nullopt});
        EXPECT_TRUE(rows) << rows.status().message();
        if (rows)
            for (const auto& r : *rows)
                counted[analytics::group_value_key(r.groups[0])] += storage::as_int(r.values[0]);
        return counted;
    };
    EXPECT_EQ(by_source(), expected) << "each event has the source lamps::change_source gives its client";
    auto forgotten = events_->group_rollup_ready_from("lamp_changes", "source");
    ASSERT_TRUE(forgotten);
    EXPECT_FALSE(*forgotten) << "the declaration is gone, so lampi-cloud makes it again at start";

    // Declared again, its backfill counts them by their source.
    ASSERT_TRUE(events_->declare_group_rollup({"lamp_changes", "source"}, kNow));
    backfill_all();
    auto days = events_->daily_group_counts("lamp_changes", "source", analytics::utc_day_of(kNow) - 2 * kDay,
                                            analytics::utc_day_of(kNow) + kDay);
    ASSERT_TRUE(days) << days.status().message();
    std::map<std::string, std::int64_t> rolled;
    for (const auto& [day, values] : *days)
        for (const auto& [value, n] : values) rolled[value] += n;
    EXPECT_EQ(rolled, expected);
}

TEST_P(GroupRollupTest, AValueOfKilobytesIsCountedByItsBatchAndByTheBackfill) {
    // Random letters, so that PostgreSQL cannot compress the value under the limit.
    std::mt19937 random(3);
    std::uniform_int_distribution<int> letter('a', 'z');
    auto long_value = [&] {
        std::string s(4000, ' ');
        for (char& c : s) c = static_cast<char>(letter(random));
        return s;
    };
    auto event = [](const std::string& item) { return json::serialize(json::object{{"item", item}}); };
    const std::string before = long_value(), after = long_value();
    ASSERT_TRUE(events_->insert({{"purchases", kNow - 2 * kDay, event(before)}, {"purchases", kNow - kDay, "{}"}}));
    declare("item");
    Status stored = events_->insert({{"purchases", kNow - kDay, event(after)},
                                     {"purchases", kNow - kDay, event(after)},
                                     {"purchases", kNow - 2 * kDay, event(before)}});
    EXPECT_TRUE(stored) << stored.message();
    backfill_all();
    expect_group_table_matches_events("item");
    expect_group_answers_equal_events("item");
}

// A declaration whose backfill fails (here a trigger refuses its rows) holds
// back no other declaration, and is tried again, less often, until it succeeds.
TEST_P(GroupRollupTest, ABackfillThatFailsHoldsBackNoOtherDeclaration) {
    std::mt19937 random(5);
    store_mixed_events(random, 300);
    declare("broken");  // first in the declarations' order
    declare("kind");
    auto conn = store_->database().lease();
    if (GetParam() == "sqlite") {
        ASSERT_TRUE(
            conn->script("CREATE TRIGGER refuse_broken BEFORE INSERT ON analytics_daily_groups "
                         "WHEN NEW.property = 'broken' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
    } else {
        ASSERT_TRUE(
            conn->script("CREATE FUNCTION refuse_broken() RETURNS trigger LANGUAGE plpgsql AS "
                         "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; "
                         "CREATE TRIGGER refuse_broken BEFORE INSERT ON analytics_daily_groups FOR EACH ROW "
                         "WHEN (NEW.property = 'broken') EXECUTE FUNCTION refuse_broken()"));
    }
    auto refused = events_->backfill_group_rollup({"purchases", "broken"});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.status().message().find("purchases.broken"), std::string::npos) << refused.status().message();
    auto backfilled = [&](const char* property) {
        auto from = events_->group_rollup_ready_from("purchases", property);
        return from && *from == std::numeric_limits<std::int64_t>::min();
    };
    auto wait_for = [&](const char* property) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!backfilled(property) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return backfilled(property);
    };
    analytics::GroupRollupJob job(
        *events_, {}, [] { return kNow; }, std::chrono::milliseconds(10));
    EXPECT_TRUE(wait_for("kind"));
    expect_group_table_matches_events("kind");
    EXPECT_FALSE(backfilled("broken"));
    // Once the cause is gone it is backfilled too, however many times it failed.
    ASSERT_TRUE(conn->script("DROP TRIGGER refuse_broken" +
                             std::string(GetParam() == "sqlite" ? "" : " ON analytics_daily_groups")));
    EXPECT_TRUE(wait_for("broken"));
    job.stop();
    expect_group_table_matches_events("broken");
}

// With everything declared and backfilled, the job rests: it looks again only
// after its idle recheck, not every period, and then takes what another process
// declared meanwhile.
TEST_P(GroupRollupTest, AJobWithNothingLeftToDoLooksAgainOnlyAfterItsIdleRecheck) {
    std::mt19937 random(6);
    store_mixed_events(random, 100);
    analytics::GroupRollupJob job(
        *events_, {}, [] { return kNow; }, std::chrono::milliseconds(10), std::chrono::seconds(3));
    ASSERT_TRUE(lampi::testing::eventually([&] { return job.resting(); }, std::chrono::seconds(20)));
    auto declared_at = std::chrono::steady_clock::now();
    declare("kind");
    ASSERT_TRUE(lampi::testing::eventually(
        [&] {
            auto from = events_->group_rollup_ready_from("purchases", "kind");
            return from && *from == std::numeric_limits<std::int64_t>::min();
        },
        std::chrono::seconds(20)));
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - declared_at).count();
    // A job polling every 10 ms would have taken it within milliseconds; load only makes this later.
    EXPECT_GE(waited, 1.0) << "the resting job looked before its recheck";
    EXPECT_TRUE(lampi::testing::eventually([&] { return job.resting(); }, std::chrono::seconds(20)));
    job.stop();
    expect_group_table_matches_events("kind");
}

// A declaration waits for the batches in flight under a SHARE lock on the
// events, and new batches queue behind it: one that cannot have the lock soon
// (a VACUUM or an index build holds a conflicting one) gives up, to be tried
// again, instead of holding every batch for as long.
class GroupRollupPostgresTest : public GroupRollupTest {};

TEST_P(GroupRollupPostgresTest, ADeclarationGivesWayWhenTheEventsStayLocked) {
    auto vacuum = store_->database().lease();
    ASSERT_TRUE(vacuum->query("BEGIN"));
    // The lock VACUUM and CREATE INDEX CONCURRENTLY take.
    ASSERT_TRUE(vacuum->query("LOCK TABLE analytics_events IN SHARE UPDATE EXCLUSIVE MODE"));
    std::atomic<bool> done{false};
    Status declared;
    auto started = std::chrono::steady_clock::now();
    std::thread declaring([&] {
        declared = events_->declare_group_rollup({"purchases", "item"}, kNow);
        done = true;
    });
    while (!done && std::chrono::steady_clock::now() - started < std::chrono::seconds(10))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    bool gave_way = done;
    ASSERT_TRUE(vacuum->query("ROLLBACK"));  // lets a declaration still waiting end
    declaring.join();
    ASSERT_TRUE(gave_way) << "the declaration waited for the lock over 10 s";
    EXPECT_FALSE(declared);
    EXPECT_NE(declared.message().find("purchases.item"), std::string::npos) << declared.message();
    EXPECT_NE(declared.message().find("gave way"), std::string::npos) << declared.message();
    EXPECT_EQ(*events_->group_rollup_ready_from("purchases", "item"), std::nullopt);
    // Tried again once the lock is free, it is made.
    ASSERT_TRUE(events_->declare_group_rollup({"purchases", "item"}, kNow));
    auto unfinished = events_->unfinished_group_rollups();
    ASSERT_TRUE(unfinished);
    EXPECT_EQ(unfinished->size(), 1U);
}

// PostgreSQL steps into an array by a path part it reads as an integer (as
// strtol does); SQLite never does. Every property the declaration accepts,
// however odd its index-like parts, is counted as the events' group_by counts it.
TEST_P(GroupRollupTest, IndexLikePropertiesTheDeclarationAcceptsCountAsTheEventsDo) {
    std::vector<std::string> accepted;
    for (const char* text : {"purchases.tags.1", "purchases.tags.-1", "purchases.tags.01", "purchases.tags.-0",
                             "purchases.tags.1 ", "purchases.tags.+1", "purchases.tags. 1", "purchases.tags.\t1",
                             "purchases.tags. -1", "purchases.tags.+-1", "purchases.tags.- 1", "purchases.tags.1e0",
                             "purchases.tags.", "purchases.tags.2147483649", "purchases.tags.-2147483649"}) {
        if (auto key = analytics::parse_group_rollup(text)) {
            declare(key->property);
            accepted.push_back(key->property);
        }
    }
    std::mt19937 random(9);
    store_mixed_events(random, 200);
    for (const std::string& property : accepted) expect_group_table_matches_events(property);
}

TEST_P(GroupRollupTest, LampiCloudDeclaresItsOptionsAndTheDefaultsAndBackfillsOnItsOwn) {
    std::string url = testing::fresh_database_url(GetParam(), dir_.path());
    {
        auto earlier = storage::Store::open(url, 1);
        ASSERT_TRUE(earlier);
        analytics::EventStore events((*earlier)->database());
        ASSERT_TRUE(events.insert({{"purchases", kNow - 2 * kDay, R"({"item": "lamp"})"},
                                   {"purchases", kNow - kDay, R"({"item": "bulb"})"}}));
    }
    testing::CloudServerOptions options;
    options.app.analytics_now_ms = [] { return kNow; };
    options.app.analytics_group_rollups.push_back({"purchases", "item"});
    options.app.analytics_group_rollup_period = std::chrono::milliseconds(20);
    testing::CloudServer server(url, options);
    analytics::EventStore events(server.store().database());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto ready = [&] {
        auto from = events.group_rollup_ready_from("purchases", "item");
        return from && *from == std::numeric_limits<std::int64_t>::min();
    };
    while (!ready() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(ready());
    auto declared = server.store().database().lease()->query(
        "SELECT collection, property FROM analytics_group_rollups ORDER BY collection, property");
    ASSERT_TRUE(declared);
    std::vector<std::string> names;
    for (const auto& row : *declared) names.push_back(storage::as_text(row[0]) + "." + storage::as_text(row[1]));
    EXPECT_EQ(names, (std::vector<std::string>{"lamp_changes.source", "logins.failure", "logins.success",
                                               "purchases.item", "sign_ups.referred_by"}));
    auto counted =
        analytics::run_query(events, "count",
                             R"({"event_collection": "purchases", "timeframe": "this_7_days", "group_by": "item"})",
                             kNow);
    ASSERT_FALSE(analytics::failed(counted));
    EXPECT_EQ(parse_json(std::get<std::string>(counted)),
              parse_json(R"({"result": [{"item": "bulb", "result": 1}, {"item": "lamp", "result": 1}]})"));
    auto rows = server.store().database().lease()->query("SELECT SUM(events) FROM analytics_daily_groups");
    ASSERT_TRUE(rows);
    EXPECT_EQ(storage::as_int(rows->at(0).at(0)), 2);
}

// PostgreSQL's partitions of the events by month (analytics/partitions.h).
class AnalyticsPartitionTest : public AnalyticsRollupTest {
protected:
    std::string one_text(const std::string& sql, const std::vector<storage::SqlValue>& params = {}) {
        auto rows = store_->database().lease()->query(sql, params);
        EXPECT_TRUE(rows) << sql << ": " << rows.status().message();
        return rows && !rows->empty() && rows->at(0).at(0) ? storage::as_text(rows->at(0).at(0)) : "(none)";
    }
    // The table holding the one event of `collection` at `ts_ms`.
    std::string partition_of(const std::string& collection, std::int64_t ts_ms) {
        return one_text("SELECT tableoid::regclass::text FROM analytics_events WHERE collection = $1 AND ts_ms = $2",
                        {collection, ts_ms});
    }
    // Every event as (id, collection, ts_ms, body) text, by id.
    storage::SqlRows all_events() {
        auto rows = store_->database().lease()->query(
            "SELECT id, collection, ts_ms, body::text FROM analytics_events ORDER BY id");
        EXPECT_TRUE(rows);
        return rows ? *rows : storage::SqlRows{};
    }
    std::string filenode(const std::string& table) {
        return one_text("SELECT pg_relation_filenode($1::text::regclass)::text", {table});
    }
    std::string partitions_of_events() {
        return one_text("SELECT COUNT(*)::text FROM pg_inherits WHERE inhparent = 'analytics_events'::regclass");
    }
};

TEST_P(AnalyticsPartitionTest, EventsLandInTheirMonthsPartitionAndAMonthMadeLaterTakesItsEventsFromTheDefault) {
    // SetUp made 2026-09 to 2026-12.
    const std::int64_t march = at("2026-03-15T00:00:00Z"), new_year = at("2027-01-01T00:00:00Z"),
                       december_end = at("2026-12-31T23:59:59.999Z");
    ASSERT_TRUE(events_->insert({{"purchases", kNow, "{}"},
                                 {"lamp_changes", kNow, R"({"on": true})"},
                                 {"purchases", march, "{}"},
                                 {"purchases", december_end, "{}"},
                                 {"purchases", new_year, "{}"}}));
    EXPECT_EQ(partition_of("purchases", kNow), "analytics_events_2026_11_expiring");
    EXPECT_EQ(partition_of("lamp_changes", kNow), "analytics_events_2026_11_kept");
    EXPECT_EQ(partition_of("purchases", march), "analytics_events_default");
    EXPECT_EQ(partition_of("purchases", december_end), "analytics_events_2026_12_expiring");
    EXPECT_EQ(partition_of("purchases", new_year), "analytics_events_default");
    auto again = events_->make_month_partitions(kNow, 2, 1);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0) << "those months have their partitions";

    storage::SqlRows before = all_events();
    // Eight months back and two ahead: 2026-03 to 2026-08 and 2027-01 are new, and
    // March's and January's events move out of the default partition.
    auto made = events_->make_month_partitions(kNow, 8, 2);
    ASSERT_TRUE(made) << made.status().message();
    EXPECT_EQ(*made, 7);
    EXPECT_EQ(partition_of("purchases", march), "analytics_events_2026_03_expiring");
    EXPECT_EQ(partition_of("purchases", new_year), "analytics_events_2027_01_expiring");
    EXPECT_EQ(all_events(), before) << "moved, neither lost nor doubled, ids kept";
    EXPECT_EQ(one_text("SELECT COUNT(*)::text FROM analytics_events_default"), "0");
    EXPECT_EQ(*events_->count("purchases", 0, new_year + 1), 4);

    // The id sequence goes on across partitions.
    std::int64_t last_id = storage::as_int(before.back()[0]);
    ASSERT_TRUE(events_->insert({{"views", march + 1, "{}"}}));
    EXPECT_EQ(one_text("SELECT id::text FROM analytics_events WHERE collection = 'views'"),
              std::to_string(last_id + 1));

    // A timeframe reads only its months' partitions.
    std::string plan;
    auto rows = store_->database().lease()->query(
        fmt::format("EXPLAIN SELECT COUNT(*) FROM analytics_events WHERE collection = 'purchases' AND ts_ms >= {} "
                    "AND ts_ms < {}",
                    at("2026-11-01T00:00:00Z"), kNow));
    ASSERT_TRUE(rows) << rows.status().message();
    for (const auto& row : *rows) plan += storage::as_text(row[0]) + "\n";
    EXPECT_NE(plan.find("analytics_events_2026_11_expiring"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("analytics_events_2026_03"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("analytics_events_default"), std::string::npos) << plan;
}

TEST_P(AnalyticsPartitionTest, QueriesDuringAMoveOutOfTheDefaultPartitionCountEveryEvent) {
    // June has no partition yet (SetUp made September to December): its events are in the default one.
    const std::int64_t june = at("2026-06-01T00:00:00Z"), july = at("2026-07-01T00:00:00Z");
    constexpr int kEvents = 20'000;
    std::vector<analytics::PreparedEvent> batch;
    batch.reserve(kEvents);
    for (std::int64_t i = 0; i < kEvents; ++i) batch.push_back({"purchases", june + i * 60'000, "{}"});
    ASSERT_TRUE(events_->insert(batch));
    // Readers count June over and over, as lampi-cloud's queries would while its job makes June.
    std::atomic<bool> moving{true};
    std::atomic<int> counts{0}, wrong{0};
    std::atomic<std::int64_t> last_wrong{0};
    std::vector<std::thread> readers;
    readers.reserve(3);
    for (int r = 0; r < 3; ++r)
        readers.emplace_back([&] {
            auto store = storage::Store::open(url_, 1);
            if (!store) return;
            analytics::EventStore events((*store)->database());
            do {
                auto n = events.count("purchases", june, july);
                ++counts;
                if (!n || *n != kEvents) {
                    ++wrong;
                    last_wrong = n ? *n : -1;
                }
            } while (moving);
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto made = events_->make_month_partitions(kNow, 5, 0);  // June, July, August
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    moving = false;
    for (auto& t : readers) t.join();
    ASSERT_TRUE(made) << made.status().message();
    EXPECT_EQ(*made, 3);
    EXPECT_EQ(partition_of("purchases", june), "analytics_events_2026_06_expiring");
    EXPECT_GT(counts.load(), 3);
    EXPECT_EQ(wrong.load(), 0) << "of " << counts.load() << " counts; the last wrong one: " << last_wrong.load();
}

TEST_P(AnalyticsPartitionTest, RetentionEmptiesAMonthThatExpiredWholeAtOnceAndKeepsItsLampChanges) {
    // Thirty days kept: 2026-10-31 and later. September expired whole, October not.
    std::vector<analytics::PreparedEvent> batch;
    batch.reserve(9);
    for (int i = 0; i < 3; ++i) batch.push_back({"purchases", at("2026-09-10T08:00:00Z") + i, "{}"});
    for (int i = 0; i < 2; ++i) batch.push_back({"lamp_changes", at("2026-09-11T08:00:00Z") + i, R"({"on": true})"});
    batch.push_back({"views", at("2026-10-20T00:00:00Z"), "{}"});
    batch.push_back({"purchases", at("2026-10-31T06:00:00Z"), "{}"});  // kept: October's last day
    batch.push_back({"purchases", at("2026-11-29T00:00:00Z"), "{}"});
    batch.push_back({"purchases", at("2020-01-01T00:00:00Z"), "{}"});  // the default partition's
    ASSERT_TRUE(events_->insert(batch));
    const std::string september = filenode("analytics_events_2026_09_expiring"),
                      october = filenode("analytics_events_2026_10_expiring");

    auto dropped = analytics::drop_expired(*events_, 30, kNow);
    ASSERT_TRUE(dropped) << dropped.status().message();
    EXPECT_EQ(*dropped, 5);  // September's 3, October's view, 2020's purchase
    EXPECT_NE(filenode("analytics_events_2026_09_expiring"), september) << "September was not truncated";
    EXPECT_EQ(filenode("analytics_events_2026_10_expiring"), october) << "October had not expired whole";
    EXPECT_EQ(*events_->count("lamp_changes", 0, kNow), 2) << "a lamp's on-hours need all its changes";
    EXPECT_EQ(*events_->count("purchases", 0, kNow), 2);
    EXPECT_EQ(*events_->count("views", 0, kNow), 0);
    auto days = events_->daily_counts("purchases", at("2026-09-01T00:00:00Z"), at("2026-10-01T00:00:00Z"));
    ASSERT_TRUE(days);
    EXPECT_EQ(*days, (std::map<std::int64_t, std::int64_t>{{at("2026-09-10T00:00:00Z"), 3}}))
        << "the daily counts of a truncated month stay";

    const std::string truncated = filenode("analytics_events_2026_09_expiring");
    auto none = analytics::drop_expired(*events_, 30, kNow);
    ASSERT_TRUE(none);
    EXPECT_EQ(*none, 0);
    EXPECT_EQ(filenode("analytics_events_2026_09_expiring"), truncated) << "an empty month is left alone";
}

TEST_P(AnalyticsPartitionTest, AMonthMadeWhenOtherCollectionsWereKeptIsDeletedRowByRow) {
    // September as a lampi-cloud that kept `views` and not `lamp_changes` made it:
    // its `expiring` part holds lamp changes, which this one keeps.
    ASSERT_TRUE(store_->database().lease()->script(
        "ALTER TABLE analytics_events_2026_09 DETACH PARTITION analytics_events_2026_09_kept; "
        "ALTER TABLE analytics_events_2026_09 ATTACH PARTITION analytics_events_2026_09_kept "
        "FOR VALUES IN ('views')"));
    ASSERT_TRUE(events_->insert({{"purchases", at("2026-09-10T08:00:00Z"), "{}"},
                                 {"views", at("2026-09-10T08:00:00Z"), "{}"},
                                 {"lamp_changes", at("2026-09-10T08:00:00Z"), "{}"}}));
    EXPECT_EQ(partition_of("views", at("2026-09-10T08:00:00Z")), "analytics_events_2026_09_kept");
    const std::string september = filenode("analytics_events_2026_09_expiring");

    auto dropped = analytics::drop_expired(*events_, 30, kNow);
    ASSERT_TRUE(dropped) << dropped.status().message();
    EXPECT_EQ(*dropped, 2) << "the purchase and the view";
    EXPECT_EQ(filenode("analytics_events_2026_09_expiring"), september) << "not truncated";
    EXPECT_EQ(*events_->count("lamp_changes", 0, kNow), 1) << "a lamp's on-hours need all its changes";
    EXPECT_EQ(*events_->count("views", 0, kNow), 0);
}

TEST_P(AnalyticsPartitionTest, TheMigrationMovesTheEventsStoredBeforeItKeepingTheirIds) {
    store_tricky_events();
    auto conn = store_->database().lease();
    ASSERT_TRUE(undo_partitioning(*conn));
    EXPECT_EQ(one_text("SELECT relkind::text FROM pg_class WHERE relname = 'analytics_events'"), "r");
    storage::SqlRows before = all_events();
    ASSERT_GT(before.size(), 50u);

    ASSERT_TRUE(conn->script("DELETE FROM schema_migrations WHERE version >= 15"));
    Status migrated = storage::migrate(*conn);
    ASSERT_TRUE(migrated) << migrated.message();
    EXPECT_EQ(one_text("SELECT relkind::text FROM pg_class WHERE relname = 'analytics_events'"), "p");
    EXPECT_EQ(all_events(), before);
    EXPECT_EQ(one_text("SELECT COUNT(*)::text FROM analytics_events_default"), std::to_string(before.size()));

    // lampi-cloud's first partitions take their months' events from the default one.
    auto made = events_->make_month_partitions(kNow, 2, 1);
    ASSERT_TRUE(made) << made.status().message();
    EXPECT_EQ(*made, 4);
    EXPECT_EQ(all_events(), before);
    EXPECT_EQ(partition_of("purchases", at("2026-11-30T00:00:00Z")), "analytics_events_2026_11_expiring");
    ASSERT_TRUE(events_->insert({{"purchases", kNow + 1, "{}"}}));
    EXPECT_EQ(one_text("SELECT MAX(id)::text FROM analytics_events"),
              std::to_string(storage::as_int(before.back()[0]) + 1));
    expect_rollup_table_matches_events();
}

TEST_P(AnalyticsPartitionTest, ProcessesSharingADatabaseMakeEachMonthOnce) {
    const std::string partitions_before = partitions_of_events();
    // Three stores on the database, as three lampi-cloud processes have, each making 25 months.
    std::vector<std::unique_ptr<storage::Store>> stores;
    for (int i = 0; i < 3; ++i) {
        auto store = storage::Store::open(url_, 1);
        ASSERT_TRUE(store) << store.status().message();
        stores.push_back(std::move(store).value());
    }
    std::vector<Result<int>> made(stores.size(), 0);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < stores.size(); ++i)
        threads.emplace_back([&, i] {
            analytics::EventStore events(stores[i]->database());
            made[i] = events.make_month_partitions(kNow, 24, 0);
        });
    for (auto& t : threads) t.join();
    int total = 0;
    for (const auto& m : made) {
        ASSERT_TRUE(m) << m.status().message();
        total += *m;
    }
    // 2024-11 to 2026-11, of which SetUp made the last three.
    EXPECT_EQ(total, 22);
    EXPECT_EQ(std::stoi(partitions_of_events()), std::stoi(partitions_before) + 22);
}

TEST_P(AnalyticsPartitionTest, LampiCloudMakesTheMonthsAroundItsAnalyticsClockAtStart) {
    testing::CloudServerOptions options;
    options.app.analytics_now_ms = [] { return kNow; };
    testing::CloudServer server(testing::fresh_database_url(GetParam(), dir_.path()), options);
    auto exists = [&server](const char* table) {
        auto rows = server.store().database().lease()->query("SELECT to_regclass($1) IS NOT NULL", {table});
        return rows && storage::as_text(rows->at(0).at(0)) == "t";
    };
    // Its job runs on its own thread: generous, for a busy machine.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!exists("analytics_events_2027_01") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(exists("analytics_events_2027_01")) << "two months ahead";
    EXPECT_TRUE(exists("analytics_events_2025_11")) << "twelve months back";
    EXPECT_FALSE(exists("analytics_events_2025_10"));
    EXPECT_FALSE(exists("analytics_events_2027_02"));
}

TEST(GroupRollupDeclaration, IsCollectionDotPropertyAndRefusesWhatCannotBeRolledUp) {
    auto key = analytics::parse_group_rollup("lamp_changes.state.on");
    ASSERT_TRUE(key);
    EXPECT_EQ(key->collection, "lamp_changes");
    EXPECT_EQ(key->property, "state.on");
    for (const char* bad : {"lamp_changes", "lamp_changes.", ".client", "$x.client", "c.say\"hi\""}) {
        auto refused = analytics::parse_group_rollup(bad);
        EXPECT_FALSE(refused) << bad;
    }
    // An index PostgreSQL reads (as strtol) and the rollup would not: refused, saying why.
    for (const char* bad : {"c.tags.+1", "c.tags. 1", "c.tags.\t1", "c.tags. -1", "c.a. 0.x"}) {
        auto refused = analytics::parse_group_rollup(bad);
        ASSERT_FALSE(refused) << bad;
        EXPECT_NE(refused.status().message().find("array index"), std::string::npos) << refused.status().message();
    }
    // Both read these alike: an index, or a name ("+x" is no number, "1 " none
    // either; the first part is always a key, as an event is an object).
    for (const char* good : {"c.tags.1", "c.tags.-1", "c.tags.01", "c.tags.-0", "c.tags.1 ", "c.tags.+x", "c.tags.+",
                             "c.tags. ", "c.tags.1e0", "c.+1", "c. 1.x"})
        EXPECT_TRUE(analytics::parse_group_rollup(good)) << good;
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsRollupTest, ::testing::Values("sqlite", "postgres"));
INSTANTIATE_TEST_SUITE_P(Backends, GroupRollupTest, ::testing::Values("sqlite", "postgres"));
// PostgreSQL's table locks: SQLite's declaration takes its one write lock, as every batch does.
INSTANTIATE_TEST_SUITE_P(Backends, GroupRollupPostgresTest, ::testing::Values("postgres"));
INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsPartitionTest, ::testing::Values("postgres"));

}  // namespace
}  // namespace lampi::cloud
