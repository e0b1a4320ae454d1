// Runs the lampi-load binary as a user does, for the tests that check its
// command line, its output and its exit code (with a deadline, like every run).
#pragma once

#include <chrono>
#include <string>

#include "process.h"

namespace lampi::testing {

using CliRun = RunResult;

// `wrapper` runs before the binary (prlimit, setpriv); empty runs it directly.
inline CliRun lampi_load_with(const std::string& wrapper, const std::string& args,
                              std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return run_shell(wrapper + (wrapper.empty() ? "" : " ") + std::string(LAMPI_LOAD_BINARY) + " " + args, timeout);
}

inline CliRun lampi_load(const std::string& args, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    return lampi_load_with("", args, timeout);
}

}  // namespace lampi::testing
