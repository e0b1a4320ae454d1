// RateLimiter: fixed-window event limits kept in the database.
//
// Every lampi-cloud process on one database shares the counters (table
// rate_counters), so running more processes never raises a limit. A rule names
// its scope, how many events a window allows and how long a window lasts; the
// subject is what is counted (an address key, a user id, "all").
//   take()    counts one event and says whether it was over the limit: for
//             attempts that cost us something whether or not they succeed
//             (sign-ups, password checks, code announcements);
//   blocked() only looks: for limits on failures, checked before the attempt
//             and counted with hit() after it failed (wrong codes).
// Answers are "seconds until the window ends" (> 0: refused), or a Status when the
// database fails (callers then refuse: a limit that fails open is no limit).
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "clock.h"
#include "storage/store.h"

namespace lampi::cloud::accounts {

struct RateRule {
    std::string scope;
    std::int64_t limit = 0;           // events allowed per window
    std::int64_t window_seconds = 60;
};

class RateLimiter {
public:
    RateLimiter(storage::Store& store, Clock clock);

    Result<std::int64_t> take(const RateRule& rule, std::string_view subject);
    Result<std::int64_t> blocked(const RateRule& rule, std::string_view subject);
    Status hit(const RateRule& rule, std::string_view subject);
    Status clear(const RateRule& rule, std::string_view subject);

private:
    storage::Store& store_;
    Clock clock_;
};

}  // namespace lampi::cloud::accounts
