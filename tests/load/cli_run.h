// Runs the lampi-load binary as a user does, for the tests that check its
// command line, its output and its exit code.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace lampi::load::testing {

struct CliRun {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

// Any command line, its stdout and stderr together.
inline CliRun run_command(const std::string& command) {
    CliRun r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
    int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// `wrapper` runs before the binary (prlimit, setpriv); empty runs it directly.
inline CliRun lampi_load_with(const std::string& wrapper, const std::string& args) {
    return run_command(wrapper + (wrapper.empty() ? "" : " ") + std::string(LAMPI_LOAD_BINARY) + " " + args);
}

inline CliRun lampi_load(const std::string& args) { return lampi_load_with("", args); }

}  // namespace lampi::load::testing
