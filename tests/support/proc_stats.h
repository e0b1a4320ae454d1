// Test support: a process's CPU time and memory, from /proc, for benchmarks.
#pragma once

#include <sys/types.h>

#include <string_view>

namespace lampi::testing {

// A field in kB ("Rss:", "Pss:", "Private_Dirty:") from /proc/<pid>/smaps_rollup; -1 if unreadable.
long memory_kb(pid_t pid, std::string_view field);

// User + system CPU seconds of a process, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid);

// True when every thread of the process sleeps and its CPU time stands still over
// a short look: the process has nothing left to do until new input arrives. A
// positive marker for "it is now blocked in its next read", instead of a sleep.
bool is_quiescent(pid_t pid);

}  // namespace lampi::testing
