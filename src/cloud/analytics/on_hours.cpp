#include "analytics/on_hours.h"

#include <algorithm>
#include <optional>

#include "analytics/calendar.h"

namespace lampi::cloud::analytics {
namespace {

constexpr double kMsPerHour = 3'600'000.0;

struct Interval {
    std::int64_t from_ms;
    std::int64_t to_ms;
};

// The lit intervals, each [switch on, next switch off) and the last one to now.
std::vector<Interval> lit_intervals(const std::vector<LampSwitch>& switches, std::int64_t now_ms) {
    std::vector<Interval> lit;
    // A flag beside the time rather than std::optional: g++ 12 warns that an
    // optional's value may be read uninitialised here (it cannot be).
    bool on = false;
    std::int64_t lit_since = 0;
    for (const LampSwitch& s : switches) {
        if (s.at_ms > now_ms) break;
        if (s.on && !on) {
            on = true;
            lit_since = s.at_ms;
        } else if (!s.on && on) {
            lit.push_back({lit_since, s.at_ms});
            on = false;
        }
    }
    if (on) lit.push_back({lit_since, now_ms});
    return lit;
}

std::int64_t overlap_ms(const Interval& a, std::int64_t from_ms, std::int64_t to_ms) {
    return std::max<std::int64_t>(0, std::min(a.to_ms, to_ms) - std::max(a.from_ms, from_ms));
}

}  // namespace

OnHours on_hours(const std::vector<LampSwitch>& switches, std::int64_t now_ms, int day_count, int offset_seconds) {
    std::vector<Interval> lit = lit_intervals(switches, now_ms);
    OnHours answer;
    std::int64_t total_ms = 0;
    for (const Interval& i : lit) total_ms += i.to_ms - i.from_ms;
    answer.total_hours = static_cast<double>(total_ms) / kMsPerHour;

    std::int64_t today = floor_to(Unit::day, now_ms, offset_seconds);
    for (int back = day_count - 1; back >= 0; --back) {
        std::int64_t start = add_units(Unit::day, today, -back, offset_seconds);
        std::int64_t end = next_start(Unit::day, start, offset_seconds);
        std::int64_t day_ms = 0;
        for (const Interval& i : lit) day_ms += overlap_ms(i, start, end);
        answer.days.push_back({start, static_cast<double>(day_ms) / kMsPerHour});
    }
    return answer;
}

}  // namespace lampi::cloud::analytics
