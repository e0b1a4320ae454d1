// Test helper: run a program to completion and collect its exit code and output.
#pragma once

#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "process.h"

namespace lampi::ca::testing {

struct RunResult {
    int exit_code = -1;  // -1: did not finish within the timeout (and was killed)
    std::string output;  // stdout and stderr together
};

inline RunResult run(std::vector<std::string> argv, const lampi::testing::TempDir& dir,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    static std::atomic<int> counter{0};
    std::string log = dir / ("run-" + std::to_string(counter++) + ".log");
    lampi::testing::Process process(std::move(argv), log);
    process.start();
    int status = process.wait(timeout);
    RunResult result;
    if (status >= 0) result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.output = lampi::testing::read_file(log);
    return result;
}

}  // namespace lampi::ca::testing
