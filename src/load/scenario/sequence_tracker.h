// SequenceTracker: loss, duplicates and reordering in one stream of numbered
// messages (one publisher as seen by one subscriber).
#pragma once

#include <cstdint>
#include <vector>

namespace lampi::load {

class SequenceTracker {
public:
    // `total` is the publisher's announced count (0: unknown).
    void see(std::uint64_t seq, std::uint64_t total);

    std::uint64_t distinct() const { return distinct_; }
    std::uint64_t duplicates() const { return duplicates_; }
    std::uint64_t reordered() const { return reordered_; }
    // Numbers never seen, from 0 up to the announced total (or the highest seen).
    std::uint64_t lost() const;

private:
    static constexpr std::uint64_t kMaxTracked = 100'000'000;  // 12.5 MB of bits per stream at most

    std::vector<bool> seen_;
    std::uint64_t highest_ = 0;
    bool any_ = false;
    std::uint64_t total_ = 0;
    std::uint64_t distinct_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t reordered_ = 0;
};

}  // namespace lampi::load
