#include "analytics/calendar.h"

#include <fmt/core.h>

#include <array>
#include <charconv>

namespace lampi::cloud::analytics {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

struct Civil {
    std::int64_t year;
    int month;  // 1..12
    int day;    // 1..31
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {yoe + era * 400 + (m <= 2), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
    if (at + count > text.size()) return false;
    int v = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        v = v * 10 + (text[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::optional<Unit> unit_named(std::string_view name) {
    if (name == "minutes" || name == "minute") return Unit::minute;
    if (name == "hours" || name == "hour") return Unit::hour;
    if (name == "days" || name == "day") return Unit::day;
    if (name == "weeks" || name == "week") return Unit::week;
    if (name == "months" || name == "month") return Unit::month;
    if (name == "years" || name == "year") return Unit::year;
    return std::nullopt;
}

std::optional<Unit> interval_named(std::string_view name) {
    if (name == "minutely") return Unit::minute;
    if (name == "hourly") return Unit::hour;
    if (name == "daily") return Unit::day;
    if (name == "weekly") return Unit::week;
    if (name == "monthly") return Unit::month;
    if (name == "yearly") return Unit::year;
    return std::nullopt;
}

std::optional<std::int64_t> parse_iso8601(std::string_view t) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(t, 0, 4, year) || t.size() < 10 || t[4] != '-' || !digits(t, 5, 2, month) || t[7] != '-' ||
        !digits(t, 8, 2, day))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    std::size_t at = 10;
    std::int64_t millis = 0;
    int offset = 0;
    if (at < t.size()) {
        if (t[at] != 'T' && t[at] != ' ') return std::nullopt;
        if (!digits(t, at + 1, 2, hour) || t.size() < at + 6 || t[at + 3] != ':' || !digits(t, at + 4, 2, minute))
            return std::nullopt;
        at += 6;
        if (at < t.size() && t[at] == ':') {
            if (!digits(t, at + 1, 2, second)) return std::nullopt;
            at += 3;
        }
        if (at < t.size() && t[at] == '.') {
            ++at;
            std::int64_t scale = 100;
            std::size_t first = at;
            while (at < t.size() && t[at] >= '0' && t[at] <= '9') {
                millis += (t[at] - '0') * scale;
                scale /= 10;
                ++at;
            }
            if (at == first) return std::nullopt;
        }
        if (at < t.size()) {
            if (t[at] == 'Z' && at + 1 == t.size()) {
                ++at;
            } else if (t[at] == '+' || t[at] == '-') {
                int oh = 0, om = 0;
                if (!digits(t, at + 1, 2, oh)) return std::nullopt;
                std::size_t m = at + 3;
                if (m < t.size() && t[m] == ':') ++m;
                if (!digits(t, m, 2, om) || m + 2 != t.size()) return std::nullopt;
                offset = (oh * 3600 + om * 60) * (t[at] == '-' ? -1 : 1);
                at = t.size();
            } else {
                return std::nullopt;
            }
        }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    std::int64_t days = days_from_civil(year, month, day);
    return days * kDay + hour * kHour + minute * kMinute + second * 1000LL + millis - offset * 1000LL;
}

std::string format_iso8601(std::int64_t ms, const TimeZone& zone) {
    const int offset_seconds = zone.offset_at(ms);
    std::int64_t local = ms + offset_seconds * 1000LL;
    std::int64_t days = floor_div(local, kDay);
    std::int64_t in_day = local - days * kDay;
    Civil c = civil_from_days(days);
    std::string suffix = "Z";
    if (offset_seconds != 0) {
        int a = offset_seconds < 0 ? -offset_seconds : offset_seconds;
        suffix = fmt::format("{}{:02}:{:02}", offset_seconds < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
    }
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", c.year, c.month, c.day, in_day / kHour,
                       (in_day % kHour) / kMinute, (in_day % kMinute) / 1000, in_day % 1000, suffix);
}

std::int64_t floor_to(Unit unit, std::int64_t ms, const TimeZone& zone) {
    const std::int64_t local = ms + zone.offset_at(ms) * 1000LL;
    std::int64_t floored = local;
    switch (unit) {
        // Elapsed units: every offset in use is whole minutes, and all but a few
        // (a half-hour or 45-minute zone's hours) whole hours.
        case Unit::minute: return ms - (local - floor_div(local, kMinute) * kMinute);
        case Unit::hour: return ms - (local - floor_div(local, kHour) * kHour);
        case Unit::day: floored = floor_div(local, kDay) * kDay; break;
        case Unit::week: {
            // 1970-01-01 was a Thursday: day 0 is 4 days after a Sunday.
            std::int64_t days = floor_div(local, kDay);
            floored = (days - ((days + 4) % 7 + 7) % 7) * kDay;
            break;
        }
        case Unit::month: {
            Civil c = civil_from_days(floor_div(local, kDay));
            floored = days_from_civil(c.year, c.month, 1) * kDay;
            break;
        }
        case Unit::year: {
            Civil c = civil_from_days(floor_div(local, kDay));
            floored = days_from_civil(c.year, 1, 1) * kDay;
            break;
        }
    }
    return zone.to_utc(floored);
}

std::int64_t add_units(Unit unit, std::int64_t ms, std::int64_t count, const TimeZone& zone) {
    if (unit == Unit::minute) return ms + count * kMinute;
    if (unit == Unit::hour) return ms + count * kHour;
    const std::int64_t local = ms + zone.offset_at(ms) * 1000LL;
    if (unit == Unit::day) return zone.to_utc(local + count * kDay);
    if (unit == Unit::week) return zone.to_utc(local + count * 7 * kDay);
    std::int64_t days = floor_div(local, kDay);
    std::int64_t in_day = local - days * kDay;
    Civil c = civil_from_days(days);
    std::int64_t months = c.year * 12 + (c.month - 1) + (unit == Unit::year ? count * 12 : count);
    std::int64_t year = floor_div(months, 12);
    int month = static_cast<int>(months - year * 12) + 1;
    // The same day of the month, or the month's last day (Jan 31 + 1 month = Feb 28).
    static constexpr std::array<int, 12> kLengths{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int length = kLengths[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
    int day = c.day > length ? length : c.day;
    return zone.to_utc(days_from_civil(year, month, day) * kDay + in_day);
}

std::int64_t next_start(Unit unit, std::int64_t ms, const TimeZone& zone) {
    return add_units(unit, floor_to(unit, ms, zone), 1, zone);
}

}  // namespace lampi::cloud::analytics
