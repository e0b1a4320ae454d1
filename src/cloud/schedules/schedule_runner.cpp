#include "schedules/schedule_runner.h"

#include "lampi/log.h"

namespace lampi::cloud::schedules {

ScheduleRunner::ScheduleRunner(Schedules& schedules, std::chrono::milliseconds period)
    : schedules_(schedules), period_(period), thread_([this] { loop(); }) {}

void ScheduleRunner::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void ScheduleRunner::loop() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period_, [this] { return stopping_; })) {
        lock.unlock();
        auto report = schedules_.run_due();
        if (!report) log::warn("schedules not run: {}", report.status().message());
        else if (report->fired + report->missed + report->failed > 0)
            log::info("schedules: {} fired, {} missed, {} failed", report->fired, report->missed, report->failed);
        lock.lock();
    }
}

}  // namespace lampi::cloud::schedules
