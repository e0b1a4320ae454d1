// LoginThrottle: limits password guessing per account and per client address.
//
// Failures are counted in the database (table login_throttle), so every
// lampi-cloud process on the same database enforces the same limits. Policy:
//   - `account_limit` failures for one username within `window_seconds` lock that
//     username; `address_limit` failures from one client address lock the address.
//   - Each lock lasts base * 2^(earlier locks), up to `max_lock_seconds`; a counter
//     untouched for `forget_seconds` starts over.
//   - Only failures count: any number of successful logins from one address (a
//     benchmark, an office behind one NAT) never locks it.
//   - A successful login clears its username's counter, not its address's (or one
//     valid account would let an attacker reset the address limit at will).
//   - Unknown usernames are counted and locked exactly like real ones, so a lock
//     reveals nothing about which accounts exist.
// While locked, even the right password is refused: otherwise the lock would only
// slow a guesser down until the right guess.
// Thread-safe (all state is in the Store).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "clock.h"
#include "storage/store.h"

namespace lampi::cloud::accounts {

struct ThrottleOptions {
    std::int64_t account_limit = 5;
    std::int64_t address_limit = 20;
    std::int64_t window_seconds = 15 * 60;
    std::int64_t account_lock_seconds = 60;
    std::int64_t address_lock_seconds = 5 * 60;
    std::int64_t max_lock_seconds = 60 * 60;
    std::int64_t forget_seconds = 24 * 3600;
};

class LoginThrottle {
public:
    LoginThrottle(storage::Store& store, ThrottleOptions options, Clock clock);

    // Seconds until `username` (and `address`, unless empty) may try again; 0 when
    // a login may be attempted now.
    Result<std::int64_t> retry_after(std::string_view username, std::string_view address);
    // Records a wrong password (or unknown user); returns the seconds until the
    // next try when this failure started a lock, else 0.
    Result<std::int64_t> failed(std::string_view username, std::string_view address);
    Status succeeded(std::string_view username);

    const ThrottleOptions& options() const { return options_; }

private:
    Result<std::int64_t> count(const std::string& scope, const std::string& subject, std::int64_t limit,
                               std::int64_t base_lock, std::int64_t now);

    storage::Store& store_;
    ThrottleOptions options_;
    Clock clock_;
};

// The key an address is counted under: IPv4 as is, IPv6 by its /64 (one host
// usually holds a whole /64, so counting single IPv6 addresses would count
// nothing), IPv4-mapped IPv6 as the IPv4 address.
std::string throttle_address_key(std::string_view address);

// "Too many failed attempts; try again in 3 minutes." (rounded up to minutes)
std::string throttle_message(std::int64_t retry_after_seconds);

}  // namespace lampi::cloud::accounts
