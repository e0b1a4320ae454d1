#include "accounts/login_throttle.h"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "lampi/log.h"

namespace lampi::cloud::accounts {
namespace {

constexpr const char* kPairScope = "pair";
constexpr const char* kAddressScope = "addr";

std::string address_key(std::string_view address) {
    return address.empty() ? std::string("-") : throttle_address_key(address);
}

std::string pair_key(std::string_view username, std::string_view address) {
    // '\n' never occurs in a username or an address key.
    return std::string(username) + "\n" + address_key(address);
}

std::int64_t lock_length(std::int64_t base, std::int64_t earlier_locks, std::int64_t max) {
    std::int64_t length = base;
    for (std::int64_t i = 0; i < earlier_locks && length < max; ++i) length *= 2;
    return std::min(length, max);
}

}  // namespace

LoginThrottle::LoginThrottle(storage::Store& store, ThrottleOptions options, Clock clock)
    : store_(store), options_(options), clock_(clock), rates_(store, clock) {}

Result<std::int64_t> LoginThrottle::retry_after(std::string_view username, std::string_view address) {
    std::int64_t now = clock_();
    std::vector<std::pair<std::string, std::string>> keys{{kPairScope, pair_key(username, address)}};
    if (!address.empty()) keys.emplace_back(kAddressScope, address_key(address));
    auto until = store_.throttle_locked_until(keys, now);
    if (!until) return until.status();
    if (*until > now) return *until - now;
    // An account under attack from many addresses: slow, not locked, and never
    // for the addresses it is used from.
    RateRule failures{"acct-fail", options_.account_ceiling, options_.window_seconds};
    auto over = rates_.blocked(failures, username);
    if (!over) return over.status();
    if (*over == 0) return std::int64_t{0};
    auto known = store_.rate_peek("known", pair_key(username, address), now, options_.known_seconds);
    if (!known) return known.status();
    if (known->hits > 0) return std::int64_t{0};
    return rates_.take(RateRule{"acct-slow", 1, options_.slow_seconds}, username);
}

Result<std::int64_t> LoginThrottle::count(const std::string& scope, const std::string& subject, std::int64_t limit,
                                          std::int64_t base_lock, std::int64_t now) {
    auto counted = store_.throttle_failure(scope, subject, now, now - options_.window_seconds,
                                           now - options_.forget_seconds);
    if (!counted) return counted.status();
    if (counted->failures < limit) return std::int64_t{0};
    std::int64_t length = lock_length(base_lock, counted->lockouts, options_.max_lock_seconds);
    auto locked = store_.throttle_lock(scope, subject, now, now + length);
    if (!locked) return locked.status();
    if (!*locked) return std::int64_t{0};
    // The subject is a username or address, never a secret; still, only the
    // scope and length are worth an operator's attention.
    log::warn("login throttle: {} locked for {} s after {} failures", scope == kPairScope ? "an account from one address" : "an address",
              length, counted->failures);
    return length;
}

Result<std::int64_t> LoginThrottle::failed(std::string_view username, std::string_view address) {
    std::int64_t now = clock_();
    auto pair_lock = count(kPairScope, pair_key(username, address), options_.account_limit,
                           options_.account_lock_seconds, now);
    if (!pair_lock) return pair_lock.status();
    std::int64_t lock = *pair_lock;
    if (!address.empty()) {
        auto address_lock = count(kAddressScope, address_key(address), options_.address_limit,
                                  options_.address_lock_seconds, now);
        if (!address_lock) return address_lock.status();
        lock = std::max(lock, *address_lock);
    }
    if (Status s = rates_.hit(RateRule{"acct-fail", options_.account_ceiling, options_.window_seconds}, username); !s)
        return s;
    return lock;
}

Status LoginThrottle::succeeded(std::string_view username, std::string_view address) {
    if (Status s = store_.throttle_clear(kPairScope, pair_key(username, address)); !s) return s;
    auto known = store_.rate_hit("known", pair_key(username, address), clock_(), options_.known_seconds);
    return known ? Status::ok() : known.status();
}

std::string throttle_address_key(std::string_view address) {
    std::string text(address);
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
        static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        char out[INET6_ADDRSTRLEN];
        if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
            inet_ntop(AF_INET, bytes + 12, out, sizeof out);
            return out;
        }
        std::memset(bytes + 8, 0, 8);
        inet_ntop(AF_INET6, bytes, out, sizeof out);
        return std::string(out) + "/64";
    }
    return text;
}

std::string throttle_message(std::int64_t retry_after_seconds) {
    std::int64_t minutes = std::max<std::int64_t>(1, (retry_after_seconds + 59) / 60);
    return fmt::format("Too many failed attempts; try again in {} minute{}.", minutes, minutes == 1 ? "" : "s");
}

}  // namespace lampi::cloud::accounts
