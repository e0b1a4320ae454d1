// GET /api/v1/lamps/<id>/on-hours: how long the owner's lamp was lit per day
// over the last 30 days, and in all, against the LED's rated life.
//
// Computed here from the lamp's own lamp_changes (analytics/on_hours.h has the
// formula), so an owner reads only their lamps: nobody gets a project-wide read
// key for it. The days count only the switches made while the caller owned the
// lamp (a lamp passed on does not show its previous owner's evenings); the total
// counts every switch, since the LED wears whoever owns it.
#include <boost/json/object.hpp>

#include <charconv>
#include <cmath>

#include "analytics/calendar.h"
#include "analytics/on_hours.h"
#include "api/api_support.h"
#include "api/keen_query.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

using http::Request;
using http::Response;

constexpr int kDays = 30;
constexpr double kNearingEndOfLife = 0.9;
constexpr int kMaxOffsetSeconds = 14 * 3600;

double rounded(double hours) { return std::round(hours * 1000) / 1000; }

// ?timezone=<seconds east of UTC>, as Keen's queries take it; UTC without one.
Result<int> offset_of(const Request& request) {
    auto query = http::parse_form(request.query);
    if (!query) return query.status();
    std::string_view text = query->get_or("timezone");
    if (text.empty() || text == "UTC") return 0;
    int offset = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), offset);
    if (error != std::errc() || end != text.data() + text.size() || std::abs(offset) > kMaxOffsetSeconds)
        return Status::invalid_argument("timezone is seconds east of UTC, from -50400 to 50400");
    return offset;
}

json::object answer_of(const std::string& device_id, std::int64_t owner,
                       const std::vector<analytics::OwnedSwitch>& switches, std::int64_t now_ms, int offset,
                       double rated_hours) {
    std::vector<analytics::LampSwitch> all;
    std::vector<analytics::LampSwitch> owners;
    for (const analytics::OwnedSwitch& s : switches) {
        all.push_back(s.change);
        if (s.owner_id == owner) owners.push_back(s.change);
    }
    analytics::OnHours lifetime = analytics::on_hours(all, now_ms, kDays, offset);
    analytics::OnHours recent = analytics::on_hours(owners, now_ms, kDays, offset);
    json::array days;
    for (const analytics::DayOnHours& day : recent.days) {
        json::object d;
        d["date"] = analytics::format_iso8601(day.start_ms, offset).substr(0, 10);
        d["hours"] = rounded(day.hours);
        days.push_back(std::move(d));
    }
    json::object o;
    o["device_id"] = device_id;
    o["timezone"] = offset;
    o["days"] = std::move(days);
    o["total_hours"] = rounded(lifetime.total_hours);
    o["rated_hours"] = rated_hours;
    o["used_percent"] = std::round(lifetime.total_hours / rated_hours * 1000) / 10;
    o["nearing_end_of_life"] = lifetime.total_hours >= kNearingEndOfLife * rated_hours;
    if (all.empty()) o["counted_since"] = nullptr;
    else o["counted_since"] = analytics::format_iso8601(all.front().at_ms);
    return o;
}

Response on_hours(const Request& request, const http::Params& params, Deps& deps) {
    auto who = authorize(request, deps, false);
    if (!who) return failed(who.status());
    auto lamp = deps.lamps.owned_lamp(who->user.id, params.get("id"));
    if (!lamp) return failed(lamp.status());
    auto offset = offset_of(request);
    if (!offset) return failed(offset.status());
    // Reads every switch the lamp ever made: off the server's threads, like a query.
    return on_pool(deps.query_pool, "on-hours",
                   [&deps, device_id = lamp->device_id, owner = who->user.id, offset = *offset]() -> Response {
                       std::int64_t now_ms = analytics_now_ms(deps);
                       auto switches = deps.analytics.lamp_switches(device_id, now_ms + 1);
                       if (!switches) return failed(switches.status());
                       return json_ok(200, answer_of(device_id, owner, *switches, now_ms, offset,
                                                     deps.options.led_rated_hours));
                   });
}

}  // namespace

void add_on_hours_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/api/v1/lamps/{id}/on-hours",
               [&deps](const Request& request, const http::Params& params) { return on_hours(request, params, deps); });
}

}  // namespace lampi::cloud::api
