#include "lampi/utc_time.h"

#include <ctime>

namespace lampi {

std::string utc_iso8601(std::int64_t unix_seconds) {
    auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return {text, length};
}

}  // namespace lampi
