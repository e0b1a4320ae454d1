#include "fault_injector.h"

#include <signal.h>

#include <cstdlib>
#include <thread>

namespace lampi::testing {

std::string to_string(FaultKind kind) {
    // A switch on purpose: -Wswitch names any value added later without its name.
    switch (kind) {
        case FaultKind::kill: return "kill -9";
        case FaultKind::freeze: return "freeze";
        case FaultKind::starve: return "starve";
    }
    return "?";
}

pid_t program_pid(Platform& platform, const std::string& program) {
    std::string out = platform.supervisorctl("pid " + program);
    char* end = nullptr;
    long pid = std::strtol(out.c_str(), &end, 10);
    return end != out.c_str() && pid > 1 ? static_cast<pid_t>(pid) : 0;
}

std::string inject(Platform& platform, const Fault& fault) {
    pid_t pid = program_pid(platform, fault.program);
    if (pid == 0) return fault.program + " is not running";
    switch (fault.kind) {
        case FaultKind::kill: {
            // supervisord restarts a killed process within milliseconds; holding
            // it back keeps the process down for the fault's length, so what is
            // sent meanwhile surely meets a dead process, as after a real crash.
            pid_t supervisor = platform.supervisord ? platform.supervisord->pid() : 0;
            if (supervisor > 0) ::kill(supervisor, SIGSTOP);
            int killed = ::kill(pid, SIGKILL);
            std::this_thread::sleep_for(fault.length);
            if (supervisor > 0) ::kill(supervisor, SIGCONT);
            if (killed != 0) return "kill " + std::to_string(pid) + " failed";
            return "";
        }
        case FaultKind::freeze:
            ::kill(pid, SIGSTOP);
            std::this_thread::sleep_for(fault.length);
            ::kill(pid, SIGCONT);
            return "";
        case FaultKind::starve: {
            // 10 ms of CPU in every 100 ms: the process runs, slowly, like one
            // on a machine whose other work took the cores.
            auto end = std::chrono::steady_clock::now() + fault.length;
            while (std::chrono::steady_clock::now() < end) {
                ::kill(pid, SIGSTOP);
                std::this_thread::sleep_for(std::chrono::milliseconds(90));
                ::kill(pid, SIGCONT);
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            return "";
        }
    }
    return "unknown fault";
}

std::vector<std::string> platform_programs(const Platform& platform, int lamps) {
    std::vector<std::string> programs{"cloud-broker", "lampi-cloud"};
    for (int i = 0; i < lamps; ++i) {
        programs.push_back("lamp-broker-" + platform.lamp_id(i));
        programs.push_back("lampid-" + platform.lamp_id(i));
    }
    return programs;
}

}  // namespace lampi::testing
