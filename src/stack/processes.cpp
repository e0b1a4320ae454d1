#include "processes.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "lampi/errno_text.h"
#include "lampi/files.h"

namespace fs = std::filesystem;

namespace lampi::stack {
namespace {

struct ProcStat {
    char state = '?';
    unsigned long long start_time = 0;
};

// A /proc file read with plain read(2): the process may exit meanwhile, which a
// std::ifstream reports by throwing.
std::string read_proc(const std::string& path) {
    std::string content;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return content;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) content.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return content;
}

std::optional<ProcStat> read_stat(pid_t pid) {
    std::string line = read_proc(fmt::format("/proc/{}/stat", pid));
    if (line.empty()) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    std::size_t close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 1));
    ProcStat stat;
    rest >> stat.state;
    std::string skip;
    for (int field = 4; field < 22; ++field) rest >> skip;  // fields 4..21
    rest >> stat.start_time;                                  // field 22: starttime
    if (!rest) return std::nullopt;
    return stat;
}

bool runs(pid_t pid) {
    auto stat = read_stat(pid);
    return stat && stat->state != 'Z' && stat->state != 'X';
}

std::string command_line(pid_t pid) {
    std::string text = read_proc(fmt::format("/proc/{}/cmdline", pid));
    for (char& c : text) if (c == '\0') c = ' ';
    return text;
}

std::optional<pid_t> live_supervisord(const StackPlan& plan) {
    std::ifstream in(plan.supervisord_pid_file);
    long pid = 0;
    if (!(in >> pid) || pid <= 1 || !runs(static_cast<pid_t>(pid))) return std::nullopt;
    std::string command = command_line(static_cast<pid_t>(pid));
    if (command.find("supervisord") == std::string::npos || command.find(plan.supervisord_conf) == std::string::npos) {
        return std::nullopt;
    }
    return static_cast<pid_t>(pid);
}

std::vector<std::string> pid_files(const StackPlan& plan) {
    std::vector<std::string> files;
    for (const ProcessPlan& p : plan_processes(plan)) files.push_back(p.pid_file);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(plan.run_dir, ec)) {
        std::string path = entry.path().string();
        if (entry.path().extension() == ".pid" && std::find(files.begin(), files.end(), path) == files.end()) {
            files.push_back(path);
        }
    }
    return files;
}

std::vector<pid_t> live_pids(const StackPlan& plan) {
    std::vector<pid_t> pids;
    for (const ProcessState& p : stack_processes(plan)) {
        if (p.pid) pids.push_back(*p.pid);
    }
    return pids;
}

bool wait_until_gone(const std::vector<pid_t>& pids, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        bool any = false;
        for (pid_t pid : pids) any = any || runs(pid);
        if (!any) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace

Status exec_with_pid_file(const std::string& pid_file, const std::vector<std::string>& argv) {
    if (argv.empty()) return Status::error("no program to run");
    auto self = read_stat(::getpid());
    if (!self) return Status::error("cannot read /proc/self/stat");
    std::string pid_line = fmt::format("{} {}\n", ::getpid(), self->start_time);
    if (Status s = write_file_atomically(pid_file, pid_line, 0644, Durability::none); !s) return s;
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    return Status::error(fmt::format("cannot run {}: {}", argv[0], errno_text()));
}

std::optional<pid_t> live_pid(const std::string& pid_file) {
    std::ifstream in(pid_file);
    long pid = 0;
    unsigned long long start_time = 0;
    if (!(in >> pid >> start_time) || pid <= 1) return std::nullopt;
    auto stat = read_stat(static_cast<pid_t>(pid));
    if (!stat || stat->state == 'Z' || stat->state == 'X' || stat->start_time != start_time) return std::nullopt;
    return static_cast<pid_t>(pid);
}

std::vector<ProcessState> stack_processes(const StackPlan& plan) {
    std::vector<ProcessState> states{{"supervisord", live_supervisord(plan)}};
    std::size_t planned = plan_processes(plan).size();
    std::vector<std::string> files = pid_files(plan);
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto pid = live_pid(files[i]);
        // A dead process of an earlier plan is no concern of this one.
        if (i < planned || pid) states.push_back({fs::path(files[i]).stem().string(), pid});
    }
    return states;
}

bool anything_runs(const StackPlan& plan) { return !live_pids(plan).empty(); }

Status stop_stack(const StackPlan& plan, std::chrono::milliseconds grace) {
    // supervisord first, so that it restarts nothing; it stops its children itself.
    if (auto supervisord = live_supervisord(plan)) {
        ::kill(*supervisord, SIGTERM);
        wait_until_gone({*supervisord}, grace * 2);
    }
    std::vector<pid_t> left = live_pids(plan);
    for (pid_t pid : left) ::kill(pid, SIGTERM);
    if (!wait_until_gone(left, grace)) {
        for (pid_t pid : live_pids(plan)) ::kill(pid, SIGKILL);
        if (!wait_until_gone(left, std::chrono::seconds(5))) {
            return Status::error(fmt::format("{} process(es) of {} survived SIGKILL", live_pids(plan).size(),
                                             plan.options.dir));
        }
    }
    return Status::ok();
}

}  // namespace lampi::stack
