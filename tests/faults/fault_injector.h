// Faults for a running platform (tests/support/platform.h): kill -9 (the
// process stays down for the fault's length, then supervisord restarts it),
// freeze (SIGSTOP, then SIGCONT) and CPU starvation (stopped 90 % of each
// 100 ms) of one supervised process, found by its supervisord program name.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "platform.h"

namespace lampi::testing {

enum class FaultKind { kill, freeze, starve };

std::string to_string(FaultKind kind);

struct Fault {
    std::string program;   // supervisord program name: cloud-broker, lampi-cloud, lamp-broker-<id>, lampid-<id>
    FaultKind kind = FaultKind::kill;
    std::chrono::milliseconds length{3000};  // how long the process is down, frozen or starved
    std::string name() const { return to_string(kind) + " " + program; }
};

// The pid supervisord reports for `program`, or 0 when it does not run.
pid_t program_pid(Platform& platform, const std::string& program);

// Applies `fault` and returns once it is over (the process killed, or resumed).
// Empty on success, else why the fault could not be applied.
std::string inject(Platform& platform, const Fault& fault);

// Every program of a platform with `lamps` lamps, in start order.
std::vector<std::string> platform_programs(const Platform& platform, int lamps);

}  // namespace lampi::testing
