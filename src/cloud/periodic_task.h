// PeriodicTask: a thread that runs `work` every `period` until stopped (the
// schedules' runner, analytics retention). The first run is at start or one
// period after it. stop() wakes the thread at once, waits for a run under way
// and is idempotent; the destructor stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace lampi::cloud {

class PeriodicTask {
public:
    enum class FirstRun { at_start, after_one_period };

    PeriodicTask(std::chrono::milliseconds period, FirstRun first, std::function<void()> work);
    ~PeriodicTask() { stop(); }
    PeriodicTask(const PeriodicTask&) = delete;
    PeriodicTask& operator=(const PeriodicTask&) = delete;

    void stop();

private:
    void loop(FirstRun first);

    std::chrono::milliseconds period_;
    std::function<void()> work_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace lampi::cloud
