#include "schedules/schedules.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "lampi/color.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"
#include "lamps/scenes.h"

namespace lampi::cloud::schedules {
namespace {

constexpr double kMinKelvin = 2000;
constexpr double kMaxKelvin = 6500;
// The broker link is down: the fire stays due and is tried at the next run,
// until it is `grace_seconds` late.
constexpr std::string_view kWaitingForBroker = "waiting_for_broker";

Status no_such_schedule(std::string_view id) {
    return Status::not_found(fmt::format("you have no schedule {}; see GET /api/v1/schedules", id));
}

std::string target_name(const Schedule& s) {
    return s.room ? fmt::format("room \"{}\"", *s.room) : fmt::format("lamp {}", s.device_id);
}

// The outcome of a fire that sent nothing; kWaitingForBroker is tried again.
std::string not_sent(const Schedule& s, const Status& why) {
    log::info("schedule {} ({}) not sent: {}", s.id, target_name(s), why.message());
    switch (why.code()) {
        // failed_precondition: none of a saved scene's lamps is in the room now.
        case StatusCode::not_found:
        case StatusCode::failed_precondition: return "no_lamp";
        case StatusCode::unavailable: return std::string(kWaitingForBroker);
        default: return "failed";
    }
}

// A schedule's or a saved scene's id as the API gives it (decimal text); nullopt
// for anything else, such as a built-in scene's slug.
std::optional<std::int64_t> decimal_id(std::string_view text) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return id;
}

// When a schedule fires, in words for its owner: "Monday to Friday at 07:00",
// "Sat, Sun at 21:30", "the timer due in 25 min".
std::string when_text(const Schedule& s, std::int64_t now) {
    if (s.kind == ScheduleKind::timer) {
        if (!s.next_fire_at) return "a timer that is done";
        return fmt::format("the timer due in {} min", std::max<std::int64_t>(1, (*s.next_fire_at - now + 59) / 60));
    }
    std::string days;
    if (s.at.days == kEveryDay) days = "every day";
    else if (s.at.days == kWeekdays) days = "Monday to Friday";
    else
        for (std::string day : weekday_names(s.at.days)) {
            day[0] = static_cast<char>(day[0] - 'a' + 'A');
            days += (days.empty() ? "" : ", ") + day;
        }
    return fmt::format("{} at {}", days, format_time_of_day(s.at.minute_of_day));
}

constexpr std::int64_t kSweepSeconds = 60;
constexpr std::int64_t kEightDays = std::int64_t{8} * 24 * 3600;

// The last time `when` happened at or before `now`, looking from `from` (an
// occurrence itself); nullopt when it did not happen in between.
std::optional<std::int64_t> latest_occurrence(const WeeklyTime& when, std::int64_t from, std::int64_t now) {
    std::optional<std::int64_t> latest;
    for (auto next = next_occurrence(when, from - 1); next && *next <= now; next = next_occurrence(when, *next))
        latest = *next;
    return latest;
}

}  // namespace

Schedules::Schedules(storage::Store& store, lamps::LampService& lamps, Clock clock, SchedulesOptions options)
    : table_(store.database()), store_(store), lamps_(lamps), clock_(std::move(clock)), options_(options) {}

Result<LampUpdate> Schedules::look_of(const NewSchedule& request) const {
    LampUpdate look;
    if (!request.preset.empty()) {
        const lamps::BuiltinScene* scene = nullptr;
        for (const auto& builtin : lamps::Scenes::builtins())
            if (builtin.id == request.preset) scene = &builtin;
        if (!scene)
            return Status::invalid_argument(
                fmt::format(R"("{}" is not a built-in scene; schedules take "warm-white", "cool-white", "reading" or )"
                            R"("night-light")",
                            request.preset));
        look = scene->look();
    }
    if (request.kelvin) {
        if (!(*request.kelvin >= kMinKelvin && *request.kelvin <= kMaxKelvin))
            return Status::invalid_argument(fmt::format("a colour temperature is {} to {} K", kMinKelvin, kMaxKelvin));
        HueSaturation white = white_of_temperature(*request.kelvin);
        look.on = true;
        look.hue = white.hue;
        look.saturation = white.saturation;
    }
    const LampUpdate& given = request.state;
    if (given.on) look.on = given.on;
    if (given.hue) look.hue = given.hue;
    if (given.saturation) look.saturation = given.saturation;
    if (given.brightness) look.brightness = given.brightness;
    if (look.empty())
        return Status::invalid_argument(
            R"(say what to set: "state" (such as {"on": false}), a "scene" preset or a "kelvin" white)");
    return look;
}

