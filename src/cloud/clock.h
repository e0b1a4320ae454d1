// The wall clock as lampi-cloud sees it: Unix seconds from a function, so tests
// can move time (session and code expiry) without sleeping.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>

namespace lampi::cloud {

using Clock = std::function<std::int64_t()>;

inline Clock system_clock() {
    return [] { return static_cast<std::int64_t>(std::time(nullptr)); };
}

}  // namespace lampi::cloud
