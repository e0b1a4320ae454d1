// A person steering one lamp through the cloud's JSON API while faults hit the
// platform: it sends commands at a steady rate, each with a brightness no other
// command has, records which ones the cloud acknowledged (202), and samples the
// lamp's state as the cloud reports it. From that record it tells what was lost.
//
// A command is lost when the cloud acknowledged it and neither it nor a later
// command ever took effect: with one sender, a later command that took effect
// supersedes the earlier ones, so only a trailing run of acknowledged commands
// whose effect never shows can be lost. A later command that was not
// acknowledged counts too: its answer may have died with lampi-cloud after the
// broker had it, and then it rightly takes effect.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"

namespace lampi::testing {

struct SentCommand {
    int index = 0;
    double brightness = 0;
    long status = 0;  // the API's answer; 202 is an acknowledgement
    std::chrono::steady_clock::time_point at;
};

struct SampledState {
    std::chrono::steady_clock::time_point at;
    bool online = false;
    std::optional<double> brightness;
    std::int64_t version = -1;
};

class LampCommander {
public:
    LampCommander(std::string https_url, std::string ca_file, std::string device_id);
    ~LampCommander();

    // Logs in; empty on success.
    std::string login(const std::string& username, const std::string& password);

    // Sends one command now; returns the API's status.
    long send();
    // Sends `per_second` commands a second on a thread of its own until stop_sending().
    void start_sending(int per_second);
    void stop_sending();

    // Samples the lamp's state every 100 ms on a thread of its own.
    void start_sampling();
    void stop_sampling();

    // Waits until the cloud reports the lamp online with the brightness of the
    // last acknowledged command. False after `timeout`.
    bool wait_for_last_acknowledged(std::chrono::milliseconds timeout);
    // Sends commands until one is acknowledged and takes effect; the time that took, or nullopt.
    std::optional<std::chrono::milliseconds> round_trip(std::chrono::milliseconds timeout);

    int acknowledged() const;
    int refused() const;
    // Acknowledged commands that never took effect and were never superseded.
    int lost() const;
    // Times the reported version went down between two samples.
    int version_regressions() const;
    // The first time, at or after `since`, the cloud reported the lamp offline.
    std::optional<std::chrono::steady_clock::time_point> offline_since(std::chrono::steady_clock::time_point since) const;
    // The last command's answer and the last sampled state, for failure messages.
    std::string last_seen() const;
    // Forget what was sent and sampled, to measure the next fault on its own.
    void reset();

private:
    std::optional<SampledState> sample();

    std::string https_url_;
    std::string ca_file_;
    std::string device_id_;
    std::string username_;
    std::string password_;
    BrowserSession sender_;
    BrowserSession sampler_;
    mutable std::mutex mutex_;
    std::vector<SentCommand> sent_;
    std::vector<SampledState> samples_;
    int next_index_ = 0;
    std::atomic<bool> sending_{false};
    std::atomic<bool> sampling_{false};
    std::thread send_thread_;
    std::thread sample_thread_;
};

}  // namespace lampi::testing
