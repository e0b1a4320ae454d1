#include "accounts/rate_limit.h"

#include <algorithm>

namespace lampi::cloud::accounts {
namespace {

std::int64_t retry_after(const storage::Store::RateWindow& w, const RateRule& rule, std::int64_t now) {
    if (w.hits <= rule.limit) return 0;
    return std::max<std::int64_t>(1, w.window_start + rule.window_seconds - now);
}

}  // namespace

RateLimiter::RateLimiter(storage::Store& store, Clock clock) : store_(store), clock_(std::move(clock)) {}

Result<std::int64_t> RateLimiter::take(const RateRule& rule, std::string_view subject) {
    std::int64_t now = clock_();
    auto w = store_.rate_hit(rule.scope, std::string(subject), now, rule.window_seconds);
    if (!w) return w.status();
    return retry_after(*w, rule, now);
}

Result<std::int64_t> RateLimiter::blocked(const RateRule& rule, std::string_view subject) {
    std::int64_t now = clock_();
    auto w = store_.rate_peek(rule.scope, std::string(subject), now, rule.window_seconds);
    if (!w) return w.status();
    // Peeking: the next event would be one more.
    storage::Store::RateWindow next = *w;
    ++next.hits;
    return retry_after(next, rule, now);
}

Status RateLimiter::hit(const RateRule& rule, std::string_view subject) {
    auto w = store_.rate_hit(rule.scope, std::string(subject), clock_(), rule.window_seconds);
    return w ? Status::ok() : w.status();
}

Status RateLimiter::clear(const RateRule& rule, std::string_view subject) {
    return store_.rate_clear(rule.scope, std::string(subject));
}

}  // namespace lampi::cloud::accounts
