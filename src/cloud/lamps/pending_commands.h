// PendingCommands: commands the cloud broker acknowledged that no lamp/changed
// has confirmed yet, kept so they can be sent again.
//
// A PUBACK from the cloud broker only means the broker holds the command in
// memory; a kill -9 of the broker before it reaches the lamp's bridge (or
// before its next autosave) loses it after the user was told 202. So the cloud
// keeps each command until the lamp reports a change at or after the command's
// sent_at, and LampService sends the rest again when the path to the lamp comes
// back: the link to the cloud broker reconnects, or the lamp comes online.
//
// Sending again is safe: lampid drops a command sent before its last applied
// change, and ignores one that changes nothing (src/lampid/README.md), so a
// command that did arrive cannot be applied twice or undo a newer change.
//
// Bounded: at most `per_lamp` commands per lamp (the oldest go first) and none
// older than `max_age_ms`; a command that changes nothing is never confirmed
// and ages out. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace lampi::cloud::lamps {

struct PendingCommandsOptions {
    std::size_t per_lamp = 32;
    // A lamp away longer than this gets what its own broker queued, not these.
    std::int64_t max_age_ms = 600'000;  // 10 minutes
};

class PendingCommands {
public:
    explicit PendingCommands(PendingCommandsOptions options = {}) : options_(options) {}

    // Before publishing, so a confirmation that beats the PUBACK back is not missed.
    void add(const std::string& device_id, std::int64_t sent_at_ms, std::string payload);
    // The publish failed: the user was told so, nothing to send again.
    void forget(const std::string& device_id, std::int64_t sent_at_ms, const std::string& payload);
    // The lamp reported a change applied at `changed_at_ms`: every command sent
    // until then has been applied, superseded or dropped as stale.
    void confirm(const std::string& device_id, std::int64_t changed_at_ms);

    // Oldest first, after dropping those older than max_age_ms at `now_ms`.
    std::vector<std::string> of_lamp(const std::string& device_id, std::int64_t now_ms);
    // (device id, payload) for every lamp, oldest first per lamp.
    std::vector<std::pair<std::string, std::string>> all(std::int64_t now_ms);

    std::size_t size() const;

private:
    struct Entry {
        std::int64_t sent_at_ms;
        std::string payload;
    };
    void expire(std::deque<Entry>& entries, std::int64_t now_ms) const;

    PendingCommandsOptions options_;
    mutable std::mutex mutex_;
    std::map<std::string, std::deque<Entry>> by_lamp_;
};

}  // namespace lampi::cloud::lamps
