// analytics_bench: what lampi-cloud's analytics costs. Starts lampi-cloud in this
// process (tests/cloud/support: the real App and HTTP server, 2 server threads)
// on SQLite or a private PostgreSQL, then
//   ingest:  CLIENTS connections POST batches of BATCH events to /3.0/.../events
//            until EVENTS are stored; prints events/s;
//   queries: `count` with interval daily over the last 7 days (all the events),
//            REPEAT times each: with a group_by of `item` (declared, so read
//            from the group rollup, over HTTP; and in this process with
//            QueryEngine::events, read from the events as without the
//            declaration) and without one (whole days from the daily rollup,
//            over HTTP); prints p50 and p99;
//   backfill: the group rollup of `item` made again from the stored events,
//            as when a property is declared after its events; prints seconds;
//   disk:    bytes per event (SQLite: the database and its WAL; PostgreSQL: the
//            events table with its indexes and TOAST, and both rollups);
//   retention: the clock 100 days on, the oldest day's events deleted row by row,
//            then the rest as retention drops them (on PostgreSQL whole months by
//            TRUNCATE); prints events/s of each.
// The per-key write limit is off: this measures what the server can take.
//
//   analytics_bench [sqlite|postgres] [EVENTS (200000)] [BATCH (250)] [CLIENTS (4)] [REPEAT (20)]
//                   [REPEAT_FROM_EVENTS (REPEAT): runs of the query read from the events, seconds each at 10 M]
#include <fmt/core.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "analytics/calendar.h"
#include "analytics/daily_rollup.h"
#include "analytics/event_store.h"
#include "analytics/keys.h"
#include "analytics/partitions.h"
#include "analytics/query.h"
#include "analytics/retention.h"
#include "cloud_server.h"
#include "http_client.h"
#include "postgres_server.h"
#include "process.h"

using namespace lampi::cloud;
using Steady = std::chrono::steady_clock;

