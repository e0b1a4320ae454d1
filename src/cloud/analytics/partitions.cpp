#include "analytics/partitions.h"

#include <fmt/core.h>

#include <limits>
#include <optional>
#include <string>

#include "analytics/calendar.h"
#include "analytics/retention.h"
#include "lampi/log.h"

namespace lampi::cloud::analytics {
namespace {

struct Month {
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;
    std::string table;  // analytics_events_YYYY_MM
};

// The UTC month holding `ms`; nullopt outside years 1000-9999, which no
// partition name is made for.
std::optional<Month> month_of(std::int64_t ms) {
    std::int64_t from = floor_to(Unit::month, ms, {});
    std::string iso = format_iso8601(from);
    if (iso.size() < 7 || iso[4] != '-' || iso[0] < '1' || iso[0] > '9') return std::nullopt;
    return Month{from, next_start(Unit::month, from, {}),
                 fmt::format("analytics_events_{}_{}", iso.substr(0, 4), iso.substr(5, 2))};
}

// "analytics_events_2026_11" -> its month; nullopt for any other name.
std::optional<Month> month_named(const std::string& table) {
    constexpr std::string_view kPrefix = "analytics_events_";
    if (table.size() != kPrefix.size() + 7 || table.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
    std::string date = table.substr(kPrefix.size(), 4) + "-" + table.substr(kPrefix.size() + 5, 2) + "-01";
    std::optional<std::int64_t> from = parse_iso8601(date);
    if (!from) return std::nullopt;
    std::optional<Month> month = month_of(*from);
    if (!month || month->table != table) return std::nullopt;
    return month;
}

std::string kept_collections_sql() {
    std::string list;
    for (std::string_view name : kKeptCollections) {
        list += list.empty() ? "'" : ", '";
        for (char c : name) list += c == '\'' ? std::string("''") : std::string(1, c);
        list += "'";
    }
    return list;
}

// Makes `month`'s partition unless it exists: built detached (with the events
// the default partition held for it), then attached, all under a lock that
// holds every reader and writer of the events until the commit.
Result<bool> make_month(storage::SqlConnection& conn, const Month& month) {
    auto begun = conn.query("BEGIN");
    if (!begun) return begun.status();
    auto fail = [&conn](const Status& why) {
        (void)conn.script("ROLLBACK");
        return why;
    };
    // Processes on one database make a month one at a time.
    if (auto locked = conn.query("SELECT pg_advisory_xact_lock(hashtext('lampi analytics_events partitions'))");
        !locked)
        return fail(locked.status());
    auto exists = conn.query("SELECT to_regclass($1) IS NOT NULL", {month.table});
    if (!exists) return fail(exists.status());
    if (storage::as_text(exists->at(0).at(0)) == "t") {
        (void)conn.script("ROLLBACK");
        return false;
    }
    // Every reader and writer waits for the month (milliseconds, unless events move): a
    // query that chose its partitions before the commit and read after it, or the other
    // way round, missed the moved events (seen: a count of 0 for 20 000). Waiting at the
    // parent, before it plans, it plans and reads afresh. The parent first, as LOCK TABLE
    // takes it in a group rollup's declaration: the other order deadlocked with that.
    Result<bool> locked = storage::lock_or_give_way(conn, "LOCK TABLE analytics_events IN ACCESS EXCLUSIVE MODE");
    if (!locked) return fail(locked.status());
    if (!*locked) {
        return fail(Status::unavailable(fmt::format("the events' tables stayed locked for {} s (tried again later)",
                                                    storage::kLockGiveWaySeconds)));
    }
    const std::string& t = month.table;
    std::string ddl = fmt::format(
        "CREATE TABLE {t} (LIKE analytics_events) PARTITION BY LIST (collection);\n"
        "CREATE TABLE {t}_kept PARTITION OF {t} FOR VALUES IN ({kept});\n"
        "CREATE TABLE {t}_expiring PARTITION OF {t} DEFAULT;\n"
        "WITH moved AS (DELETE FROM analytics_events_default WHERE ts_ms >= {from} AND ts_ms < {to} "
        "RETURNING id, collection, ts_ms, body)\n"
        "INSERT INTO {t} (id, collection, ts_ms, body) SELECT id, collection, ts_ms, body FROM moved;\n"
        "ALTER TABLE analytics_events ATTACH PARTITION {t} FOR VALUES FROM ({from}) TO ({to});\n"
        "COMMIT;",
        fmt::arg("t", t), fmt::arg("kept", kept_collections_sql()), fmt::arg("from", month.from_ms),
        fmt::arg("to", month.to_ms));
    if (Status s = conn.script(ddl); !s) return fail(s);
    return true;
}

// The events of `month`'s expiring part, removed; 0 when it was empty or its
// table stayed locked (the row-by-row delete gets them then).
Result<std::int64_t> truncate_month(storage::SqlConnection& conn, const Month& month) {
    std::string part = month.table + "_expiring";
    // A month made while kKeptCollections named others holds in `expiring` what is kept now:
    // its rows are left to the row-by-row delete, which asks the list of today.
    auto kept = conn.query(
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.relname = $1 AND c.relispartition",
        {month.table + "_kept"});
    if (!kept) return kept.status();
    if (kept->empty() || !kept->at(0).at(0) ||
        storage::as_text(kept->at(0).at(0)) != fmt::format("FOR VALUES IN ({})", kept_collections_sql())) {
        log::info(
            "analytics retention: {} keeps other collections than this lampi-cloud; its events are deleted one "
            "by one",
            month.table);
        return 0;
    }
    // Most runs find old months empty: look before taking a lock that stops their readers.
    auto any = conn.query(fmt::format("SELECT 1 FROM {} LIMIT 1", part));
    if (!any) return any.status();
    if (any->empty()) return 0;
    auto begun = conn.query("BEGIN");
    if (!begun) return begun.status();
    auto fail = [&conn](const Status& why) {
        (void)conn.script("ROLLBACK");
        return why;
    };
    Result<bool> locked = storage::lock_or_give_way(conn, fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", part));
    if (!locked) return fail(locked.status());
    if (!*locked) {
        log::info("analytics retention: {} stayed in use for {} s; its events are deleted one by one instead", part,
                  storage::kLockGiveWaySeconds);
        (void)conn.script("ROLLBACK");
        return 0;
    }
    // Nor while a group rollup of a collection it holds is being backfilled (see
    // EventStore::drop_events_before); a declaration waits for this lock, or this sees it.
    auto backfilling = conn.query(fmt::format("SELECT 1 FROM analytics_group_rollups WHERE collection NOT IN ({}) AND "
                                              "(ready_from_ms IS NULL OR ready_from_ms <> $1) LIMIT 1",
                                              kept_collections_sql()),
                                  {std::numeric_limits<std::int64_t>::min()});
    if (!backfilling) return fail(backfilling.status());
    if (!backfilling->empty()) {
        (void)conn.script("ROLLBACK");
        return 0;
    }
    auto counted = conn.query(fmt::format("SELECT COUNT(*) FROM {}", part));
    if (!counted) return fail(counted.status());
    if (Status s = conn.script(fmt::format("TRUNCATE {}; COMMIT", part)); !s) return fail(s);
    return storage::as_int(counted->at(0).at(0));
}

}  // namespace

Result<int> EventStore::make_month_partitions(std::int64_t now_ms, int months_back, int months_ahead) {
    if (db_.dialect() != storage::Dialect::postgres) return 0;
    auto conn = db_.lease();
    int made = 0;
    std::int64_t first = add_units(Unit::month, floor_to(Unit::month, now_ms, {}), -months_back, {});
    for (int i = 0; i <= months_back + months_ahead; ++i) {
        std::optional<Month> month = month_of(add_units(Unit::month, first, i, {}));
        if (!month) continue;
        auto done = make_month(*conn, *month);
        if (!done) return done.status().prefixed(fmt::format("cannot make the partition {}: ", month->table));
        made += *done ? 1 : 0;
    }
    return made;
}

Result<std::int64_t> EventStore::truncate_expired_months(std::int64_t before_ms) {
    if (db_.dialect() != storage::Dialect::postgres) return 0;
    auto conn = db_.lease();
    auto tables = conn->query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'analytics_events'::regclass ORDER BY c.relname");
    if (!tables) return tables.status().prefixed("cannot list the events' partitions: ");
    std::int64_t dropped = 0;
    for (const auto& row : *tables) {
        std::optional<Month> month = month_named(storage::as_text(row[0]));
        if (!month || month->to_ms > before_ms) continue;
        auto n = truncate_month(*conn, *month);
        if (!n) return n.status().prefixed(fmt::format("cannot empty the partition {}_expiring: ", month->table));
        dropped += *n;
    }
    return dropped;
}

PartitionJob::PartitionJob(EventStore& store, std::function<std::int64_t()> now_ms, std::chrono::milliseconds period)
    : store_(store), now_ms_(std::move(now_ms)), task_(period, PeriodicTask::FirstRun::at_start, [this] { run(); }) {}

void PartitionJob::run() {
    auto made = store_.make_month_partitions(now_ms_(), kPartitionMonthsBack, kPartitionMonthsAhead);
    if (!made) log::warn("analytics: {}", made.status().message());
    else if (*made > 0) log::info("analytics: made {} month partition(s) of the events", *made);
}

}  // namespace lampi::cloud::analytics
