// Schedules: timers ("turn off in 30 minutes") and weekly schedules ("every
// weekday at 07:00: warm white at 60 %") on a user's lamps and rooms, run by
// lampi-cloud from the database.
//
// A schedule fires by sending its set_config through LampService, the path the
// API's own commands take: the owner's lamps only, and each command kept until
// the lamp confirms it and sent again when the lamp comes back
// (lamps/pending_commands.h). So a lamp that is offline when its schedule fires
// gets the state when it returns, ordered by the command's sent_at like any
// other command; its outcome says "sent_while_offline".
//
// run_due() fires what is due at the clock's now. An occurrence that was due
// more than `grace_seconds` ago (lampi-cloud was down, or the database was) is
// not fired late: it is recorded as "missed", and a weekly schedule moves on to
// its next occurrence. Within the grace it fires once, however many of its
// occurrences passed. While the broker link is down (lampi-cloud just started,
// or the broker restarts) a due fire waits and is tried at each run, until the
// grace is over. A process killed between claiming a fire and sending it
// loses that one fire (at most once, never twice).
//
// A room's schedule may set one of the user's saved scenes (of that room): a
// fire applies it as Scenes::apply does, each of the scene's lamps still in the
// room getting its own saved look, and an offline one getting it when it
// returns, as above. While a schedule sets a scene the scene cannot be deleted
// (check_scene_unused says which schedules do; a timer that is done does not
// count).
//
// Thread-safe as LampService and ScheduleStore are.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clock.h"
#include "lampi/lamp_state.h"
#include "lampi/status.h"
#include "lamps/lamp_service.h"
#include "schedules/schedule_store.h"
#include "storage/store.h"

namespace lampi::cloud::schedules {

struct SchedulesOptions {
    // How late a fire may still happen after the cloud was away.
    std::int64_t grace_seconds = std::int64_t{10} * 60;
    // Timers that fired (or were missed) stay listed this long, with their outcome.
    std::int64_t keep_done_seconds = std::int64_t{24} * 3600;
    std::int64_t max_per_user = 100;
    std::int64_t max_timer_minutes = std::int64_t{7} * 24 * 60;
};

// What a user asks for, before it is checked.
struct NewSchedule {
    std::string device_id;                   // the lamp, or
    std::optional<std::string> room;         // the room ('' = the lamps in no room)
    std::optional<std::int64_t> in_minutes;  // a timer, or
    std::optional<WeeklyTime> weekly;        // a weekly schedule
    LampUpdate state;                        // what to set; fields given here win over the preset's
    // A scene's id: a built-in's ("warm-white"), or a saved one's (decimal, a room's
    // schedule only, with no state or kelvin: its lamps get their saved looks); or ''.
    std::string preset;
    std::optional<double> kelvin;  // a white of this colour temperature
};

// What a user changes of a schedule: what is not given stays, and so do its lamp or
// room and its kind. The state is replaced as a whole when any of state, preset and
// kelvin is given, from those alone, as at creation.
struct ScheduleChange {
    std::optional<std::int64_t> in_minutes;  // a timer: runs again, this many minutes from now
    std::optional<WeekdayMask> days;         // a weekly schedule: its days,
    std::optional<int> minute_of_day;        // its time of day
    std::optional<std::string> time_zone;    // and its zone
    std::optional<LampUpdate> state;
    std::optional<std::string> preset;
    std::optional<double> kelvin;

    bool changes_look() const { return state || preset || kelvin; }
    bool changes_week() const { return days || minute_of_day || time_zone; }
};

// The outcome of one run_due, for logs and tests.
struct RunReport {
    int fired = 0;
    int missed = 0;
    int failed = 0;
    int waiting = 0;  // the broker link is down: tried again next run
};

class Schedules {
public:
    Schedules(storage::Store& store, lamps::LampService& lamps, Clock clock, SchedulesOptions options = {});

    // invalid_argument for a malformed request, not_found when the lamp or room
    // is not the user's, resource_exhausted past max_per_user.
    Result<Schedule> create(std::int64_t user_id, const NewSchedule& request);
    Result<std::vector<Schedule>> of_user(std::int64_t user_id);
    // not_found when the user has no schedule `id` (decimal text).
    Status remove(std::int64_t user_id, std::string_view id);
    // The same checks as create(); a weekly schedule whose days, time or zone
    // change, or a timer given new minutes, fires next from now. not_found when
    // the user has no schedule `id`.
    Result<Schedule> update(std::int64_t user_id, std::string_view id, const ScheduleChange& change);

    // failed_precondition, naming them, when schedules of the user set the saved
    // scene `scene_id` (decimal text); ok otherwise. A scene is deleted only after this.
    Status check_scene_unused(std::int64_t user_id, std::string_view scene_id);

    // Fires (or records as missed) every schedule due now.
    Result<RunReport> run_due();

    std::int64_t now() const { return clock_(); }

private:
    Result<LampUpdate> look_of(const NewSchedule& request) const;
    // What `s` sends and the preset or saved scene it came from, out of the request's
    // state, preset and kelvin; `s` has its user and target.
    Status set_look(Schedule& s, const NewSchedule& request) const;
    Status set_saved_scene(Schedule& s, std::int64_t scene_id, const NewSchedule& request) const;
    Status check_timer_minutes(std::int64_t minutes) const;
    // Sends the schedule's state (or its saved scene); returns its outcome.
    std::string fire(const Schedule& schedule);
    std::string fire_saved_scene(const Schedule& schedule);

    ScheduleStore table_;
    storage::Store& store_;
    lamps::LampService& lamps_;
    Clock clock_;
    SchedulesOptions options_;
    // When released lamps' schedules and old timers were last deleted.
    std::atomic<std::int64_t> last_sweep_{std::numeric_limits<std::int64_t>::min() / 2};
};

}  // namespace lampi::cloud::schedules
