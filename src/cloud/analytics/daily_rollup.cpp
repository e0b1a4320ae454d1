#include "analytics/daily_rollup.h"

#include <fmt/core.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "analytics/event_store.h"

namespace lampi::cloud::analytics {

Status add_to_daily_rollup(storage::SqlConnection& conn, const std::vector<PreparedEvent>& events) {
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> per_day;
    for (const PreparedEvent& e : events) ++per_day[{e.collection, utc_day_of(e.timestamp_ms)}];
    // A batch usually spans a few days: one statement. But every event may name a
    // day and a collection of its own, and one statement holds at most 65 535
    // parameters on PostgreSQL (32 766 in SQLite's default build, which also gets
    // slow on very long ones), so a large batch takes several, in the map's order:
    // concurrent batches lock the rows in the same order.
    constexpr std::size_t kRowsPerStatement = 1000;
    for (auto it = per_day.begin(); it != per_day.end();) {
        std::string sql = "INSERT INTO analytics_daily (collection, day_ms, events) VALUES ";
        std::vector<storage::SqlValue> params;
        for (; it != per_day.end() && params.size() < kRowsPerStatement * 3; ++it) {
            sql += fmt::format("{}(${}, ${}, ${})", params.empty() ? "" : ", ", params.size() + 1, params.size() + 2,
                               params.size() + 3);
            params.emplace_back(it->first.first);
            params.emplace_back(it->first.second);
            params.emplace_back(it->second);
        }
        sql += " ON CONFLICT (collection, day_ms) DO UPDATE SET events = analytics_daily.events + excluded.events";
        if (auto done = conn.query(sql, params); !done)
            return done.status().prefixed("cannot update the daily rollup: ");
    }
    return Status::ok();
}

Status count_by_whole_days(std::int64_t from_ms, std::int64_t to_ms, const SpanCounter& from_events,
                           const SpanCounter& from_rollup) {
    std::int64_t cursor = from_ms;
    if (cursor < to_ms && utc_day_of(cursor) != cursor) {
        std::int64_t end = std::min(utc_day_of(cursor) + kDayMs, to_ms);
        if (Status s = from_events(cursor, end); !s) return s;
        cursor = end;
    }
    std::int64_t whole_end = utc_day_of(to_ms);
    if (cursor < whole_end) {
        if (Status s = from_rollup(cursor, whole_end); !s) return s;
        cursor = whole_end;
    }
    if (cursor < to_ms) return from_events(cursor, to_ms);
    return Status::ok();
}

Result<std::map<std::int64_t, std::int64_t>> EventStore::daily_counts(const std::string& collection,
                                                                      std::int64_t from_ms, std::int64_t to_ms) {
    std::map<std::int64_t, std::int64_t> days;
    auto conn = db_.lease();
    auto count_events = [&](std::int64_t from, std::int64_t to) -> Status {
        auto rows =
            conn->query("SELECT COUNT(*) FROM analytics_events WHERE collection = $1 AND ts_ms >= $2 AND ts_ms < $3",
                        {collection, from, to});
        if (!rows) return rows.status().prefixed("cannot count analytics events: ");
        if (std::int64_t n = storage::as_int(rows->at(0).at(0))) days[utc_day_of(from)] += n;
        return Status::ok();
    };
    auto count_days = [&](std::int64_t from, std::int64_t to) -> Status {
        auto rows = conn->query(
            "SELECT day_ms, events FROM analytics_daily WHERE collection = $1 AND day_ms >= $2 AND day_ms < $3",
            {collection, from, to});
        if (!rows) return rows.status().prefixed("cannot read the daily rollup: ");
        for (const auto& row : *rows) days[storage::as_int(row[0])] += storage::as_int(row[1]);
        return Status::ok();
    };
    if (Status s = count_by_whole_days(from_ms, to_ms, count_events, count_days); !s) return s;
    return days;
}

Result<std::vector<std::string>> EventStore::rollup_collections() {
    auto conn = db_.lease();
    auto rows = conn->query("SELECT DISTINCT collection FROM analytics_daily ORDER BY collection");
    if (!rows) return rows.status().prefixed("cannot read the daily rollup: ");
    std::vector<std::string> names;
    names.reserve(rows->size());
    for (const auto& row : *rows) names.push_back(storage::as_text(row[0]));
    return names;
}

Result<std::int64_t> EventStore::drop_events_before(const std::string& collection, std::int64_t before_ms) {
    // Chunks keep each transaction (and SQLite's write lock) short for the writers meanwhile.
    constexpr std::int64_t kChunk = 10'000;
    std::int64_t dropped = 0;
    for (;;) {
        auto conn = db_.lease();
        // SQLite gives a new row the largest id + 1: with the newest row gone, its id would be given
        // again, and a group rollup's unfinished backfill (up to the id recorded at its
        // declaration) would count the new event its batch counted already. So while such a
        // backfill could reach it, that one row (an event stored last with an old timestamp) stays;
        // PostgreSQL's sequence never gives an id twice.
        bool sqlite = db_.dialect() == storage::Dialect::sqlite;
        std::string keep_newest =
            sqlite ? fmt::format(
                         " AND NOT (e.id = (SELECT MAX(id) FROM analytics_events) AND EXISTS (SELECT 1 FROM "
                         "analytics_group_rollups g WHERE (g.ready_from_ms IS NULL OR g.ready_from_ms <> {}) "
                         "AND g.backfill_to_id >= e.id))",
                         std::numeric_limits<std::int64_t>::min())
                   : "";
        // Nothing goes while a group rollup of the collection is being backfilled: its counts
        // of the days dropped would miss those events. Asked in the DELETE itself, so a
        // declaration committed meanwhile (it locks the events against writers) is seen.
        std::string not_backfilling = fmt::format(
            " AND NOT EXISTS (SELECT 1 FROM analytics_group_rollups b WHERE b.collection = $1 AND "
            "(b.ready_from_ms IS NULL OR b.ready_from_ms <> {}))",
            std::numeric_limits<std::int64_t>::min());
        auto rows = conn->query(
            // The outer ts_ms bound lets PostgreSQL look only in the expired months' partitions.
            fmt::format(
                "DELETE FROM analytics_events WHERE ts_ms < $2 AND id IN (SELECT e.id FROM analytics_events e WHERE "
                "e.collection = $1 AND e.ts_ms < $2{}{} LIMIT $3) RETURNING 1",
                keep_newest, not_backfilling),
            {collection, before_ms, kChunk});
        if (!rows) return rows.status().prefixed("cannot drop old analytics events: ");
        dropped += static_cast<std::int64_t>(rows->size());
        if (static_cast<std::int64_t>(rows->size()) < kChunk) return dropped;
    }
}

}  // namespace lampi::cloud::analytics
