#include "analytics/time_zone.h"

#include <date/tz.h>
#include <fmt/core.h>

#include <chrono>
#include <stdexcept>

namespace lampi::cloud::analytics {
namespace {

using Milliseconds = std::chrono::milliseconds;

const date::time_zone* zone_of(const void* zone) { return static_cast<const date::time_zone*>(zone); }

date::sys_info info_at(const date::time_zone* zone, std::int64_t ms) {
    return zone->get_info(date::sys_time<Milliseconds>(Milliseconds(ms)));
}

}  // namespace

std::optional<TimeZone> TimeZone::named(std::string_view name) {
    if (name.empty() || name.size() > 64) return std::nullopt;
    try {
        TimeZone zone;
        zone.zone_ = date::locate_zone(name);
        return zone;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

int TimeZone::offset_at(std::int64_t ms) const {
    if (!zone_) return fixed_offset_;
    return static_cast<int>(info_at(zone_of(zone_), ms).offset.count());
}

std::int64_t TimeZone::to_utc(std::int64_t local_ms) const {
    if (!zone_) return local_ms - fixed_offset_ * 1000LL;
    const date::local_time<Milliseconds> local{Milliseconds(local_ms)};
    return zone_of(zone_)->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

bool TimeZone::fixed_between(std::int64_t from_ms, std::int64_t to_ms) const {
    if (!zone_ || from_ms >= to_ms) return true;
    const date::sys_info first = info_at(zone_of(zone_), from_ms);
    return std::chrono::duration_cast<Milliseconds>(first.end.time_since_epoch()).count() >= to_ms;
}

std::string TimeZone::name() const {
    if (zone_) return std::string(zone_of(zone_)->name());
    if (fixed_offset_ == 0) return "UTC";
    int a = fixed_offset_ < 0 ? -fixed_offset_ : fixed_offset_;
    return fmt::format("UTC{}{:02}:{:02}", fixed_offset_ < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
}

}  // namespace lampi::cloud::analytics
