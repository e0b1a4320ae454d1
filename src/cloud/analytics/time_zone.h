// The time zone of an analytics query (Keen's `timezone`): a fixed UTC offset
// or an IANA name such as "Europe/Berlin" or "US/Pacific", whose offset follows
// daylight saving time. The IANA database is the system's (Debian's tzdata),
// read by Howard Hinnant's date/tz, which only time_zone.cpp includes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::cloud::analytics {

class TimeZone {
public:
    // A fixed offset, in seconds east of UTC (0: UTC). Implicit: an offset is a zone.
    TimeZone(int offset_seconds = 0) : fixed_offset_(offset_seconds) {}  // NOLINT(google-explicit-constructor)
    // nullopt when the system's database does not know `name`.
    static std::optional<TimeZone> named(std::string_view name);

    // Seconds east of UTC in effect at the instant `ms` (Unix milliseconds).
    int offset_at(std::int64_t ms) const;
    // The instant at which the local wall time `local_ms` (milliseconds since
    // 1970-01-01T00:00 local) happens: the first of a time the clocks repeat,
    // and the moment of the jump for a time they skip.
    std::int64_t to_utc(std::int64_t local_ms) const;
    // Whether the offset is the same throughout [from_ms, to_ms).
    bool fixed_between(std::int64_t from_ms, std::int64_t to_ms) const;

    std::string name() const;

private:
    int fixed_offset_ = 0;
    const void* zone_ = nullptr;  // a date::time_zone from the database, which outlives every query
};

}  // namespace lampi::cloud::analytics
