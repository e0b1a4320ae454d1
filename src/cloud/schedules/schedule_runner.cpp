#include "schedules/schedule_runner.h"

#include "lampi/log.h"

namespace lampi::cloud::schedules {

ScheduleRunner::ScheduleRunner(Schedules& schedules, std::chrono::milliseconds period)
    : schedules_(schedules), task_(period, PeriodicTask::FirstRun::after_one_period, [this] { run_due(); }) {}

void ScheduleRunner::run_due() {
    auto report = schedules_.run_due();
    if (!report) log::warn("schedules not run: {}", report.status().message());
    else if (report->fired + report->missed + report->failed > 0)
        log::info("schedules: {} fired, {} missed, {} failed", report->fired, report->missed, report->failed);
}

}  // namespace lampi::cloud::schedules
