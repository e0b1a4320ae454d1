#include "source_failures.h"

namespace lampi::broker {

std::size_t SourceFailures::record(const std::string& source, Clock::time_point now) {
    if (counts_.size() >= max_sources_ && counts_.count(source) == 0) evict(now);
    Entry& entry = counts_[source];
    if (entry.count > 0 && now - entry.last >= window_) entry.count = 0;
    ++entry.count;
    entry.last = now;
    return entry.count;
}

bool SourceFailures::worth_logging(std::size_t count) {
    while (count >= 10 && count % 10 == 0) count /= 10;
    return count == 1;
}

void SourceFailures::evict(Clock::time_point now) {
    for (auto it = counts_.begin(); it != counts_.end();) {
        it = now - it->second.last >= window_ ? counts_.erase(it) : std::next(it);
    }
    // Still full of live sources: forget them all rather than grow without bound.
    if (counts_.size() >= max_sources_) counts_.clear();
}

}  // namespace lampi::broker
