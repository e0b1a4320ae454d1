// WriteLimiter: how fast each write key may store events, a token bucket per key.
//
// Contract: a key's bucket holds up to `burst` events and refills at
// `events_per_second`. A write is let through while its key's bucket is not
// empty, and then takes all of its events, going into debt when the batch is
// larger than what is left: the key's next write waits until the debt is
// repaid. So a key stores at most `burst` plus one request body's events at
// once and `events_per_second` over time, and no batch is refused only for
// being larger than the bucket (a body is bounded by --body-limit anyway).
// The buckets live in this process: N lampi-cloud processes behind one proxy
// let a key write N times the rate. Times come from the caller (Unix ms, the
// analytics clock) and a clock going back refills nothing. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lampi::cloud::analytics {

struct WriteLimit {
    double events_per_second = 10'000;  // zero or less: no limit
    double burst = 20'000;              // events a rested key may write at once
};

class WriteLimiter {
public:
    explicit WriteLimiter(WriteLimit limit) : limit_(limit) {}

    const WriteLimit& limit() const { return limit_; }

    // 0 when `key` may write `events` now (they are taken from its bucket);
    // else the whole seconds (at least 1) until it may write again, and nothing is taken.
    std::int64_t take(std::string_view key, std::int64_t events, std::int64_t now_ms);

    // Keys whose buckets are kept (GET /metrics): only keys that wrote, so the
    // caller must take() only for keys it has checked.
    std::size_t buckets() const;

private:
    struct Bucket {
        double tokens = 0;
        std::int64_t at_ms = 0;
    };
    void refill(Bucket& bucket, std::int64_t now_ms) const;
    void forget_rested_buckets(std::int64_t now_ms);

    WriteLimit limit_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace lampi::cloud::analytics
