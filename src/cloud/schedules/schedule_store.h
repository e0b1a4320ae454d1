// ScheduleStore: the schedules table (schema migrations 8 and 13) in the platform's
// database, the same SQL on SQLite and PostgreSQL.
//
// The table is the scheduler's only state: every process reads what is due from
// it, so schedules survive restarts and several lampi-cloud processes on one
// database share them. A fire is claimed by moving its next_fire_at with a
// compare-and-set, so exactly one process fires each occurrence. Thread-safe
// (each call leases a pooled connection); the Database must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "schedules/local_time.h"
#include "storage/sql.h"

namespace lampi::cloud::schedules {

enum class ScheduleKind { timer, weekly };

struct Schedule {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    ScheduleKind kind = ScheduleKind::timer;
    // The target: a lamp (device_id set, room nullopt) or a room ('' = the lamps in no room).
    std::string device_id;
    std::optional<std::string> room;
    WeeklyTime at;                             // weekly only
    std::string action_json;                   // the set_config sent, canonical
    std::string preset;                        // the built-in scene it came from, '' when none
    // A saved scene it sets instead of action_json (a room's schedule only), and
    // that scene's name as it is now (read with the schedule, not stored in it).
    std::optional<std::int64_t> scene_id;
    std::string scene_name;
    std::optional<std::int64_t> next_fire_at;  // Unix seconds; nullopt once a timer is done
    std::optional<std::int64_t> last_run_at;   // when it last fired or was missed
    std::string last_outcome;                  // what happened then, for the owner
    std::int64_t created_at = 0;
};

class ScheduleStore {
public:
    explicit ScheduleStore(storage::Database& db) : db_(db) {}

    Result<std::int64_t> insert(const Schedule& schedule);
    // The user's schedules, oldest first; a lamp's only while the user owns it.
    Result<std::vector<Schedule>> of_user(std::int64_t user_id);
    Result<std::int64_t> count_of(std::int64_t user_id);
    // False when the user has no such schedule.
    Result<bool> remove(std::int64_t user_id, std::int64_t id);
    // Stores a changed schedule's days, time, zone, state, preset, scene and next fire;
    // false when the user has no such schedule (any more).
    Result<bool> update(const Schedule& schedule);

    // Every schedule whose next_fire_at is at or before `now`.
    Result<std::vector<Schedule>> due(std::int64_t now);
    // Moves a due schedule on (to `next`, or done when nullopt) and records the
    // run, if its next_fire_at is still `expected`: false when another process
    // took this occurrence (or the owner deleted it) first.
    Result<bool> claim(std::int64_t id, std::int64_t expected, std::optional<std::int64_t> next, std::int64_t now,
                       const std::string& outcome);
    Status set_outcome(std::int64_t id, const std::string& outcome);
    // Puts a claimed occurrence back (due at `due`) to be tried again, unless the
    // schedule moved on since it was claimed to `claimed_next`.
    Status unclaim(std::int64_t id, std::optional<std::int64_t> claimed_next, std::int64_t due,
                   const std::string& outcome);
    // Drops the schedules of lamps their user no longer owns (released, or given
    // to someone else by an operator), and timers done before `done_before`.
    Status sweep(std::int64_t done_before);

private:
    Result<storage::SqlRows> run(const std::string& sql, const std::vector<storage::SqlValue>& params = {});

    storage::Database& db_;
};

}  // namespace lampi::cloud::schedules
