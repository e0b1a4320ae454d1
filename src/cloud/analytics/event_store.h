// EventStore: the analytics tables (events, the project, its keys) in the
// platform's database, on SQLite and PostgreSQL with the same SQL.
//
// Events are rows of (collection, timestamp in Unix ms, the event's JSON); the
// index on (collection, timestamp) makes a query's collection and timeframe a
// range scan. Beside them, the daily rollup (analytics/daily_rollup.h) counts
// each collection's events per UTC day, and the group rollup
// (analytics/group_rollup.h) per day and value of declared properties, written in
// the events' transaction. Keys are stored as BLAKE2b hashes
// (accounts/crypto.h), like API tokens. Methods are thread-safe (each leases a pooled connection) and never throw; the
// Database must outlive the EventStore.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analytics/event.h"
#include "analytics/group_rollup.h"
#include "analytics/on_hours.h"
#include "lampi/status.h"
#include "storage/sql.h"

namespace lampi::cloud::analytics {

enum class KeyKind { write, read, master };
std::string_view key_kind_name(KeyKind kind);

// What a stored key lets its holder do.
struct KeyGrant {
    KeyKind kind = KeyKind::read;
    std::string name;
    // The key's definition as Keen's key API took it (analytics/access_keys.h),
    // JSON text; empty for the operator's project keys, which have no scope.
    std::string options;
    bool revoked = false;
};

struct StoredEvent {
    std::int64_t timestamp_ms = 0;
    std::string json;
};

struct OwnedSwitch {
    LampSwitch change;
    std::optional<std::int64_t> owner_id;
};

// An aggregation the database computes over the events' JSON (json_extract and
// -> on SQLite, jsonb operators on PostgreSQL); query.cpp decides when a query
// can be one. A property is a path of names; a missing property and JSON null
// are the same: absent.
struct Comparison {
    enum class Op { eq, ne, lt, lte, gt, gte, exists, absent };
    enum class Kind { number, string, boolean };  // of `value`; a property of another type never matches
    std::vector<std::string> path;
    Op op = Op::eq;
    Kind kind = Kind::number;
    std::string value;  // a number as text, the string itself, or "true"/"false"
};

struct Aggregate {
    enum class Function { count, count_unique, sum, average, minimum, maximum };
    Function function = Function::count;
    std::vector<std::string> path;  // unused by count
};

struct Aggregation {
    std::string collection;
    std::int64_t from_ms = 0;
    std::int64_t to_ms = 0;
    // Every inner list must have a comparison that holds (one list per filter;
    // an "in" filter is a list of several).
    std::vector<std::vector<Comparison>> filters;
    std::vector<std::vector<std::string>> group_by;
    std::vector<Aggregate> aggregates;
    // With a width, rows are per step: (ts_ms - origin) / width.
    std::int64_t bucket_origin_ms = 0;
    std::int64_t bucket_width_ms = 0;
    // Only events whose id is at most this (the group rollup's backfill).
    std::optional<std::int64_t> max_id;
};

struct AggregateRow {
    std::int64_t bucket = 0;
    std::vector<std::optional<std::string>> groups;  // each group_by value as JSON text; nullopt: absent
    std::vector<std::optional<std::string>> values;  // each aggregate as text; nullopt: SQL NULL
};

class EventStore {
public:
    explicit EventStore(storage::Database& db) : db_(db) {}

    storage::Dialect dialect() const { return db_.dialect(); }

    // Adds the events (one statement per 100), their days' counts to the daily
    // rollup and their values' to the group rollup, in one transaction: all or none.
    Status insert(const std::vector<PreparedEvent>& events);

