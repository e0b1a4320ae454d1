#include "proc_stats.h"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

namespace lampi::testing {
namespace {

// The state letter of /proc/<pid>/task/<tid>/stat ('R' running or runnable).
char thread_state(const std::filesystem::path& stat_file) {
    std::ifstream in(stat_file);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = content.rfind(')');
    return paren == std::string::npos || paren + 2 >= content.size() ? '?' : content[paren + 2];
}

bool every_thread_asleep(pid_t pid) {
    std::error_code ec;
    std::filesystem::directory_iterator tasks(fmt::format("/proc/{}/task", pid), ec);
    if (ec) return false;
    for (const auto& task : tasks) {
        char state = thread_state(task.path() / "stat");
        if (state != 'S') return false;
    }
    return true;
}

}  // namespace

long memory_kb(pid_t pid, std::string_view field) {
    std::ifstream in(fmt::format("/proc/{}/smaps_rollup", pid));
    std::string key;
    long value = 0;
    while (in >> key) {
        if (key == field) {
            in >> value;
            return value;
        }
        in.ignore(4096, '\n');
    }
    return -1;
}

double cpu_seconds(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/stat", pid));
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto paren = content.rfind(')');
    if (paren == std::string::npos || paren + 2 > content.size()) return 0;
    auto fields = content.substr(paren + 2);
    std::istringstream stream(fields);
    std::string skip;
    for (int i = 0; i < 11; ++i) stream >> skip;  // fields 3..13
    double utime = 0, stime = 0;
    stream >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool is_quiescent(pid_t pid) {
    double before = cpu_seconds(pid);
    if (!every_thread_asleep(pid)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return every_thread_asleep(pid) && cpu_seconds(pid) == before;
}

}  // namespace lampi::testing
