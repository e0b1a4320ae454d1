// ScheduleRunner: a thread that calls Schedules::run_due every `period` until
// stopped. The database is polled rather than watched, so schedules made by
// another lampi-cloud process (or before a restart) fire as well; a fire is at
// most `period` late. Database failures are logged and tried again next period.
#pragma once

#include <chrono>

#include "periodic_task.h"
#include "schedules/schedules.h"

namespace lampi::cloud::schedules {

class ScheduleRunner {
public:
    ScheduleRunner(Schedules& schedules, std::chrono::milliseconds period);

    // Waits for a run under way to finish; idempotent.
    void stop() { task_.stop(); }

private:
    void run_due();

    Schedules& schedules_;
    PeriodicTask task_;  // last: its thread starts once the members it uses exist
};

}  // namespace lampi::cloud::schedules
