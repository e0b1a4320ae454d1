#include "stats/metrics.h"

namespace lampi::load {

void Metrics::error(const std::string& reason) {
    add(Counter::errors);
    std::lock_guard lock(mutex_);
    ++reasons_[reason];
}

void Metrics::drain_latencies(std::array<Histogram, static_cast<std::size_t>(Latency::count_)>& into) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < recent_.size(); ++i) {
        into[i].merge(recent_[i]);
        recent_[i].reset();
    }
}

std::map<std::string, std::uint64_t> Metrics::error_reasons() const {
    std::lock_guard lock(mutex_);
    return reasons_;
}

}  // namespace lampi::load
