#include "schedules/local_time.h"

#include <date/tz.h>
#include <fmt/core.h>

#include <chrono>
#include <stdexcept>

namespace lampi::cloud::schedules {
namespace {

constexpr std::string_view kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

Result<const date::time_zone*> find_zone(std::string_view name) {
    if (name.empty() || name.size() > 64)
        return Status::invalid_argument(R"(give an IANA time zone name, such as "Europe/Berlin")");
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return Status::invalid_argument(
            fmt::format(R"("{}" is not a time zone this server knows; give an IANA name such as "Europe/Berlin")",
                        name));
    }
}

}  // namespace

Result<int> parse_time_of_day(std::string_view text) {
    auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9' ? text[i] - '0' : -1; };
    if (text.size() == 5 && text[2] == ':' && digit(0) >= 0 && digit(1) >= 0 && digit(3) >= 0 && digit(4) >= 0) {
        int hours = digit(0) * 10 + digit(1);
        int minutes = digit(3) * 10 + digit(4);
        if (hours < 24 && minutes < 60) return hours * 60 + minutes;
    }
    return Status::invalid_argument(R"(give the time as "HH:MM" on a 24-hour clock, such as "07:00")");
}

std::string format_time_of_day(int minute_of_day) {
    return fmt::format("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60);
}

Result<WeekdayMask> weekday_bit(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kDayNames); ++i)
        if (kDayNames[i] == name) return static_cast<WeekdayMask>(1u << i);
    return Status::invalid_argument(fmt::format(R"("{}" is not a day; days are "mon", "tue", ... "sun")", name));
}

std::vector<std::string> weekday_names(WeekdayMask mask) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < std::size(kDayNames); ++i)
        if (mask & (1u << i)) out.emplace_back(kDayNames[i]);
    return out;
}

Status check_time_zone(std::string_view name) {
    auto zone = find_zone(name);
    return zone ? Status::ok() : zone.status();
}

Result<std::int64_t> next_occurrence(const WeeklyTime& when, std::int64_t after) {
    if ((when.days & kEveryDay) == 0) return Status::invalid_argument("choose at least one day of the week");
    if (when.minute_of_day < 0 || when.minute_of_day >= 24 * 60)
        return Status::invalid_argument("a time of day is 00:00 to 23:59");
    auto zone = find_zone(when.time_zone);
    if (!zone) return zone.status();
    using std::chrono::seconds;
    const date::sys_seconds after_tp{seconds(after)};
    const auto today = date::floor<date::days>((*zone)->to_local(after_tp));
    // The day `after` falls on, locally, and the seven after it: an enabled day
    // is among them, and its time is after `after` unless it is today's.
    for (int i = 0; i <= 7; ++i) {
        const date::local_days day = today + date::days(i);
        const unsigned iso = date::weekday(day).iso_encoding();  // Monday 1 .. Sunday 7
        if ((when.days & (1u << (iso - 1))) == 0) continue;
        const date::local_seconds wall = day + std::chrono::minutes(when.minute_of_day);
        // A skipped wall time maps to the jump itself; a repeated one to its first occurrence.
        const date::sys_seconds at = (*zone)->to_sys(wall, date::choose::earliest);
        if (at > after_tp) return static_cast<std::int64_t>(at.time_since_epoch().count());
    }
    return Status::internal("no next occurrence within eight days");  // cannot happen with a day enabled
}

}  // namespace lampi::cloud::schedules
