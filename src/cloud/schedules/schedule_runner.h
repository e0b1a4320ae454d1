// ScheduleRunner: a thread that calls Schedules::run_due every `period` until
// stopped. The database is polled rather than watched, so schedules made by
// another lampi-cloud process (or before a restart) fire as well; a fire is at
// most `period` late. Database failures are logged and tried again next period.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "schedules/schedules.h"

namespace lampi::cloud::schedules {

class ScheduleRunner {
public:
    ScheduleRunner(Schedules& schedules, std::chrono::milliseconds period);
    ~ScheduleRunner() { stop(); }
    ScheduleRunner(const ScheduleRunner&) = delete;
    ScheduleRunner& operator=(const ScheduleRunner&) = delete;

    // Waits for a run under way to finish; idempotent.
    void stop();

private:
    void loop();

    Schedules& schedules_;
    std::chrono::milliseconds period_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace lampi::cloud::schedules