Status Schedules::set_look(Schedule& s, const NewSchedule& request) const {
    if (auto saved = decimal_id(request.preset)) return set_saved_scene(s, *saved, request);
    auto look = look_of(request);
    if (!look) return look.status();
    s.action_json = encode_set_config(*look);
    s.preset = request.preset;
    s.scene_id.reset();
    s.scene_name.clear();
    return Status::ok();
}

Status Schedules::set_saved_scene(Schedule& s, std::int64_t scene_id, const NewSchedule& request) const {
    auto found = store_.scene(s.user_id, scene_id);
    if (!found) return found.status();
    if (!*found) return Status::not_found(fmt::format("you have no scene {}; see GET /api/v1/scenes", scene_id));
    const storage::Scene& scene = **found;
    // A saved scene is the look of its room's lamps, one each: no other target has them.
    if (!s.room || *s.room != scene.room)
        return Status::invalid_argument(
            fmt::format(R"(the scene "{}" is a look of the room "{}": only that room's schedules can set it)",
                        scene.name, scene.room));
    if (!request.state.empty() || request.kelvin)
        return Status::invalid_argument(
            R"(a saved scene sets each lamp as it was saved: give no "state" or "kelvin" with it)");
    s.action_json = "{}";
    s.preset.clear();
    s.scene_id = scene.id;
    s.scene_name = scene.name;
    return Status::ok();
}

Status Schedules::check_timer_minutes(std::int64_t minutes) const {
    if (minutes < 1 || minutes > options_.max_timer_minutes)
        return Status::invalid_argument(fmt::format("a timer runs 1 to {} minutes", options_.max_timer_minutes));
    return Status::ok();
}

Result<Schedule> Schedules::create(std::int64_t user_id, const NewSchedule& request) {
    Schedule s;
    s.user_id = user_id;
    s.created_at = clock_();
    if (request.room) {
        if (!request.device_id.empty()) return Status::invalid_argument(R"(give a "lamp" or a "room", not both)");
        if (Status ok = lamps::LampService::check_room(*request.room); !ok) return ok;
        auto lamps = store_.lamps_of(user_id);
        if (!lamps) return lamps.status();
        bool any = false;
        for (const auto& lamp : *lamps) any = any || lamp.room == *request.room;
        if (!any)
            return Status::not_found(request.room->empty()
                                         ? std::string("you have no lamp outside a room")
                                         : fmt::format("you have no lamp in the room \"{}\"", *request.room));
        s.room = request.room;
    } else {
        if (request.device_id.empty()) return Status::invalid_argument(R"(say which "lamp" or "room")");
        auto lamp = lamps_.owned_lamp(user_id, request.device_id);
        if (!lamp) return lamp.status();
        s.device_id = lamp->device_id;
    }
    if (request.in_minutes.has_value() == request.weekly.has_value())
        return Status::invalid_argument(
            R"(give either "in_minutes" (a timer) or "days", "time" and "time_zone" (a weekly schedule))");
    if (request.in_minutes) {
        if (Status ok = check_timer_minutes(*request.in_minutes); !ok) return ok;
        s.kind = ScheduleKind::timer;
        s.next_fire_at = s.created_at + *request.in_minutes * 60;
    } else {
        s.kind = ScheduleKind::weekly;
        s.at = *request.weekly;
        auto next = next_occurrence(s.at, s.created_at);
        if (!next) return next.status();
        s.next_fire_at = *next;
    }
    if (Status ok = set_look(s, request); !ok) return ok;
    auto count = table_.count_of(user_id);
    if (!count) return count.status();
    if (*count >= options_.max_per_user)
        return Status::resource_exhausted(
            fmt::format("you have {} schedules and timers, the most one account may have; delete some first", *count));
    auto id = table_.insert(s);
    if (!id) return id.status();
    s.id = *id;
    return s;
}

