// ProcessMonitor: the host figures of the processes under test, beside the load
// figures (--watch-pid, --watch-name): CPU, resident memory, open files, and the
// network bytes of their network namespace.
//
// Everything comes from /proc. Linux counts network bytes per interface, not
// per process, so the net figures are the namespace's (loopback included): the
// target's own when it is alone on the machine or in a namespace of its own.
// A watched process that exits is reported once and dropped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "lampi/status.h"

namespace lampi::load {

class ProcessMonitor {
public:
    // `proc` is /proc, a parameter for tests.
    ProcessMonitor(std::vector<pid_t> pids, std::vector<std::string> names, std::string proc = "/proc");

    // Finds the processes (names match /proc/<pid>/comm exactly, every match is
    // watched); an error when a pid does not exist or a name matches nothing.
    Status start();
    // One reading: "proc.<name>.<pid>.cpu_percent" (of one core, since the last
    // reading), ".rss_mib", ".open_files"; "host.net_rx_bytes_per_s" and
    // "host.net_tx_bytes_per_s" from the first process's namespace.
    std::map<std::string, double> sample();

    struct Watched {
        pid_t pid = 0;
        std::string name;
        double cpu_seconds = -1;  // at the last reading
    };
    const std::vector<Watched>& watched() const { return watched_; }

private:
    std::vector<pid_t> pids_;
    std::vector<std::string> names_;
    std::string proc_;
    std::vector<Watched> watched_;
    std::chrono::steady_clock::time_point last_time_;
    double last_rx_ = -1, last_tx_ = -1;
};

}  // namespace lampi::load
