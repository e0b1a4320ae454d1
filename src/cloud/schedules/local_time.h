// Wall-clock times in a named time zone: when "every weekday at 07:00 in
// Europe/Berlin" next happens, as a Unix time.
//
// The IANA database is the system's (/usr/share/zoneinfo, kept current by
// Debian's tzdata), read by Howard Hinnant's date/tz library, which only
// local_time.cpp includes. Thread-safe.
//
// Daylight saving time: a schedule follows the wall clock, so 07:00 is 07:00
// local on both sides of a change. A time the change skips (02:30 on a spring
// night in Europe) happens at the instant the clocks jump (03:00 new time); a
// time the change repeats (02:30 on an autumn night) happens once, at its first
// occurrence.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"

namespace lampi::cloud::schedules {

// Days of the week as bits: Monday is bit 0, Sunday bit 6.
using WeekdayMask = std::uint8_t;
inline constexpr WeekdayMask kEveryDay = 0x7f;
inline constexpr WeekdayMask kWeekdays = 0x1f;

// A time of day on some days of the week, in an IANA time zone.
struct WeeklyTime {
    WeekdayMask days = 0;
    int minute_of_day = 0;  // 0 (00:00) to 1439 (23:59)
    std::string time_zone;  // "Europe/Berlin"
};

// "07:00" -> 420; invalid_argument unless HH:MM of a 24-hour clock.
Result<int> parse_time_of_day(std::string_view text);
std::string format_time_of_day(int minute_of_day);
// "mon" .. "sun" -> the day's bit; invalid_argument for anything else.
Result<WeekdayMask> weekday_bit(std::string_view name);
// The days of `mask` by name, Monday first.
std::vector<std::string> weekday_names(WeekdayMask mask);

// invalid_argument unless the system's time zone database knows `name`.
Status check_time_zone(std::string_view name);

// The first Unix second after `after` at which `when` happens; invalid_argument
// for no days, a minute outside the day or an unknown zone.
Result<std::int64_t> next_occurrence(const WeeklyTime& when, std::int64_t after);

}  // namespace lampi::cloud::schedules
