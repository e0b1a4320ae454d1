#include "schedules/schedule_store.h"

namespace lampi::cloud::schedules {
namespace {

using storage::as_int;
using storage::as_text;
using storage::SqlValue;

const std::string kColumns =
    "id, user_id, kind, target, device_id, room, days, minute_of_day, time_zone, action_json, preset, next_fire_at, "
    "last_run_at, last_outcome, created_at, scene_id, (SELECT name FROM scenes WHERE scenes.id = schedules.scene_id)";

// A lamp's schedule counts only while its user owns the lamp.
const std::string kStillOwned =
    "(target = 'room' OR EXISTS (SELECT 1 FROM lamps l WHERE l.device_id = schedules.device_id "
    "AND l.owner_id = schedules.user_id))";

std::optional<std::int64_t> optional_int(const std::optional<std::string>& column) {
    if (!column) return std::nullopt;
    return as_int(column);
}

SqlValue optional_value(std::optional<std::int64_t> v) { return v ? SqlValue(*v) : SqlValue(nullptr); }

Result<std::vector<Schedule>> to_schedules(const Result<storage::SqlRows>& rows) {
    if (!rows) return rows.status();
    std::vector<Schedule> out;
    for (const auto& r : *rows) {
        Schedule s;
        s.id = as_int(r.at(0));
        s.user_id = as_int(r.at(1));
        s.kind = as_text(r.at(2)) == "weekly" ? ScheduleKind::weekly : ScheduleKind::timer;
        if (as_text(r.at(3)) == "room") s.room = as_text(r.at(5));
        else s.device_id = as_text(r.at(4));
        s.at.days = static_cast<WeekdayMask>(as_int(r.at(6)));
        s.at.minute_of_day = static_cast<int>(as_int(r.at(7)));
        s.at.time_zone = as_text(r.at(8));
        s.action_json = as_text(r.at(9));
        s.preset = as_text(r.at(10));
        s.next_fire_at = optional_int(r.at(11));
        s.last_run_at = optional_int(r.at(12));
        s.last_outcome = as_text(r.at(13));
        s.created_at = as_int(r.at(14));
        s.scene_id = optional_int(r.at(15));
        s.scene_name = as_text(r.at(16));
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

Result<storage::SqlRows> ScheduleStore::run(const std::string& sql, const std::vector<SqlValue>& params) {
    auto lease = db_.lease();
    return lease->query(sql, params);
}

Result<std::int64_t> ScheduleStore::insert(const Schedule& s) {
    auto rows = run(
        "INSERT INTO schedules (user_id, kind, target, device_id, room, days, minute_of_day, time_zone, action_json, "
        "preset, next_fire_at, last_outcome, created_at, scene_id) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', $12, $13) RETURNING id",
        {s.user_id, std::string(s.kind == ScheduleKind::weekly ? "weekly" : "timer"),
         std::string(s.room ? "room" : "lamp"), s.device_id, s.room.value_or(""), std::int64_t{s.at.days},
         std::int64_t{s.at.minute_of_day}, s.at.time_zone, s.action_json, s.preset, optional_value(s.next_fire_at),
         s.created_at, optional_value(s.scene_id)});
    if (!rows) return rows.status();
    return as_int(rows->at(0).at(0));
}

Result<std::vector<Schedule>> ScheduleStore::of_user(std::int64_t user_id) {
    return to_schedules(
        run("SELECT " + kColumns + " FROM schedules WHERE user_id = $1 AND " + kStillOwned + " ORDER BY id",
            {user_id}));
}

Result<std::int64_t> ScheduleStore::count_of(std::int64_t user_id) {
    auto rows = run("SELECT COUNT(*) FROM schedules WHERE user_id = $1", {user_id});
    if (!rows) return rows.status();
    return as_int(rows->at(0).at(0));
}

Result<bool> ScheduleStore::remove(std::int64_t user_id, std::int64_t id) {
    auto rows =
        run("DELETE FROM schedules WHERE user_id = $1 AND id = $2 AND " + kStillOwned + " RETURNING id", {user_id, id});
    if (!rows) return rows.status();
    return !rows->empty();
}

Result<bool> ScheduleStore::update(const Schedule& s) {
    auto rows =
        run("UPDATE schedules SET days = $1, minute_of_day = $2, time_zone = $3, action_json = $4, preset = $5, "
            "next_fire_at = $6, scene_id = $7 WHERE user_id = $8 AND id = $9 AND " +
                kStillOwned + " RETURNING id",
            {std::int64_t{s.at.days}, std::int64_t{s.at.minute_of_day}, s.at.time_zone, s.action_json, s.preset,
             optional_value(s.next_fire_at), optional_value(s.scene_id), s.user_id, s.id});
    if (!rows) return rows.status();
    return !rows->empty();
}

Result<std::vector<Schedule>> ScheduleStore::due(std::int64_t now) {
    return to_schedules(run("SELECT " + kColumns +
                                " FROM schedules WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1 "
                                "ORDER BY next_fire_at, id",
                            {now}));
}

Result<bool> ScheduleStore::claim(std::int64_t id, std::int64_t expected, std::optional<std::int64_t> next,
                                  std::int64_t now, const std::string& outcome) {
    auto rows =
        run("UPDATE schedules SET next_fire_at = $1, last_run_at = $2, last_outcome = $3 "
            "WHERE id = $4 AND next_fire_at = $5 RETURNING id",
            {optional_value(next), now, outcome, id, expected});
    if (!rows) return rows.status();
    return !rows->empty();
}

Status ScheduleStore::set_outcome(std::int64_t id, const std::string& outcome) {
    auto rows = run("UPDATE schedules SET last_outcome = $1 WHERE id = $2", {outcome, id});
    return rows ? Status::ok() : rows.status();
}

Status ScheduleStore::unclaim(std::int64_t id, std::optional<std::int64_t> claimed_next, std::int64_t due,
                              const std::string& outcome) {
    auto rows =
        run("UPDATE schedules SET next_fire_at = $1, last_outcome = $2 WHERE id = $3 AND next_fire_at IS NOT DISTINCT "
            "FROM $4",
            {due, outcome, id, optional_value(claimed_next)});
    return rows ? Status::ok() : rows.status();
}

Status ScheduleStore::sweep(std::int64_t done_before) {
    auto released =
        run("DELETE FROM schedules WHERE target = 'lamp' AND NOT EXISTS "
            "(SELECT 1 FROM lamps l WHERE l.device_id = schedules.device_id AND l.owner_id = schedules.user_id)");
    if (!released) return released.status();
    auto done = run("DELETE FROM schedules WHERE next_fire_at IS NULL AND last_run_at < $1", {done_before});
    return done ? Status::ok() : done.status();
}

}  // namespace lampi::cloud::schedules
