// Time for analytics: ISO-8601 timestamps (Keen's keen.timestamp) and calendar
// units (minutes ... years) in a time zone, for timeframes and intervals.
//
// Times are Unix milliseconds. Units of a day and longer follow the zone's wall
// clock: a day across a daylight-saving change is 23 or 25 hours long, and
// starts at local midnight (or, where the change skips midnight, at the jump).
// Minutes and hours are elapsed time. Every function is pure and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "analytics/time_zone.h"

namespace lampi::cloud::analytics {

enum class Unit { minute, hour, day, week, month, year };

// "minutes"/"minute"/"minutely" ... "years"; nullopt for anything else.
std::optional<Unit> unit_named(std::string_view name);
// Keen's interval names: minutely, hourly, daily, weekly, monthly, yearly.
std::optional<Unit> interval_named(std::string_view name);

// 2026-11-30T03:57:19.123Z, or with +HH:MM/-HH:MM; no zone means UTC. Date-only
// (2026-11-30) is midnight UTC. nullopt when it is not such a time.
std::optional<std::int64_t> parse_iso8601(std::string_view text);
// 2026-11-30T03:57:19.123Z in UTC, else with the offset in effect then:
// 2026-11-29T19:57:19.123-08:00.
std::string format_iso8601(std::int64_t ms, const TimeZone& zone = {});

// The start of the unit holding `ms` in `zone`'s local time (weeks start on
// Sunday, as Keen's do), and the start of the next one.
std::int64_t floor_to(Unit unit, std::int64_t ms, const TimeZone& zone);
std::int64_t next_start(Unit unit, std::int64_t ms, const TimeZone& zone);
// `ms` moved by `count` whole units (count may be negative): the same local
// time for days and longer, the same elapsed time for minutes and hours.
std::int64_t add_units(Unit unit, std::int64_t ms, std::int64_t count, const TimeZone& zone);

}  // namespace lampi::cloud::analytics
