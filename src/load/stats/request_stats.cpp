#include "stats/request_stats.h"

#include <chrono>

namespace lampi::load {

void RequestEntry::merge(const RequestEntry& other) {
    times.merge(other.times);
    requests += other.requests;
    failures += other.failures;
    content_bytes += other.content_bytes;
}

RequestEntry RequestTable::total() const {
    RequestEntry sum;
    for (const auto& [key, entry] : entries) sum.merge(entry);
    return sum;
}

void RequestTable::merge(const RequestTable& other) {
    for (const auto& [key, entry] : other.entries) entries[key].merge(entry);
    for (const auto& [key, n] : other.failures) failures[key] += n;
    last_request_s = std::max(last_request_s, other.last_request_s);
}

void RequestStats::record(const std::string& method, const std::string& name, std::int64_t nanoseconds,
                          std::uint64_t content_bytes, const std::string& failure) {
    double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard lock(mutex_);
    RequestEntry& entry = table_.entries[{method, name}];
    entry.times.record(nanoseconds);
    ++entry.requests;
    entry.content_bytes += content_bytes;
    if (!failure.empty()) {
        ++entry.failures;
        ++table_.failures[{method, name, failure}];
    }
    table_.last_request_s = now;
}

RequestTable RequestStats::snapshot() const {
    std::lock_guard lock(mutex_);
    return table_;
}

}  // namespace lampi::load
