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
#include <utility>
#include <vector>

#include "lampi/status.h"

namespace lampi::load {

class Histogram {
public:
    void record(std::int64_t value);
    void merge(const Histogram& other);
    // What was recorded after `earlier`, an older state of this same histogram:
    // the bucket counts and sums it gained (a per-second histogram from cumulative
    // ones). Its min and max are the extreme buckets' values unless the run's own
    // min or max was recorded since. Buckets that lost counts (an `earlier` that
    // is not an older state) count as gaining none.
    Histogram since(const Histogram& earlier) const;
    void reset();

    std::uint64_t count() const { return count_; }
    std::int64_t min() const { return count_ ? min_ : 0; }
    std::int64_t max() const { return count_ ? max_ : 0; }
    double mean() const;
    // Population standard deviation, as mqtt-malaria reports it.
    double stddev() const;
    // The value below which `quantile` (0..1) of the recorded values fall.
    std::int64_t percentile(double quantile) const;

    // The exact state, to send to another process (lampi-load's workers to
    // their controller): the non-empty buckets as (index, count) and the sums.
    // A histogram made from_parts() merges and answers exactly as the original.
    struct Parts {
        std::vector<std::pair<int, std::uint64_t>> buckets;
        std::uint64_t count = 0;
        std::int64_t min = 0, max = 0;
        double sum = 0, sum_squares = 0;
    };
    Parts parts() const;
    // Refuses parts no histogram could have (a bucket out of range, counts that do not add up).
    static Result<Histogram> from_parts(const Parts& parts);

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
