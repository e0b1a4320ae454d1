#include "monitor/process_monitor.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "lampi/log.h"

namespace lampi::load {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string comm_of(const std::string& proc, pid_t pid) {
    std::string comm = read_all(fmt::format("{}/{}/comm", proc, pid));
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
}

// utime + stime in seconds, from /proc/<pid>/stat; -1 when the process is gone.
double cpu_seconds(const std::string& proc, pid_t pid) {
    std::string stat = read_all(fmt::format("{}/{}/stat", proc, pid));
    // The name in parentheses may hold spaces: count fields after its ')'.
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {  // field 3 is the state
        if (i == 14) utime = std::stod(field);
        if (i == 15) {
            stime = std::stod(field);
            return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
        }
    }
    return -1;
}

double rss_mib(const std::string& proc, pid_t pid) {
    std::istringstream status(read_all(fmt::format("{}/{}/status", proc, pid)));
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    }
    return 0;
}

double open_files(const std::string& proc, pid_t pid) {
    std::error_code ec;
    double n = 0;
    for (fs::directory_iterator it(fmt::format("{}/{}/fd", proc, pid), ec), end; !ec && it != end; it.increment(ec))
        ++n;
    return n;
}

// Bytes received and sent over every interface of the process's namespace.
std::pair<double, double> net_bytes(const std::string& proc, pid_t pid) {
    std::istringstream dev(read_all(fmt::format("{}/{}/net/dev", proc, pid)));
    std::string line;
    double rx = 0, tx = 0;
    while (std::getline(dev, line)) {
        std::size_t colon = line.find(':');
        if (colon == std::string::npos) continue;  // the two header lines
        std::istringstream numbers(line.substr(colon + 1));
        double v[9] = {};
        for (double& x : v) numbers >> x;
        rx += v[0];
        tx += v[8];
    }
    return {rx, tx};
}

}  // namespace

ProcessMonitor::ProcessMonitor(std::vector<pid_t> pids, std::vector<std::string> names, std::string proc)
    : pids_(std::move(pids)), names_(std::move(names)), proc_(std::move(proc)) {}

Status ProcessMonitor::start() {
    for (pid_t pid : pids_) {
        std::string comm = comm_of(proc_, pid);
        if (comm.empty()) return Status::invalid_argument(fmt::format("--watch-pid {}: no such process", pid));
        watched_.push_back({pid, comm, -1});
    }
    for (const std::string& name : names_) {
        bool found = false;
        std::error_code ec;
        for (fs::directory_iterator it(proc_, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string entry = it->path().filename().string();
            if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
            auto pid = static_cast<pid_t>(std::stol(entry));
            if (comm_of(proc_, pid) != name) continue;
            watched_.push_back({pid, name, -1});
            found = true;
        }
        if (!found)
            return Status::invalid_argument(
                fmt::format("--watch-name {}: no process has that name (as /proc/<pid>/comm shows it)", name));
    }
    sample();  // the first reading only sets the starting points
    return Status::ok();
}

std::map<std::string, double> ProcessMonitor::sample() {
    std::map<std::string, double> figures;
    auto now = std::chrono::steady_clock::now();
    double elapsed = std::chrono::duration<double>(now - last_time_).count();
    bool first = last_time_ == std::chrono::steady_clock::time_point{};
    for (auto it = watched_.begin(); it != watched_.end();) {
        double cpu = cpu_seconds(proc_, it->pid);
        if (cpu < 0) {
            log::warn("the watched process {} ({}) has exited", it->pid, it->name);
            it = watched_.erase(it);
            continue;
        }
        std::string key = fmt::format("proc.{}.{}.", it->name, it->pid);
        if (!first && it->cpu_seconds >= 0 && elapsed > 0)
            figures[key + "cpu_percent"] = 100.0 * (cpu - it->cpu_seconds) / elapsed;
        it->cpu_seconds = cpu;
        figures[key + "rss_mib"] = rss_mib(proc_, it->pid);
        figures[key + "open_files"] = open_files(proc_, it->pid);
        ++it;
    }
    if (!watched_.empty()) {
        auto [rx, tx] = net_bytes(proc_, watched_.front().pid);
        if (!first && last_rx_ >= 0 && elapsed > 0) {
            figures["host.net_rx_bytes_per_s"] = (rx - last_rx_) / elapsed;
            figures["host.net_tx_bytes_per_s"] = (tx - last_tx_) / elapsed;
        }
        last_rx_ = rx;
        last_tx_ = tx;
    }
    last_time_ = now;
    return figures;
}

}  // namespace lampi::load
