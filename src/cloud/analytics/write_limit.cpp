#include "analytics/write_limit.h"

#include <algorithm>
#include <cmath>

namespace lampi::cloud::analytics {
namespace {

// Past this many keys, the buckets of keys at rest (full again) are dropped: a
// full bucket is what a key never seen gets, so forgetting it changes nothing.
constexpr std::size_t kBucketsBeforePruning = 4096;

}  // namespace

void WriteLimiter::refill(Bucket& bucket, std::int64_t now_ms) const {
    if (now_ms > bucket.at_ms) {
        double seconds = static_cast<double>(now_ms - bucket.at_ms) / 1000.0;
        bucket.tokens = std::min(limit_.burst, bucket.tokens + seconds * limit_.events_per_second);
    }
    bucket.at_ms = std::max(bucket.at_ms, now_ms);
}

void WriteLimiter::forget_rested_buckets(std::int64_t now_ms) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        refill(it->second, now_ms);
        if (it->second.tokens >= limit_.burst) it = buckets_.erase(it);
        else ++it;
    }
}

std::int64_t WriteLimiter::take(std::string_view key, std::int64_t events, std::int64_t now_ms) {
    if (limit_.events_per_second <= 0) return 0;
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= kBucketsBeforePruning) forget_rested_buckets(now_ms);
    auto [it, fresh] = buckets_.try_emplace(std::string(key), Bucket{limit_.burst, now_ms});
    Bucket& bucket = it->second;
    if (!fresh) refill(bucket, now_ms);
    if (bucket.tokens <= 0) {
        // Until the bucket holds at least one event again.
        double wait = (1.0 - bucket.tokens) / limit_.events_per_second;
        return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait)));
    }
    bucket.tokens -= static_cast<double>(events);
    return 0;
}

std::size_t WriteLimiter::buckets() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

}  // namespace lampi::cloud::analytics
