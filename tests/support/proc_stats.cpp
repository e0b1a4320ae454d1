#include "proc_stats.h"

#include <fmt/core.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace lampi::testing {

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

}  // namespace lampi::testing