    // Events of `collection` with from_ms <= timestamp < to_ms, oldest first,
    // at most `limit` of them.
    Result<std::vector<StoredEvent>> events(const std::string& collection, std::int64_t from_ms, std::int64_t to_ms,
                                            std::int64_t limit);
    // The on/off switches of one lamp (lamp_changes events whose `device_id` is
    // this one and whose `on` is a boolean) before to_ms, oldest first, each
    // with the `owner_id` it was recorded with (nullopt: unowned). A change
    // with the same `on` as the one before it under the same owner is left
    // out, so a lamp dimmed all evening costs two rows, not thousands.
    Result<std::vector<OwnedSwitch>> lamp_switches(const std::string& device_id, std::int64_t to_ms);
    // How many events of `collection` lie in [from_ms, to_ms).
    Result<std::int64_t> count(const std::string& collection, std::int64_t from_ms, std::int64_t to_ms);
    // How many events of `collection` lie in [from_ms, to_ms), per UTC day (keyed
    // by the day's start; days without events may be missing). Whole days are
    // read from the daily rollup, so their cost does not grow with the events;
    // a partial day at either end is counted from the events.
    Result<std::map<std::int64_t, std::int64_t>> daily_counts(const std::string& collection, std::int64_t from_ms,
                                                              std::int64_t to_ms);
    // The collections the daily rollup knows (every one that ever had an event).
    Result<std::vector<std::string>> rollup_collections();
    // Deletes the events of `collection` before before_ms, in chunks of short
    // transactions; the daily rollup keeps their counts. The events deleted.
    Result<std::int64_t> drop_events_before(const std::string& collection, std::int64_t before_ms);
    // PostgreSQL's partitions of the events by UTC month (analytics/partitions.h;
    // both do nothing on SQLite). Makes the missing months from months_back
    // before now_ms's to months_ahead after it; the partitions made.
    Result<int> make_month_partitions(std::int64_t now_ms, int months_back, int months_ahead);
    // Empties the part that retention may drop of every month partition ending
    // at or before before_ms; the events dropped.
    Result<std::int64_t> truncate_expired_months(std::int64_t before_ms);
    // The group rollup (analytics/group_rollup.h). Declares (collection,
    // property) if it is not yet: records the last event id stored (on
    // PostgreSQL with the events table locked against writers meanwhile, so no
    // batch in flight is missed by both its transaction and the backfill; it
    // gives up after 2 s if another session holds a conflicting lock, such as
    // a VACUUM, since new batches queue behind it meanwhile).
    Status declare_group_rollup(const GroupRollupKey& key, std::int64_t now_ms);
    // Forgets `key`'s declaration and its counts, so a count grouped by it reads the
    // events again (locked as a declaration is, so no batch in flight leaves a count
    // behind). false: it was not declared.
    Result<bool> undeclare_group_rollup(const GroupRollupKey& key);
    // The declarations whose backfill is unfinished, in (collection, property) order.
    Result<std::vector<GroupRollupKey>> unfinished_group_rollups();
    // Counts one more UTC day of the events stored before `key`'s declaration;
    // false when none is left (or `key` is not declared). An error names `key`.
    Result<bool> backfill_group_rollup(const GroupRollupKey& key);
    // The first UTC day from which (collection, property)'s counts are complete
    // (the smallest int64 once backfilled whole); nullopt when not declared or
    // no day is yet.
    Result<std::optional<std::int64_t>> group_rollup_ready_from(const std::string& collection,
                                                                const std::string& property);
    // As daily_counts, per value (group_value_key) of a declared property: whole
    // days from the group rollup, a partial day at either end from the events.
    Result<std::map<std::int64_t, std::map<std::string, std::int64_t>>> daily_group_counts(
        const std::string& collection, const std::string& property, std::int64_t from_ms, std::int64_t to_ms);

    // One row per (step, group) that has events; with neither, exactly one row.
    // Property names holding '"' or '\\' cannot be reached this way (invalid_argument).
    Result<std::vector<AggregateRow>> aggregate(const Aggregation& aggregation);

    // The platform's one project: its id, made on first call as `wanted`, or 24
    // random hex digits when `wanted` is empty. A project made earlier keeps its id.
    Result<std::string> project_id(std::int64_t now, const std::string& wanted = {});
    // Stores a key by hash, with its definition's options (JSON text, or empty).
    Status add_key(const std::string& key_hash, KeyKind kind, const std::string& name, std::int64_t now,
                   const std::string& options = {});
    // What the key with this hash may do, if it exists.
    Result<std::optional<KeyGrant>> key_grant(const std::string& key_hash);
    // Revokes the key with this hash for good; false if there is none.
    Result<bool> revoke_key(const std::string& key_hash, std::int64_t now);

private:
    storage::Database& db_;
};

}  // namespace lampi::cloud::analytics
