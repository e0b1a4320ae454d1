// UserNumbers: the numbers a process gives its web users ({n} in a login,
// user.number in a scenario). Its k-th user slot (counting from 0, in the order
// users start; a slot freed by a lower target is taken again by the next user)
// has the k-th number of its ranges, and past them the numbers that follow the
// last. One process numbers from --first-user on; a controller that moves users
// between workers gives each the ranges it runs, so that no two users of the
// run share a number (cluster/share.h).
#pragma once

#include <cstdint>
#include <vector>

namespace lampi::load {

struct UserNumberRange {
    std::uint64_t first = 0;
    std::uint64_t count = 0;
    bool operator==(const UserNumberRange&) const = default;
};

class UserNumbers {
public:
    explicit UserNumbers(std::uint64_t first = 0) : ranges_{{first, 0}} {}
    // The ranges in order; empty ones are dropped, consecutive ones joined.
    explicit UserNumbers(const std::vector<UserNumberRange>& ranges);
    // `numbers` in their order, as ranges of consecutive numbers.
    static UserNumbers of(const std::vector<std::uint64_t>& numbers);

    std::uint64_t number_of(std::uint64_t slot) const;
    // The numbers of the first `count` slots.
    std::vector<std::uint64_t> first(std::size_t count) const;
    const std::vector<UserNumberRange>& ranges() const { return ranges_; }
    bool operator==(const UserNumbers&) const = default;

private:
    std::vector<UserNumberRange> ranges_;  // never empty: the last one goes on past its count
};

}  // namespace lampi::load
