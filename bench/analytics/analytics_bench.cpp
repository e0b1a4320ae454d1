// analytics_bench: what lampi-cloud's analytics costs. Starts lampi-cloud in this
// process (tests/cloud/support: the real App and HTTP server, 2 server threads)
// on SQLite or a private PostgreSQL, then
//   ingest:  CLIENTS connections POST batches of BATCH events to /3.0/.../events
//            until EVENTS are stored; prints events/s;
//   queries: `count` with interval daily over the last 7 days (all the events),
//            REPEAT times each: with a group_by (read from the events) and
//            without (whole days from the daily rollup); prints p50 and p99;
//   disk:    bytes per event (SQLite: the database and its WAL; PostgreSQL: the
//            events table with its indexes and TOAST, and the daily rollup).
// The per-key write limit is off: this measures what the server can take.
//
//   analytics_bench [sqlite|postgres] [EVENTS (200000)] [BATCH (250)] [CLIENTS (4)] [REPEAT (20)]
#include <fmt/core.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "analytics/calendar.h"
#include "analytics/event_store.h"
#include "analytics/keys.h"
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
    std::string why;
    if (!lampi::testing::backend_available(backend, why)) {
        fmt::print(stderr, "analytics_bench: {} is not available: {}\n", backend, why);
        return 1;
    }
    lampi::testing::TempDir dir;
    std::string url = lampi::testing::fresh_database_url(backend, dir.path());
    lampi::testing::CloudServerOptions options;
    options.app.analytics_write_limit.events_per_second = 0;
    lampi::testing::CloudServer server(url, options);
    analytics::EventStore store(server.store().database());
    auto keys = analytics::create_keys(store, "bench", 1);
    if (!keys) return 1;
    std::string path = "/3.0/projects/" + keys->project_id + "/events";
    std::int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();

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
    auto time_query = [&](const std::string& what, const std::string& query) {
        std::vector<double> ms;
        for (int i = 0; i < repeat; ++i) {
            auto t0 = Steady::now();
            auto r = reader.request("POST", "/3.0/projects/" + keys->project_id + "/queries/count",
                                    {{"Authorization", keys->read_key}, {"Content-Type", "application/json"}}, query);
            ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
            if (r.status != 200) {
                fmt::print(stderr, "query failed: {} {}\n", r.status, r.body.substr(0, 300));
                return false;
            }
            // Both queries must count the same events (those of the last 7 days).
            if (i == 0 && expected < 0) expected = counted(r.body);
            if (i == 0 && counted(r.body) != expected) {
                fmt::print(stderr, "query counted {} events, the first one {}\n", counted(r.body), expected);
                return false;
            }
        }
        fmt::print(
            "backend {}: count, interval daily, {} over {} events ({} in the timeframe): p50 {:.1f} ms, p99 {:.1f} ms "
            "({} runs)\n",
            backend, what, events, expected, percentile(ms, 50), percentile(ms, 99), repeat);
        return true;
    };
    const std::string daily =
        R"("event_collection": "purchases", "timeframe": "this_7_days", "interval": "daily", "timezone": "UTC")";
    if (!time_query("group_by item (the events)", "{" + daily + R"(, "group_by": "item"})")) return 1;
    if (!time_query("no group_by (the daily rollup)", "{" + daily + "}")) return 1;

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
            "SELECT pg_total_relation_size('analytics_events') + pg_total_relation_size('analytics_daily')");
        if (rows) bytes = lampi::cloud::storage::as_int(rows->at(0).at(0));
        fmt::print(
            "backend postgres: {:.0f} bytes per event (analytics_events with its indexes and TOAST, and the daily "
            "rollup)\n",
            static_cast<double>(bytes) / events);
    }
    return 0;
}
