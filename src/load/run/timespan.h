// Locust's --run-time syntax ("90", "30s", "5m", "1h30m") in seconds.
#pragma once

#include <string>

namespace lampi::load {

// Seconds, or a negative number when `text` is not a time span.
double parse_timespan(const std::string& text);

}  // namespace lampi::load
