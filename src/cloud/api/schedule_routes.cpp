// Timers and weekly schedules under /api/v1/schedules (documented in
// src/cloud/README.md): the caller's own, on lamps and rooms they own.
#include <fmt/core.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/api_support.h"
#include "lampi/json_object.h"
#include "lampi/lamp_codec.h"
#include "lamps/scenes.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

// Spelled out in each route file, as in analytics_routes.cpp: a using in a shared
// header would reach every file that includes it.
using http::Request;
using http::Response;
using schedules::NewSchedule;
using schedules::Schedule;

json::value json_or_null(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object schedule_json(const Schedule& s) {
    json::object o;
    o["id"] = std::to_string(s.id);
    o["kind"] = s.kind == schedules::ScheduleKind::weekly ? "weekly" : "timer";
    o["lamp"] = s.room ? json::value(nullptr) : json::value(s.device_id);
    o["room"] = s.room ? json::value(*s.room) : json::value(nullptr);
    if (s.kind == schedules::ScheduleKind::weekly) {
        json::array days;
        for (const auto& day : schedules::weekday_names(s.at.days)) days.emplace_back(day);
        o["days"] = std::move(days);
        o["time"] = schedules::format_time_of_day(s.at.minute_of_day);
        o["time_zone"] = s.at.time_zone;
    }
    boost::system::error_code ec;
    json::value state = json::parse(s.action_json, ec);
    o["state"] = ec ? json::value(json::object()) : state;
    // The scene's id, and its name as it is now (what the page lists).
    json::value scene = nullptr;
    json::value scene_name = nullptr;
    if (s.scene_id) {
        scene = std::to_string(*s.scene_id);
        scene_name = s.scene_name;
    } else if (!s.preset.empty()) {
        scene = s.preset;
        for (const auto& builtin : lamps::Scenes::builtins())
            if (builtin.id == s.preset) scene_name = builtin.name;
    }
    o["scene"] = std::move(scene);
    o["scene_name"] = std::move(scene_name);
    o["next_fire_at"] = json_or_null(s.next_fire_at);
    o["last_run_at"] = json_or_null(s.last_run_at);
    o["last_outcome"] = s.last_outcome;
    o["created_at"] = s.created_at;
    return o;
}

// The string `key` of `body`; nullopt when it is not there.
Result<std::optional<std::string>> string_field(const json::object& body, const char* key) {
    const json::value* v = body.if_contains(key);
    if (!v) return std::optional<std::string>();
    if (!v->is_string()) return Status::invalid_argument(fmt::format("\"{}\" must be a string", key));
    return std::optional<std::string>(std::string(v->as_string()));
}

Result<schedules::WeekdayMask> days_of(const json::value& days) {
    if (!days.is_array())
        return Status::invalid_argument(R"("days" is a list of days, such as ["mon", "tue", "wed", "thu", "fri"])");
    schedules::WeekdayMask mask = 0;
    for (const auto& day : days.as_array()) {
        if (!day.is_string()) return Status::invalid_argument(R"(days are "mon", "tue", ... "sun")");
        auto bit = schedules::weekday_bit(day.as_string());
        if (!bit) return bit.status();
        mask |= *bit;
    }
    return mask;
}

Result<int> minute_of_day_of(const json::object& body) {
    auto time = string_field(body, "time");
    if (!time) return time.status();
    return schedules::parse_time_of_day(time->value_or(""));
}

Result<schedules::WeeklyTime> weekly_of(const json::object& body) {
    schedules::WeeklyTime at;
    const json::value* days = body.if_contains("days");
    if (!days) return days_of(json::value()).status();
    auto mask = days_of(*days);
    if (!mask) return mask.status();
    at.days = *mask;
    if (!body.contains("time") || !body.contains("time_zone"))
        return Status::invalid_argument(
            R"(a weekly schedule needs "time" ("07:00") and "time_zone" ("Europe/Berlin"))");
    auto minute = minute_of_day_of(body);
    if (!minute) return minute.status();
    at.minute_of_day = *minute;
    auto zone = string_field(body, "time_zone");
    if (!zone) return zone.status();
    at.time_zone = zone->value_or("");
    return at;
}

// What to set, as creation and changes give it: "state", "scene", "kelvin".
struct Look {
    std::optional<LampUpdate> state;
    std::optional<std::string> scene;
    std::optional<double> kelvin;
};

Result<Look> look_of(const json::object& body) {
    Look look;
    auto scene = string_field(body, "scene");
    if (!scene) return scene.status();
    look.scene = *scene;
    if (const json::value* state = body.if_contains("state")) {
        if (!state->is_object()) return Status::invalid_argument(R"("state" is an object, such as {"on": false})");
        // The MQTT contract's own decoder: the same checks and clamping as a command.
        auto update = decode_set_config(json::serialize(*state));
        if (!update) return Status::invalid_argument("invalid state: " + update.status().message());
        look.state = update->update;
    }
    if (const json::value* kelvin = body.if_contains("kelvin")) {
        if (!kelvin->is_number()) return Status::invalid_argument(R"("kelvin" is a number, 2000 to 6500)");
        look.kelvin = kelvin->to_number<double>();
    }
    return look;
}

Result<std::optional<std::int64_t>> in_minutes_of(const json::object& body) {
    const json::value* minutes = body.if_contains("in_minutes");
    if (!minutes) return std::optional<std::int64_t>();
    if (!minutes->is_int64()) return Status::invalid_argument(R"("in_minutes" is a whole number of minutes)");
    return std::optional<std::int64_t>(minutes->as_int64());
}

// {"lamp" | "room", "in_minutes" | "days" + "time" + "time_zone", "state", "scene", "kelvin"}
Result<NewSchedule> new_schedule_of(const Request& request) {
    auto body = parse_json_object(request.body, "the JSON body");
    if (!body) return body.status();
    NewSchedule out;
    std::optional<std::string> lamp;
    for (auto [key, into] : {std::pair{"lamp", &lamp}, std::pair{"room", &out.room}}) {
        auto value = string_field(*body, key);
        if (!value) return value.status();
        *into = *value;
    }
    out.device_id = lamp.value_or("");
    auto minutes = in_minutes_of(*body);
    if (!minutes) return minutes.status();
    out.in_minutes = *minutes;
    if (body->contains("days") || body->contains("time") || body->contains("time_zone")) {
        auto weekly = weekly_of(*body);
        if (!weekly) return weekly.status();
        out.weekly = *weekly;
    }
    auto look = look_of(*body);
    if (!look) return look.status();
    out.preset = look->scene.value_or("");
    out.state = look->state.value_or(LampUpdate{});
    out.kelvin = look->kelvin;
    return out;
}

// Any of "in_minutes" | "days", "time", "time_zone", and "state", "scene", "kelvin".
Result<schedules::ScheduleChange> change_of(const Request& request) {
    auto body = parse_json_object(request.body, "the JSON body");
    if (!body) return body.status();
    if (body->contains("lamp") || body->contains("room"))
        return Status::invalid_argument("a schedule keeps its lamp or room; delete it and make another");
    schedules::ScheduleChange change;
    auto minutes = in_minutes_of(*body);
    if (!minutes) return minutes.status();
    change.in_minutes = *minutes;
    if (const json::value* days = body->if_contains("days")) {
        auto mask = days_of(*days);
        if (!mask) return mask.status();
        change.days = *mask;
    }
    if (body->contains("time")) {
        auto minute = minute_of_day_of(*body);
        if (!minute) return minute.status();
        change.minute_of_day = *minute;
    }
    auto zone = string_field(*body, "time_zone");
    if (!zone) return zone.status();
    change.time_zone = *zone;
    auto look = look_of(*body);
    if (!look) return look.status();
    change.state = look->state;
    change.preset = look->scene;
    change.kelvin = look->kelvin;
    if (!change.in_minutes && !change.changes_week() && !change.changes_look())
        return Status::invalid_argument(
            R"(say what to change: "in_minutes", or "days", "time", "time_zone"; "state", "scene", "kelvin")");
    return change;
}

}  // namespace

