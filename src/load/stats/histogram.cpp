#include "stats/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace lampi::load {

int Histogram::index_of(std::int64_t value) {
    auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0));
    if (v < 2 * kHalf) return static_cast<int>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - (kSubBits - 1);
    return shift * kHalf + static_cast<int>(v >> shift);
}

std::int64_t Histogram::representative(int index) {
    if (index < 2 * kHalf) return index;
    int shift = index / kHalf - 1;
    std::int64_t low = static_cast<std::int64_t>(index - shift * kHalf) << shift;
    // The middle of the bucket halves the worst-case error.
    return low + ((std::int64_t{1} << shift) >> 1);
}

void Histogram::record(std::int64_t value) {
    value = std::max<std::int64_t>(value, 0);
    ++buckets_[static_cast<std::size_t>(index_of(value))];
    if (count_ == 0 || value < min_) min_ = value;
    if (count_ == 0 || value > max_) max_ = value;
    ++count_;
    auto v = static_cast<double>(value);
    sum_ += v;
    sum_squares_ += v * v;
}

void Histogram::merge(const Histogram& other) {
    if (other.count_ == 0) return;
    for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
    min_ = count_ ? std::min(min_, other.min_) : other.min_;
    max_ = count_ ? std::max(max_, other.max_) : other.max_;
    count_ += other.count_;
    sum_ += other.sum_;
    sum_squares_ += other.sum_squares_;
}

void Histogram::reset() { *this = Histogram(); }

Histogram Histogram::since(const Histogram& earlier) const {
    Histogram gained;
    int lowest = -1, highest = -1;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        if (buckets_[i] <= earlier.buckets_[i]) continue;
        gained.buckets_[i] = buckets_[i] - earlier.buckets_[i];
        gained.count_ += gained.buckets_[i];
        if (lowest < 0) lowest = static_cast<int>(i);
        highest = static_cast<int>(i);
    }
    if (gained.count_ == 0) return {};
    gained.sum_ = std::max(0.0, sum_ - earlier.sum_);
    gained.sum_squares_ = std::max(0.0, sum_squares_ - earlier.sum_squares_);
    const bool new_min = earlier.count_ == 0 || min_ < earlier.min_;
    const bool new_max = earlier.count_ == 0 || max_ > earlier.max_;
    gained.min_ = new_min && index_of(min_) == lowest ? min_ : std::clamp(representative(lowest), min_, max_);
    gained.max_ = new_max && index_of(max_) == highest ? max_ : std::clamp(representative(highest), min_, max_);
    return gained;
}

double Histogram::mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

double Histogram::stddev() const {
    if (count_ == 0) return 0.0;
    double m = mean();
    double variance = sum_squares_ / static_cast<double>(count_) - m * m;
    return variance > 0 ? std::sqrt(variance) : 0.0;
}

std::int64_t Histogram::percentile(double quantile) const {
    if (count_ == 0) return 0;
    quantile = std::clamp(quantile, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(quantile * static_cast<double>(count_)));
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        seen += buckets_[i];
        if (seen >= rank) return std::clamp(representative(static_cast<int>(i)), min_, max_);
    }
    return max_;
}

Histogram::Parts Histogram::parts() const {
    Parts p;
    for (std::size_t i = 0; i < buckets_.size(); ++i)
        if (buckets_[i] != 0) p.buckets.emplace_back(static_cast<int>(i), buckets_[i]);
    p.count = count_;
    p.min = min_;
    p.max = max_;
    p.sum = sum_;
    p.sum_squares = sum_squares_;
    return p;
}

Result<Histogram> Histogram::from_parts(const Parts& parts) {
    Histogram h;
    std::uint64_t total = 0;
    for (auto [index, n] : parts.buckets) {
        if (index < 0 || index >= kBuckets) return Status::invalid_argument("a histogram bucket out of range");
        h.buckets_[static_cast<std::size_t>(index)] += n;
        total += n;
    }
    if (total != parts.count || parts.min > parts.max)
        return Status::invalid_argument("a histogram whose buckets do not add up to its count");
    // The sums of `count` values between min and max lie within these bounds (with
    // room for the rounding of a long run's additions).
    const auto n = static_cast<double>(parts.count);
    const auto lo = static_cast<double>(parts.min);
    const auto hi = static_cast<double>(parts.max);
    const double largest_square = std::max(lo * lo, hi * hi);
    auto within = [](double value, double low, double high) {
        const double slack = 1e-6 * std::max(std::fabs(low), std::fabs(high));
        return value >= low - slack && value <= high + slack;
    };
    if (!std::isfinite(parts.sum) || !std::isfinite(parts.sum_squares) ||
        !within(parts.sum, parts.count ? n * lo : 0, parts.count ? n * hi : 0) ||
        !within(parts.sum_squares, 0, n * largest_square))
        return Status::invalid_argument("a histogram whose sums no values between its min and max could make");
    h.count_ = parts.count;
    h.min_ = parts.min;
    h.max_ = parts.max;
    h.sum_ = parts.sum;
    h.sum_squares_ = parts.sum_squares;
    return h;
}

}  // namespace lampi::load