namespace {

const char* kItems[] = {"lamp", "bulb", "shade", "switch", "cable"};

// One batch body of `count` purchases spread over the last 7 days before `now_ms`.
std::string batch_body(int first, int count, std::int64_t now_ms) {
    std::string body = R"({"purchases": [)";
    for (int i = first; i < first + count; ++i) {
        std::int64_t at = now_ms - (static_cast<std::int64_t>(i) * 7919 % (std::int64_t{7} * 86400)) * 1000;
        body += fmt::format(R"({}{{"item": "{}", "price": {}, "user": {{"id": {}}}, "keen": {{"timestamp": "{}"}}}})",
                            i == first ? "" : ",", kItems[i % 5], 5 + i % 50, i % 1000, analytics::format_iso8601(at));
    }
    return body + "]}";
}

// The events a daily count answer adds up to, with or without a group_by.
std::int64_t counted(const std::string& answer) {
    std::int64_t n = 0;
    const boost::json::value parsed = boost::json::parse(answer);  // named: a range-for keeps only the last temporary
    for (const auto& step : parsed.at("result").as_array()) {
        const auto& value = step.at("value");
        if (value.is_array())
            for (const auto& group : value.as_array()) n += group.at("result").to_number<std::int64_t>();
        else n += value.to_number<std::int64_t>();
    }
    return n;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    std::string backend = argc > 1 ? argv[1] : "sqlite";
    int events = argc > 2 ? std::atoi(argv[2]) : 200'000;
    int batch = argc > 3 ? std::atoi(argv[3]) : 250;
    int clients = argc > 4 ? std::atoi(argv[4]) : 4;
    int repeat = argc > 5 ? std::atoi(argv[5]) : 20;
    int repeat_from_events = argc > 6 ? std::atoi(argv[6]) : repeat;
    std::string why;
    if (!lampi::testing::backend_available(backend, why)) {
        fmt::print(stderr, "analytics_bench: {} is not available: {}\n", backend, why);
        return 1;
    }
    lampi::testing::TempDir dir;
    std::string url = lampi::testing::fresh_database_url(backend, dir.path());
    lampi::testing::CloudServerOptions options;
    options.app.analytics_write_limit.events_per_second = 0;
    options.app.analytics_group_rollups.push_back({"purchases", "item"});
    lampi::testing::CloudServer server(url, options);
    analytics::EventStore store(server.store().database());
    // Declared (and backfilled: nothing yet) before the first batch, so every batch counts its items.
    auto group_rollup_ready = [&store] {
        auto from = store.group_rollup_ready_from("purchases", "item");
        return from && *from == std::numeric_limits<std::int64_t>::min();
    };
    while (!group_rollup_ready()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto keys = analytics::create_keys(store, "bench", 1);
    if (!keys) return 1;
    std::string path = "/3.0/projects/" + keys->project_id + "/events";
    std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();

    // The month partitions (PostgreSQL) as lampi-cloud's job makes them at start, made
    // here before the clock starts so the ingest figure holds no move out of the default one.
    if (!store.make_month_partitions(now_ms, analytics::kPartitionMonthsBack, analytics::kPartitionMonthsAhead))
        return 1;
    std::vector<std::string> bodies;
    for (int first = 0; first < events; first += batch)
        bodies.push_back(batch_body(first, std::min(batch, events - first), now_ms));
    std::atomic<std::size_t> next{0};
    std::atomic<int> failures{0};
    auto start = Steady::now();
    std::vector<std::thread> threads;
    threads.reserve(clients);
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&] {
            lampi::testing::HttpClient client(server.port());
            for (std::size_t i = next++; i < bodies.size(); i = next++) {
                auto r = client.request("POST", path,
                                        {{"Authorization", keys->write_key}, {"Content-Type", "application/json"}},
                                        bodies[i]);
                if (r.status != 200) ++failures;
            }
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(Steady::now() - start).count();
    auto stored = store.count("purchases", 0, now_ms + 1);
    fmt::print(
        "backend {}: ingest {} events in batches of {} over {} connections: {:.2f} s, {:.0f} events/s "
        "({} failed requests, {} stored)\n",
        backend, events, batch, clients, seconds, events / seconds, failures.load(), stored ? *stored : -1);

    lampi::testing::HttpClient reader(server.port());
    std::int64_t expected = -1;
    std::string grouped_answer;
    // engine nullopt: over HTTP, as a client asks; else run_query in this process with that engine.
    auto time_query = [&](const std::string& what, const std::string& query,
                          std::optional<analytics::QueryEngine> engine = std::nullopt) {
        std::vector<double> ms;
        int runs = engine == analytics::QueryEngine::events ? repeat_from_events : repeat;
        for (int i = 0; i < runs; ++i) {
            auto t0 = Steady::now();
            std::string body;
            if (engine) {
                auto r = analytics::run_query(store, "count", query, now_ms, *engine);
                if (analytics::failed(r)) {
                    fmt::print(stderr, "query failed: {}\n", std::get<analytics::KeenError>(r).status.message());
                    return false;
                }
                body = std::get<std::string>(std::move(r));
            } else {
                auto r = reader.request("POST", "/3.0/projects/" + keys->project_id + "/queries/count",
                                        {{"Authorization", keys->read_key}, {"Content-Type", "application/json"}},
                                        query);
                if (r.status != 200) {
                    fmt::print(stderr, "query failed: {} {}\n", r.status, r.body.substr(0, 300));
                    return false;
                }
                body = std::move(r.body);
            }
            ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
            // Every query must count the same events (those of the last 7 days); grouped ones
            // must give the same answer whichever way they are read.
            if (i == 0 && expected < 0) expected = counted(body);
            if (i == 0 && counted(body) != expected) {
                fmt::print(stderr, "query counted {} events, the first one {}\n", counted(body), expected);
                return false;
            }
            if (i == 0 && query.find("group_by") != std::string::npos) {
                if (grouped_answer.empty()) grouped_answer = body;
                if (boost::json::parse(body) != boost::json::parse(grouped_answer)) {
                    fmt::print(stderr, "{}: not the answer of the first grouped query\n", what);
                    return false;
                }
            }
        }
        fmt::print(
            "backend {}: count, interval daily, {} over {} events ({} in the timeframe): p50 {:.1f} ms, p99 {:.1f} ms "
            "({} runs)\n",
            backend, what, events, expected, percentile(ms, 50), percentile(ms, 99), runs);
        return true;
    };
    const std::string daily =
        R"("event_collection": "purchases", "timeframe": "this_7_days", "interval": "daily", "timezone": "UTC")";
    // now_ms for the in-process runs: this_7_days must name the same days as over HTTP.
    now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                 .count();
    const std::string grouped = "{" + daily + R"(, "group_by": "item"})";
    if (!time_query("group_by item (the group rollup, HTTP)", grouped)) return 1;
    if (!time_query("group_by item (the events, in process)", grouped, analytics::QueryEngine::events)) return 1;
    if (!time_query("no group_by (the daily rollup, HTTP)", "{" + daily + "}")) return 1;

    // The backfill of a declaration made after its events: the same rows again.
    {
        auto lease = server.store().database().lease();
        for (const char* table : {"analytics_daily_groups", "analytics_group_rollups"})
            if (!lease->query(
                    fmt::format("DELETE FROM {} WHERE collection = 'purchases' AND property = 'item'", table)))
                return 1;
    }
    auto backfill_start = Steady::now();
    if (!store.declare_group_rollup({"purchases", "item"}, now_ms)) return 1;
    for (;;) {
        auto more = store.backfill_group_rollup({"purchases", "item"});
        if (!more) {
            fmt::print(stderr, "backfill failed: {}\n", more.status().message());
            return 1;
        }
        if (!*more) break;
    }
    fmt::print("backend {}: backfill of purchases.item over {} events: {:.2f} s\n", backend, events,
               std::chrono::duration<double>(Steady::now() - backfill_start).count());
    if (!time_query("group_by item (the group rollup after the backfill, HTTP)", grouped)) return 1;

    std::int64_t bytes = 0;
    if (backend == "sqlite") {
        // Fold the WAL into the database first, so its size is what is kept.
        (void)server.store().database().lease()->query("PRAGMA wal_checkpoint(TRUNCATE)");
        std::string file = url.substr(std::string("sqlite://").size());
        for (const char* suffix : {"", "-wal"}) {
            std::error_code ec;
            auto size = std::filesystem::file_size(file + suffix, ec);
            if (!ec) bytes += static_cast<std::int64_t>(size);
        }
        fmt::print("backend sqlite: {:.0f} bytes per event (whole database file and WAL, all tables)\n",
                   static_cast<double>(bytes) / events);
    } else {
        auto lease = server.store().database().lease();
        auto rows = lease->query(
            "SELECT (SELECT SUM(pg_total_relation_size(relid)) FROM pg_partition_tree('analytics_events'))::bigint + "
            "pg_total_relation_size('analytics_daily') + pg_total_relation_size('analytics_daily_groups')");
        if (rows) bytes = lampi::cloud::storage::as_int(rows->at(0).at(0));
        fmt::print(
            "backend postgres: {:.0f} bytes per event (analytics_events with its indexes and TOAST, and the daily "
            "and group rollups)\n",
            static_cast<double>(bytes) / events);
    }

    // Retention with every event expired (the clock 100 days on, 30 days kept): first the
    // oldest UTC day alone, row by row (as a month that has not expired whole is), then the
    // rest as retention does it (on PostgreSQL whole months by TRUNCATE, analytics/partitions.h).
    auto timed_drop = [&](const char* what, auto drop) {
        auto t0 = Steady::now();
        auto n = drop();
        double s = std::chrono::duration<double>(Steady::now() - t0).count();
        if (!n) {
            fmt::print(stderr, "retention failed: {}\n", n.status().message());
            return false;
        }
        fmt::print("backend {}: retention, {}: {} events in {:.2f} s ({:.0f} events/s)\n", backend, what, *n, s,
                   static_cast<double>(*n) / s);
        return true;
    };
    std::int64_t oldest_day_end = analytics::utc_day_of(now_ms - 7 * analytics::kDayMs) + analytics::kDayMs;
    if (!timed_drop("the oldest day, row by row",
                    [&] { return store.drop_events_before("purchases", oldest_day_end); }) ||
        !timed_drop("the rest, as retention drops them",
                    [&] { return analytics::drop_expired(store, 30, now_ms + 100 * analytics::kDayMs); }))
        return 1;
    return 0;
}
