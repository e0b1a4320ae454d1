#include "scenario/sequence_tracker.h"

#include <algorithm>

namespace lampi::load {

void SequenceTracker::see(std::uint64_t seq, std::uint64_t total) {
    total_ = std::max(total_, total);
    if (seq >= kMaxTracked) return;
    if (seq >= seen_.size()) seen_.resize(std::max<std::uint64_t>(seq + 1, seen_.size() * 2), false);
    if (seen_[seq]) {
        ++duplicates_;
        return;
    }
    seen_[seq] = true;
    ++distinct_;
    if (any_ && seq < highest_) ++reordered_;
    if (!any_ || seq > highest_) highest_ = seq;
    any_ = true;
}

std::uint64_t SequenceTracker::lost() const {
    if (!any_ && total_ == 0) return 0;
    std::uint64_t expected = total_ > 0 ? total_ : highest_ + 1;
    expected = std::min(expected, kMaxTracked);
    return expected > distinct_ ? expected - distinct_ : 0;
}

}  // namespace lampi::load
