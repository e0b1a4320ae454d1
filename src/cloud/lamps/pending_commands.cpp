#include "lamps/pending_commands.h"

#include <algorithm>

namespace lampi::cloud::lamps {

void PendingCommands::add(const std::string& device_id, std::int64_t sent_at_ms, std::string payload) {
    std::lock_guard lock(mutex_);
    auto& entries = by_lamp_[device_id];
    entries.push_back({sent_at_ms, std::move(payload)});
    while (entries.size() > options_.per_lamp) entries.pop_front();
}

void PendingCommands::forget(const std::string& device_id, std::int64_t sent_at_ms, const std::string& payload) {
    std::lock_guard lock(mutex_);
    auto it = by_lamp_.find(device_id);
    if (it == by_lamp_.end()) return;
    auto& entries = it->second;
    auto found = std::find_if(entries.begin(), entries.end(),
                              [&](const Entry& e) { return e.sent_at_ms == sent_at_ms && e.payload == payload; });
    if (found != entries.end()) entries.erase(found);
    if (entries.empty()) by_lamp_.erase(it);
}

void PendingCommands::confirm(const std::string& device_id, std::int64_t changed_at_ms) {
    std::lock_guard lock(mutex_);
    auto it = by_lamp_.find(device_id);
    if (it == by_lamp_.end()) return;
    std::erase_if(it->second, [&](const Entry& e) { return e.sent_at_ms <= changed_at_ms; });
    if (it->second.empty()) by_lamp_.erase(it);
}

void PendingCommands::expire(std::deque<Entry>& entries, std::int64_t now_ms) const {
    std::erase_if(entries, [&](const Entry& e) { return now_ms - e.sent_at_ms > options_.max_age_ms; });
}

std::vector<std::string> PendingCommands::of_lamp(const std::string& device_id, std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> payloads;
    auto it = by_lamp_.find(device_id);
    if (it == by_lamp_.end()) return payloads;
    expire(it->second, now_ms);
    for (const Entry& e : it->second) payloads.push_back(e.payload);
    if (it->second.empty()) by_lamp_.erase(it);
    return payloads;
}

std::vector<std::pair<std::string, std::string>> PendingCommands::all(std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::string>> commands;
    for (auto it = by_lamp_.begin(); it != by_lamp_.end();) {
        expire(it->second, now_ms);
        for (const Entry& e : it->second) commands.emplace_back(it->first, e.payload);
        it = it->second.empty() ? by_lamp_.erase(it) : std::next(it);
    }
    return commands;
}

std::size_t PendingCommands::size() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [id, entries] : by_lamp_) n += entries.size();
    return n;
}

}  // namespace lampi::cloud::lamps
