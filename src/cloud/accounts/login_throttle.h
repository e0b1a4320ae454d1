// LoginThrottle: limits password guessing without letting an attacker lock
// anybody else out.
//
// Failures are counted in the database (tables login_throttle and
// rate_counters), so every lampi-cloud process on the same database enforces the
// same limits. Policy:
//   - per (username, client address): `account_limit` failures within
//     `window_seconds` lock that pair, for base * 2^(earlier locks) up to
//     `max_lock_seconds`. Only that address is locked out of that account: the
//     account's owner, from any other address, is never slowed by it.
//   - per client address: `address_limit` failures (on any usernames) lock the
//     address, growing the same way: one address cannot spray many accounts.
//   - per account, across all addresses (a botnet): beyond
//     `account_ceiling` failures in a window, the account is not locked but
//     slowed: addresses that never logged into it successfully share one
//     attempt per `slow_seconds`; addresses that did (within `known_seconds`)
//     are not slowed at all.
//   - Only the pair's own success resets its count: a success clears the
//     (username, address) counter it came from and nothing else, so an owner
//     logging in never resets an attacker's count elsewhere, and an attacker can
//     reset only the counter of a pair whose password it already has.
//   - Only failures count (a benchmark's thousands of good logins from one
//     address never lock it). Unknown usernames are counted exactly like real
//     ones, so a lock reveals nothing about which accounts exist.
// While locked, even the right password is refused: otherwise the lock would only
// slow a guesser down until the right guess.
// Thread-safe (all state is in the Store).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "accounts/rate_limit.h"
#include "clock.h"
#include "storage/store.h"

namespace lampi::cloud::accounts {

struct ThrottleOptions {
    std::int64_t account_limit = 5;  // per (username, address)
    std::int64_t address_limit = 20;
    std::int64_t account_ceiling = 100;  // per username, all addresses, per window
    std::int64_t slow_seconds = 15;
    std::int64_t known_seconds = 30 * 24 * 3600;
    std::int64_t window_seconds = 15 * 60;
    std::int64_t account_lock_seconds = 60;
    std::int64_t address_lock_seconds = 5 * 60;
    std::int64_t max_lock_seconds = 60 * 60;
    std::int64_t forget_seconds = 24 * 3600;
};

class LoginThrottle {
public:
    LoginThrottle(storage::Store& store, ThrottleOptions options, Clock clock);

    // Seconds until `username` may be tried from `address` again; 0 when a login
    // may be attempted now. An empty address (the broker's calls) is one address.
    Result<std::int64_t> retry_after(std::string_view username, std::string_view address);
    // Records a wrong password (or unknown user); returns the seconds until the
    // next try when this failure started a lock, else 0.
    Result<std::int64_t> failed(std::string_view username, std::string_view address);
    // Clears this (username, address) counter only, and remembers the address as
    // one the account logs in from.
    Status succeeded(std::string_view username, std::string_view address);

    const ThrottleOptions& options() const { return options_; }

private:
    Result<std::int64_t> count(const std::string& scope, const std::string& subject, std::int64_t limit,
                               std::int64_t base_lock, std::int64_t now);

    storage::Store& store_;
    ThrottleOptions options_;
    Clock clock_;
    RateLimiter rates_;
};

// The key an address is counted under: IPv4 as is, IPv6 by its /64 (one host
// usually holds a whole /64, so counting single IPv6 addresses would count
// nothing), IPv4-mapped IPv6 as the IPv4 address.
std::string throttle_address_key(std::string_view address);

// "Too many failed attempts; try again in 3 minutes." (rounded up to minutes)
std::string throttle_message(std::int64_t retry_after_seconds);

}  // namespace lampi::cloud::accounts
