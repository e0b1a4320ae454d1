// Times as people and programs read them, in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace lampi {

// Unix seconds as ISO 8601 in UTC, to the second: "2026-11-30T16:40:05Z".
std::string utc_iso8601(std::int64_t unix_seconds);

}  // namespace lampi
