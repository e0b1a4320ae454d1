// On-hours of a lamp: how long its LED was lit, per local day and in total,
// from the on/off state it reported (the `on` of its lamp_changes events).
//
// The formula (documented in src/cloud/README.md, "On-hours of a lamp"): the lamp
// is on from each switch whose `on` is true until the next switch, or until `now`
// when it is still on (so today counts up to now). Before its first switch the
// lamp counts as off: nothing is known, and counting nothing never overstates the
// LED's wear. Repeated switches with the same `on` (a colour change while lit)
// change nothing. Switches after `now` are ignored. A day is [local midnight,
// next local midnight) in a fixed UTC offset, so an interval across midnight is
// split between the two days. Pure; never throws.
#pragma once

#include <cstdint>
#include <vector>

namespace lampi::cloud::analytics {

struct LampSwitch {
    std::int64_t at_ms = 0;
    bool on = false;
};

struct DayOnHours {
    std::int64_t start_ms = 0;  // local midnight
    double hours = 0;
};

struct OnHours {
    std::vector<DayOnHours> days;  // `day_count` days, oldest first, the last one holding `now`
    double total_hours = 0;        // from the first switch to now
};

// `switches` oldest first (equal times keep their order).
OnHours on_hours(const std::vector<LampSwitch>& switches, std::int64_t now_ms, int day_count, int offset_seconds);

}  // namespace lampi::cloud::analytics
