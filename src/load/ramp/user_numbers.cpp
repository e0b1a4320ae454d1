#include "ramp/user_numbers.h"

namespace lampi::load {

UserNumbers::UserNumbers(const std::vector<UserNumberRange>& ranges) {
    for (const UserNumberRange& r : ranges) {
        if (r.count == 0) continue;
        if (!ranges_.empty() && ranges_.back().first + ranges_.back().count == r.first) ranges_.back().count += r.count;
        else ranges_.push_back(r);
    }
    if (ranges_.empty()) ranges_.push_back({0, 0});
}

UserNumbers UserNumbers::of(const std::vector<std::uint64_t>& numbers) {
    std::vector<UserNumberRange> ranges;
    for (std::uint64_t n : numbers) ranges.push_back({n, 1});
    return UserNumbers(ranges);
}

std::uint64_t UserNumbers::number_of(std::uint64_t slot) const {
    for (const UserNumberRange& r : ranges_) {
        if (slot < r.count) return r.first + slot;
        slot -= r.count;
    }
    const UserNumberRange& last = ranges_.back();
    return last.first + last.count + slot;
}

std::vector<std::uint64_t> UserNumbers::first(std::size_t count) const {
    std::vector<std::uint64_t> numbers;
    numbers.reserve(count);
    for (std::uint64_t slot = 0; slot < count; ++slot) numbers.push_back(number_of(slot));
    return numbers;
}

}  // namespace lampi::load
