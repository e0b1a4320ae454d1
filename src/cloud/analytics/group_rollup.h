// The group rollup: for each declared (collection, property), how many events
// of each UTC day carry each value of the property (table
// analytics_daily_groups), so that a `count` with that one `group_by` reads a
// row per day and value instead of every event (analytics/query.h says when).
//
// Which properties: those declared, as Keen's cached datasets are: by the
// operator (lampi-cloud --analytics-group-rollup COLLECTION.PROPERTY) and, by
// default, default_group_rollups(). A declaration is recorded in the database
// (analytics_group_rollups): every process's batches then keep its counts,
// whatever that process was told, until `lampi-cloud analytics undeclare`.
// Each declaration costs a row per day and distinct value, and an upsert per
// distinct value in each batch: declare properties of few values, never ids.
//
// Contract: a value is counted under the key the event query path groups it by
// (the JSON text the database gives for it, parsed and serialized again; a
// missing property and null are both "null"), so an answer from the rollup is
// the same as one from the events; a row is keyed by a hash of that key, so a
// value of any length fits PostgreSQL's index. Events stored after the
// declaration are counted in their batch's transaction (EventStore::insert);
// those stored before it (up to the event id recorded with the declaration) by
// a backfill, one UTC day at a time from the newest day down, each day in its
// own short transaction that also moves ready_from_ms (the first day whose
// counts are complete) down to it. Two processes backfilling the same
// declaration never both count a day: the move is conditional on where the
// other left it.
// Retention (analytics/retention.h) deletes events, never these counts.
#pragma once

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "analytics/event.h"
#include "lampi/status.h"
#include "periodic_task.h"
#include "storage/sql.h"

namespace lampi::cloud::analytics {

class EventStore;

struct GroupRollupKey {
    std::string collection;
    std::string property;  // as group_by names it: "user.name" is a nested property
    auto operator<=>(const GroupRollupKey&) const = default;
};

// The platform's own events' properties the operator's dashboard groups by
// (README, "The platform's own events"). logins' and lamp_changes.source have a
// handful of values and sign_ups.referred_by at most one per sign-up (never
// lamp_changes.client: it has one per control page load that changed a lamp).
std::vector<GroupRollupKey> default_group_rollups();

// "COLLECTION.PROPERTY", split at the first '.' (so a collection whose name
// holds a '.' cannot be declared); the property may be dotted. Refused with
// why: an invalid collection name, an empty property, one holding '"' or
// '\\' (which group_by reads from the events in C++, not the database), or one
// with a part after the first that PostgreSQL reads as an array index and the
// rollup would not (" 1", "+1": strtol's leading spaces and '+').
Result<GroupRollupKey> parse_group_rollup(std::string_view text);

// A property name as a path of names ("user.name": user, then name).
std::vector<std::string> property_path(std::string_view name);

// The group key of a value given as JSON text by the database (nullopt: absent).
std::string group_value_key(const std::optional<std::string>& json_text);

// (collection, day_ms, property, value key) -> events.
using GroupCounts = std::map<std::tuple<std::string, std::int64_t, std::string, std::string>, std::int64_t>;

// Adds `events` to the counts of every declared property of their collections,
// on `conn` inside the caller's transaction, after the events are inserted
// (PostgreSQL: a declaration waits for batches in flight, see
// EventStore::declare_group_rollup). Rows are upserted in one order, so
// concurrent batches wait for each other instead of deadlocking.
Status add_to_group_rollup(storage::SqlConnection& conn, const std::vector<PreparedEvent>& events);

// Declares `keys` (each once, however many processes start), then backfills
// them, and any declared by other processes, on its own thread: every `period`
// it works for about that long, a day of each unfinished declaration in turn,
// so stop() never waits long and a long backfill holds back no other. Failures
// are logged, naming the declaration. One not made is tried again next period;
// one whose backfill failed is skipped for 1, 2, 4, ... runs (at most
// kMaxBackfillBackoff's worth) while the others go on, so one that keeps
// failing neither holds back the others nor fills the log. Once everything is
// declared and backfilled it rests, looking again only every `idle_recheck`
// (for a backfill another process left unfinished) instead of every period.
class GroupRollupJob {
public:
    GroupRollupJob(EventStore& store, std::vector<GroupRollupKey> keys, std::function<std::int64_t()> now_ms,
                   std::chrono::milliseconds period, std::chrono::milliseconds idle_recheck = kIdleRecheck);

    // Waits for a run under way to finish; idempotent.
    void stop() { task_.stop(); }
    // Nothing was left to declare or backfill when it last looked.
    bool resting() const { return resting_; }

    static constexpr std::chrono::minutes kMaxBackfillBackoff{10};
    static constexpr std::chrono::minutes kIdleRecheck{1};

private:
    // A declaration whose backfill failed: how many times in a row, and how
    // many runs skip it before it is tried again.
    struct Failing {
        int failures = 0;
        std::int64_t runs_to_skip = 0;
    };

    void run();
    void backfill_failed(const GroupRollupKey& key, const Status& why);

    EventStore& store_;
    std::vector<GroupRollupKey> undeclared_;
    std::map<GroupRollupKey, Failing> failing_;  // only the job's thread uses it
    std::function<std::int64_t()> now_ms_;
    std::chrono::milliseconds period_;
    std::int64_t idle_runs_;           // the runs a resting job skips between looks
    std::int64_t idle_runs_left_ = 0;  // only the job's thread uses it
    std::atomic<bool> resting_{false};
    PeriodicTask task_;  // last: its thread starts once the members it uses exist
};

}  // namespace lampi::cloud::analytics