Result<std::vector<Schedule>> Schedules::of_user(std::int64_t user_id) { return table_.of_user(user_id); }

Status Schedules::remove(std::int64_t user_id, std::string_view id_text) {
    auto id = decimal_id(id_text);
    if (!id) return no_such_schedule(id_text);
    auto removed = table_.remove(user_id, *id);
    if (!removed) return removed.status();
    return *removed ? Status::ok() : no_such_schedule(id_text);
}

Status Schedules::check_scene_unused(std::int64_t user_id, std::string_view scene_id) {
    auto id = decimal_id(scene_id);
    if (!id) return Status::ok();  // a built-in's slug, or no scene: Scenes::remove says which
    auto mine = table_.of_user(user_id);
    if (!mine) return mine.status();
    const std::int64_t now = clock_();
    std::string name;
    std::string which;
    int count = 0;
    for (const Schedule& s : *mine) {
        // A timer that is done sets nothing any more: it goes with the scene.
        if (s.scene_id != *id || !s.next_fire_at) continue;
        name = s.scene_name;
        which += (count++ ? "; " : "") + when_text(s, now);
    }
    if (count == 0) return Status::ok();
    return Status::failed_precondition(
        count == 1 ? fmt::format(R"(the scene "{}" is set by a schedule of the room ({}); delete that schedule or )"
                                 "make it set something else first",
                                 name, which)
                   : fmt::format(R"(the scene "{}" is set by {} schedules of the room ({}); delete them or make )"
                                 "them set something else first",
                                 name, count, which));
}

Result<Schedule> Schedules::update(std::int64_t user_id, std::string_view id_text, const ScheduleChange& change) {
    auto id = decimal_id(id_text);
    if (!id) return no_such_schedule(id_text);
    auto mine = table_.of_user(user_id);
    if (!mine) return mine.status();
    auto found = std::find_if(mine->begin(), mine->end(), [&](const Schedule& s) { return s.id == *id; });
    if (found == mine->end()) return no_such_schedule(id_text);
    Schedule s = *found;
    const std::int64_t now = clock_();
    if (s.kind == ScheduleKind::weekly) {
        if (change.in_minutes)
            return Status::invalid_argument(R"(this is a weekly schedule: change its "days", "time" or "time_zone")");
        if (change.changes_week()) {
            if (change.days) s.at.days = *change.days;
            if (change.minute_of_day) s.at.minute_of_day = *change.minute_of_day;
            if (change.time_zone) s.at.time_zone = *change.time_zone;
            auto next = next_occurrence(s.at, now);
            if (!next) return next.status();
            s.next_fire_at = *next;
        }
    } else {
        if (change.changes_week()) return Status::invalid_argument(R"(this is a timer: change its "in_minutes")");
        if (change.in_minutes) {
            if (Status ok = check_timer_minutes(*change.in_minutes); !ok) return ok;
            s.next_fire_at = now + *change.in_minutes * 60;
        }
    }
    if (change.changes_look()) {
        NewSchedule wanted;
        wanted.state = change.state.value_or(LampUpdate{});
        wanted.preset = change.preset.value_or("");
        wanted.kelvin = change.kelvin;
        if (Status ok = set_look(s, wanted); !ok) return ok;
    }
    auto stored = table_.update(s);
    if (!stored) return stored.status();
    if (!*stored) return no_such_schedule(id_text);
    return s;
}