// Each route reads top to bottom as the scene routes in api_routes.cpp do: caller,
// body, one call to the schedules, its answer; the steps differ from route to route.
void add_schedule_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/api/v1/schedules", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, false);
        if (!who) return failed(who.status());
        auto list = deps.schedules.of_user(who->user.id);
        if (!list) return failed(list.status());
        json::array out;
        for (const auto& s : *list) out.emplace_back(schedule_json(s));
        json::object o;
        o["schedules"] = std::move(out);
        o["now"] = deps.schedules.now();
        return json_ok(200, o);
    });

    router.add("POST", "/api/v1/schedules", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        auto wanted = new_schedule_of(request);
        if (!wanted) return failed(wanted.status());
        auto made = deps.schedules.create(who->user.id, *wanted);
        if (!made) return failed(made.status());
        return json_ok(201, schedule_json(*made));
    });

    router.add("PATCH", "/api/v1/schedules/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        auto change = change_of(request);
        if (!change) return failed(change.status());
        auto changed = deps.schedules.update(who->user.id, params.get("id"), *change);
        if (!changed) return failed(changed.status());
        return json_ok(200, schedule_json(*changed));
    });

    router.add("DELETE", "/api/v1/schedules/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (Status s = deps.schedules.remove(who->user.id, params.get("id")); !s) return failed(s);
        return no_content();
    });
}

}  // namespace lampi::cloud::api
