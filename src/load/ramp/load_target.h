// LoadTarget: how many users (web users, or publishing clients) a run wants now,
// and how fast it gets there. The ramp (--step-users) and the web UI (--web)
// write it from the reporter or the UI thread; each worker's driver reads it on
// every tick and starts or stops its share of the users. Thread-safe: a reader
// takes a mutex only when generation() says the plan changed.
//
// User k of the run (counting from 0) lives on worker k mod workers, as when the
// number is fixed, so a fixed target behaves exactly as before: user k starts
// k / rate seconds after the run started.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "ramp/user_numbers.h"

namespace lampi::load {

class LoadTarget {
public:
    struct Plan {
        int users = 0;              // wanted
        double rate = 0;            // users started per second over the run; <= 0: all at once
        std::int64_t since_ns = 0;  // monotonic time of the change; 0: when the run starts
        int from = 0;               // users already due at that moment
        std::uint64_t generation = 0;
        // Set by a controller that moves users between workers; none: from --first-user on.
        std::shared_ptr<const UserNumbers> numbers;

        // Users due at monotonic `now` (`start_ns` stands for since_ns == 0): `from`,
        // then one more every 1/rate s up to `users`; fewer users are due at once.
        int due(std::int64_t now, std::int64_t start_ns) const;
    };

    LoadTarget(int users, double rate) {
        plan_.users = users;
        plan_.rate = rate;
    }

    // Before the run starts: the plan as if given to the constructor (user 0 at
    // once, user k at k / rate s), so nobody counts as started yet.
    void reset(int users, double rate);
    // From now on, go to `users` at `rate` per second. `now`/`start_ns` as in Plan::due.
    void set(int users, double rate, std::int64_t now, std::int64_t start_ns);
    // The same, the users numbered by `numbers` from now on (users running keep theirs).
    void set(int users, double rate, std::int64_t now, std::int64_t start_ns, UserNumbers numbers);
    Plan plan() const;
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
    void set_locked(int users, double rate, std::int64_t now, std::int64_t start_ns);

    mutable std::mutex mutex_;
    Plan plan_;
    std::atomic<std::uint64_t> generation_{0};
};

// Of `total` users numbered from 0, how many fall on `worker` of `workers`
// (user k on worker k mod workers).
inline int share_of(int total, int worker, int workers) {
    return total > worker ? (total - worker + workers - 1) / workers : 0;
}

}  // namespace lampi::load
