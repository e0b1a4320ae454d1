// Runs the lampi-load binary as a user does, for the tests that check its
// command line, its output and its exit code (with a deadline, like every run).
#pragma once

#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <vector>

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

// The words that run a command under a descriptor limit of `limit`, soft and hard,
// which the command cannot raise: root could, so it drops CAP_SYS_RESOURCE first.
inline std::vector<std::string> fixed_descriptor_limit(int limit) {
    std::vector<std::string> words{"/usr/bin/prlimit",
                                   "--nofile=" + std::to_string(limit) + ":" + std::to_string(limit), "--"};
    if (::geteuid() == 0) words.insert(words.end(), {"/usr/bin/setpriv", "--bounding-set=-sys_resource", "--"});
    return words;
}

// The same as one shell word list, for lampi_load_with.
inline std::string fixed_descriptor_limit_command(int limit) {
    std::string command;
    for (const std::string& word : fixed_descriptor_limit(limit)) command += (command.empty() ? "" : " ") + word;
    return command;
}

struct RequestTotals {
    double requests = 0, failures = 0;
};

// The requests and failures of every row of a run's JSON report ("requests").
inline RequestTotals request_totals(const boost::json::object& report) {
    RequestTotals totals;
    for (const auto& row : report.at("requests").as_array()) {
        totals.requests += row.as_object().at("requests").to_number<double>();
        totals.failures += row.as_object().at("failures").to_number<double>();
    }
    return totals;
}

}  // namespace lampi::testing
