// Time for analytics: ISO-8601 timestamps (Keen's keen.timestamp) and calendar
// units (minutes ... years) in a fixed UTC offset, for timeframes and intervals.
//
// Times are Unix milliseconds. An offset is seconds east of UTC (Keen's numeric
// timezone). Every function is pure and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::cloud::analytics {

enum class Unit { minute, hour, day, week, month, year };

// "minutes"/"minute"/"minutely" ... "years"; nullopt for anything else.
std::optional<Unit> unit_named(std::string_view name);
// Keen's interval names: minutely, hourly, daily, weekly, monthly, yearly.
std::optional<Unit> interval_named(std::string_view name);

// 2026-11-30T03:57:19.123Z, or with +HH:MM/-HH:MM; no zone means UTC. Date-only
// (2026-11-30) is midnight UTC. nullopt when it is not such a time.
std::optional<std::int64_t> parse_iso8601(std::string_view text);
// 2026-11-30T03:57:19.123Z for offset 0, else 2026-11-29T19:57:19.123-08:00.
std::string format_iso8601(std::int64_t ms, int offset_seconds = 0);

// The start of the unit holding `ms` in the local time of `offset_seconds`
// (weeks start on Sunday, as Keen's do), and the start of the next one.
std::int64_t floor_to(Unit unit, std::int64_t ms, int offset_seconds);
std::int64_t next_start(Unit unit, std::int64_t ms, int offset_seconds);
// `ms` moved by `count` whole units (count may be negative), same local time.
std::int64_t add_units(Unit unit, std::int64_t ms, std::int64_t count, int offset_seconds);

}  // namespace lampi::cloud::analytics
