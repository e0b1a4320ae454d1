// Pacing: how many things (connections, messages, commands) are due by now.
//
// Both start counting at the first call and never hand out more than the rate
// allows over the elapsed time, so a slow tick catches up instead of losing work,
// but a long stall does not turn into an unbounded burst (`max_burst`).
#pragma once

#include <algorithm>
#include <cstdint>

namespace lampi::load {

class Pacer {
public:
    // `per_second` <= 0 means unpaced: take() returns `max_burst` every call.
    explicit Pacer(double per_second, std::uint64_t max_burst = 1'000'000)
        : per_second_(per_second), max_burst_(max_burst) {}

    std::uint64_t take(std::int64_t now_ns) {
        if (per_second_ <= 0) return max_burst_;
        if (start_ns_ < 0) start_ns_ = now_ns;
        auto due = static_cast<std::uint64_t>(static_cast<double>(now_ns - start_ns_) * per_second_ / 1e9) + 1;
        if (due <= issued_) return 0;
        // What the burst cap skips is not owed later.
        std::uint64_t n = std::min(due - issued_, max_burst_);
        issued_ = due;
        return n;
    }
    // Gives back tokens that could not be used this tick.
    void refund(std::uint64_t n) { issued_ -= std::min(n, issued_); }

private:
    double per_second_;
    std::uint64_t max_burst_;
    std::int64_t start_ns_ = -1;
    std::uint64_t issued_ = 0;
};

}  // namespace lampi::load