std::string Schedules::fire_saved_scene(const Schedule& s) {
    lamps::Scenes scenes(store_, lamps_);
    const std::string scene_id = std::to_string(*s.scene_id);
    const std::string room = s.room.value_or("");
    auto sent = scenes.apply(s.user_id, scene_id, room, lamps::CommandSender::schedule);
    if (!sent) return not_sent(s, sent.status());
    auto lamps = store_.lamps_of(s.user_id);
    bool all_online = lamps.is_ok();
    if (lamps)
        for (const auto& lamp : *lamps)
            if (!lamp.online && std::find(sent->begin(), sent->end(), lamp.device_id) != sent->end())
                all_online = false;
    return all_online ? "sent" : "sent_while_offline";
}

std::string Schedules::fire(const Schedule& s) {
    if (s.scene_id) return fire_saved_scene(s);
    auto decoded = decode_set_config(s.action_json);
    if (!decoded) {
        log::warn("schedule {} holds a malformed state: {}", s.id, decoded.status().message());
        return "failed";
    }
    if (s.room) {
        auto sent = lamps_.set_room_state(s.user_id, *s.room, decoded->update, lamps::CommandSender::schedule);
        if (!sent) return not_sent(s, sent.status());
        auto lamps = store_.lamps_of(s.user_id);
        bool all_online = lamps.is_ok();
        if (lamps)
            for (const auto& lamp : *lamps)
                if (lamp.room == *s.room && !lamp.online) all_online = false;
        return all_online ? "sent" : "sent_while_offline";
    }
    auto lamp = lamps_.owned_lamp(s.user_id, s.device_id);
    if (!lamp) return not_sent(s, lamp.status());
    auto sent = lamps_.set_state(s.user_id, s.device_id, decoded->update, lamps::CommandSender::schedule);
    if (!sent) return not_sent(s, sent.status());
    return lamp->online ? "sent" : "sent_while_offline";
}

Result<RunReport> Schedules::run_due() {
    const std::int64_t now = clock_();
    // Sweeping writes (SQLite then locks the database for a moment), so once a
    // minute; a released lamp's schedule is never fired meanwhile (set_state
    // checks the owner).
    if (now - last_sweep_.load() >= kSweepSeconds || now < last_sweep_.load()) {
        if (Status s = table_.sweep(now - options_.keep_done_seconds); !s) return s;
        last_sweep_ = now;
    }
    auto due = table_.due(now);
    if (!due) return due.status();
    RunReport report;
    for (const Schedule& s : *due) {
        std::optional<std::int64_t> next;
        if (s.kind == ScheduleKind::weekly) {
            auto following = next_occurrence(s.at, now);
            if (following) next = *following;
            else  // the zone left the system's database: the schedule stops, and says why
                log::warn("schedule {} stops: {}", s.id, following.status().message());
        }
        // Of the occurrences that passed, the latest decides: after a night away
        // this morning's 07:00 still fires within the grace.
        std::int64_t latest = *s.next_fire_at;
        if (s.kind == ScheduleKind::weekly && now - latest > options_.grace_seconds)
            latest = latest_occurrence(s.at, std::max(latest, now - kEightDays), now).value_or(latest);
        const bool too_late = now - latest > options_.grace_seconds;
        auto claimed = table_.claim(s.id, *s.next_fire_at, next, now, too_late ? "missed" : "firing");
        if (!claimed) return claimed.status();
        if (!*claimed) continue;  // another process has it
        if (too_late) {
            log::info("schedule {} ({}) missed its fire at {} ({} s ago)", s.id, target_name(s), latest, now - latest);
            ++report.missed;
            continue;
        }
        std::string outcome = fire(s);
        if (outcome == kWaitingForBroker) {
            ++report.waiting;
            if (Status kept = table_.unclaim(s.id, next, *s.next_fire_at, outcome); !kept) return kept;
            continue;
        }
        (outcome == "sent" || outcome == "sent_while_offline" ? report.fired : report.failed) += 1;
        if (Status recorded = table_.set_outcome(s.id, outcome); !recorded) return recorded;
    }
    return report;
}

}  // namespace lampi::cloud::schedules
