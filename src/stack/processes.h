// The stack's processes, found by the pid files the stack writes, never by name.
//
// Each supervised program starts through `lampi-stack run --pid-file F -- prog`,
// which writes "<pid> <start time>" to F and execs prog under the same pid. The
// start time (clock ticks since boot, /proc/<pid>/stat) tells a live process from
// a later one that reuses the pid, so a stale file never makes us signal a
// stranger. supervisord writes its own pid file; it counts as ours only while its
// command line names this stack's supervisord.conf.
//
// This holds with or without a live supervisord: after a kill -9 of supervisord
// its children run on as orphans, and stop_stack still finds and stops them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "stack_plan.h"

namespace lampi::stack {

// Records the calling process in `pid_file` and replaces it with `argv`; returns
// only on failure.
Status exec_with_pid_file(const std::string& pid_file, const std::vector<std::string>& argv);

// The pid recorded in `pid_file` while that very process still runs (not a zombie).
std::optional<pid_t> live_pid(const std::string& pid_file);

struct ProcessState {
    std::string name;               // "supervisord" or the supervisord program name
    std::optional<pid_t> pid;       // set while it runs
};

// supervisord, then every process of the plan, then any other process with a
// pid file in the run directory that still runs (of an earlier plan with more lamps).
std::vector<ProcessState> stack_processes(const StackPlan& plan);

// True when any process of the stack runs.
bool anything_runs(const StackPlan& plan);

// Stops every process of the stack: SIGTERM to supervisord (which stops its
// children), then SIGTERM to whatever still runs, SIGKILL after `grace`.
// Fails only if something survives SIGKILL.
Status stop_stack(const StackPlan& plan, std::chrono::milliseconds grace);

}  // namespace lampi::stack
