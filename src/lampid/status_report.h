// What lampid tells the operator of a Pi: whether it reaches its broker and the
// cloud, whether saving and the LED work, and its last save and last command.
//
// lamp/health carries part of this to the cloud; this file is for the person
// on the Pi, and it works without any broker, which is when it is needed most.
// lampid rewrites it (no fsync: it describes the running process) when
// something in it changed, at most once per StatusFile::kMinInterval, and at
// once when a connection comes or goes and when lampid stops. `lampid status`
// reads it and says, in words and in its exit code, whether the lamp is well.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "clock.h"
#include "lamp_controller.h"
#include "lampi/status.h"

namespace lampi::lampid {

struct LampStatus {
    std::string device_id;
    long pid = 0;
    bool running = true;  // false: written by a clean stop
    std::int64_t started_at_ms = 0;
    std::int64_t stopped_at_ms = 0;
    std::string broker;  // host:port of the lamp's broker
    bool broker_connected = false;
    std::int64_t broker_since_ms = 0;
    std::optional<bool> cloud_linked;  // the bridge's own state; nullopt until it is known
    std::int64_t cloud_since_ms = 0;
    bool claimed = false;
    std::uint64_t version = 0;  // of the state the LED shows
    LampHealth health;          // durable, led, error (its `live` is left out)
    LampActivity activity;
    LampControllerStats stats;
};

std::string encode_status(const LampStatus& status);
Result<LampStatus> decode_status(std::string_view json);

// What `lampid status` prints and exits with.
struct StatusVerdict {
    // 0 running and well; 1 running with a fault (no broker, saving or the LED
    // failing); 3 not running (stopped, or the process is gone), as systemctl
    // status counts an inactive unit.
    int exit_code = 0;
    std::string text;
};
// `alive`: whether the process `status.pid` still exists.
StatusVerdict describe_status(const LampStatus& status, std::int64_t now_ms, bool alive);

// `lampid status`: prints what the status file at `path` says (`raw`: the file
// itself) and returns the verdict's exit code; 3 with what to do when there is
// no readable file.
int print_status(const std::string& path, bool raw);

class StatusFile {
public:
    static constexpr std::chrono::seconds kMinInterval{1};

    StatusFile(std::string path, Clock clock);

    // Writes `status` if it differs from what was last written, unless that was
    // less than kMinInterval ago; `urgent` writes at once. A failed write is
    // logged once per outage and tried again on the next call.
    void update(const LampStatus& status, bool urgent = false);

    const std::string& path() const { return path_; }

private:
    std::string path_;
    Clock clock_;
    std::string written_;
    std::optional<Clock::SteadyTime> written_at_;
    bool failing_ = false;
};

}  // namespace lampi::lampid
