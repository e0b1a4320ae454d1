#include "pages/recent_stat.h"

namespace lampi::cloud::pages {

bool RecentStat::stat(const std::string& path, struct stat& out) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    auto it = answers_.find(path);
    if (it == answers_.end() || now - it->second.asked_at >= max_age_) {
        if (it == answers_.end() && answers_.size() >= capacity_) answers_.clear();
        Answer fresh;
        fresh.found = ::stat(path.c_str(), &fresh.st) == 0;
        fresh.asked_at = now;
        it = answers_.insert_or_assign(path, fresh).first;
    }
    if (it->second.found) out = it->second.st;
    return it->second.found;
}

void RecentStat::forget() {
    std::lock_guard lock(mutex_);
    answers_.clear();
}

}  // namespace lampi::cloud::pages
