// Histogram: a log-bucketed latency histogram in the style of HdrHistogram.
//
// Values are non-negative integers (nanoseconds by convention). Each power of two
// is split into 64 linear buckets, so any reported percentile is within 1/64
// (1.6 %) of the true value while the whole range up to 2^62 fits in a fixed
// 30 KB array: recording is one index computation and an increment, and two
// histograms merge by adding arrays, which is what lets every worker thread keep
// its own and a reporter combine them. Count, mean, standard deviation, min and
// max are kept exactly. Not thread-safe: callers own the locking.
#pragma once

#include <array>
#include <cstdint>

namespace lampi::load {

class Histogram {
public:
    void record(std::int64_t value);
    void merge(const Histogram& other);
    void reset();

    std::uint64_t count() const { return count_; }
    std::int64_t min() const { return count_ ? min_ : 0; }
    std::int64_t max() const { return count_ ? max_ : 0; }
    double mean() const;
    // Population standard deviation, as mqtt-malaria reports it.
    double stddev() const;
    // The value below which `quantile` (0..1) of the recorded values fall.
    std::int64_t percentile(double quantile) const;

private:
    static constexpr int kSubBits = 7;
    static constexpr int kHalf = 1 << (kSubBits - 1);
    static constexpr int kBuckets = (63 - kSubBits + 2) * kHalf;

    static int index_of(std::int64_t value);
    static std::int64_t representative(int index);

    std::array<std::uint64_t, kBuckets> buckets_{};
    std::uint64_t count_ = 0;
    std::int64_t min_ = 0;
    std::int64_t max_ = 0;
    double sum_ = 0;
    double sum_squares_ = 0;
};

}  // namespace lampi::load
