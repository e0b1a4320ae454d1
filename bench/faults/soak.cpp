// The fault soak: a whole platform under steady command load for a long time
// (30 minutes by default) with a kill -9 of a random process every 30 s.
// Prints, for every kill, the process, the recovery time and the acknowledged
// commands lost (the only acceptable answer is 0), then each process's memory
// over the run. Usage:
//   build/bench/faults/fault_soak [--minutes M] [--kill-every S] [--lamps N] [--rate R] [--seed X]
#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>

#include "fault_injector.h"
#include "lamp_commander.h"

namespace {

using namespace lampi::testing;
using Clock = std::chrono::steady_clock;

struct Options {
    double minutes = 30;
    int kill_every_seconds = 30;
    int lamps = 3;
    int rate = 10;  // commands a second, per lamp
    unsigned seed = 1;
};

bool parse(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "-h" || flag == "--help") return false;
        if (i + 1 >= argc) {
            std::cerr << "fault_soak: " << flag << " needs a value\n";
            return false;
        }
        double value = std::atof(argv[++i]);
        if (flag == "--minutes") options.minutes = value;
        else if (flag == "--kill-every") options.kill_every_seconds = static_cast<int>(value);
        else if (flag == "--lamps") options.lamps = static_cast<int>(value);
        else if (flag == "--rate") options.rate = static_cast<int>(value);
        else if (flag == "--seed") options.seed = static_cast<unsigned>(value);
        else {
            std::cerr << "fault_soak: unknown option " << flag << "\n";
            return false;
        }
    }
    return options.minutes > 0 && options.kill_every_seconds > 0 && options.lamps > 0 && options.rate > 0;
}

long rss_kib(pid_t pid) {
    std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
    auto at = status.find("VmRSS:");
    return at == std::string::npos ? 0 : std::atol(status.c_str() + at + 6);
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse(argc, argv, options)) {
        std::cerr << "usage: fault_soak [--minutes M (30)] [--kill-every S (30)] [--lamps N (3)] "
                     "[--rate R commands/s per lamp (10)] [--seed X]\n";
        return 2;
    }
    Platform platform;
    if (std::string e = platform.start(options.lamps); !e.empty()) {
        std::cerr << "fault_soak: the platform did not start: " << e << "\n" << platform.logs();
        return 1;
    }
    std::vector<std::unique_ptr<LampCommander>> commanders;
    for (int i = 0; i < options.lamps; ++i) {
        auto commander = std::make_unique<LampCommander>(platform.https_url(), platform.ca_file(), platform.lamp_id(i));
        if (std::string e = commander->login(platform.login("demo", "username"), platform.login("demo", "password"));
            !e.empty()) {
            std::cerr << "fault_soak: " << e << "\n";
            return 1;
        }
        commander->start_sampling();
        if (!commander->round_trip(std::chrono::seconds(60))) {
            std::cerr << "fault_soak: lamp " << platform.lamp_id(i) << " never answered\n" << platform.logs();
            return 1;
        }
        commanders.push_back(std::move(commander));
    }
    std::vector<std::string> programs = platform_programs(platform, options.lamps);
    std::map<std::string, std::vector<long>> memory;
    std::mt19937 random(options.seed);
    int total_lost = 0;
    int never_recovered = 0;
    auto end = Clock::now() + std::chrono::duration<double, std::ratio<60>>(options.minutes);
    std::cout << "kill | process | recovery | acknowledged | lost\n";
    for (int cycle = 1; Clock::now() < end; ++cycle) {
        for (auto& commander : commanders) {
            commander->reset();
            commander->start_sending(options.rate);
        }
        std::this_thread::sleep_for(std::chrono::seconds(options.kill_every_seconds) / 2);
        for (const std::string& program : programs) {
            if (pid_t pid = program_pid(platform, program)) memory[program].push_back(rss_kib(pid));
        }
        const std::string& victim = programs[random() % programs.size()];
        std::string error = inject(platform, Fault{victim, FaultKind::kill});
        auto killed_at = Clock::now();
        std::this_thread::sleep_for(std::chrono::seconds(options.kill_every_seconds) / 2);
        for (auto& commander : commanders) commander->stop_sending();
        auto load_stopped = Clock::now();
        int acknowledged = 0;
        int lost = 0;
        bool recovered = true;
        for (auto& commander : commanders) {
            recovered = commander->wait_for_last_acknowledged(std::chrono::seconds(60)) && recovered;
            lost += commander->lost();  // before the fresh command below supersedes everything
            recovered = commander->round_trip(std::chrono::seconds(60)).has_value() && recovered;
            acknowledged += commander->acknowledged();
        }
        total_lost += lost;
        never_recovered += !recovered;
        std::cout << fmt::format("{} | {} | {} | {} | {}{}\n", cycle, victim,
                                 recovered ? fmt::format("all settled {:.1f} s after the load paused ({:.0f} s after the kill)",
                                                         std::chrono::duration<double>(Clock::now() - load_stopped).count(),
                                                         std::chrono::duration<double>(Clock::now() - killed_at).count())
                                           : std::string("NEVER"),
                                 acknowledged, lost, error.empty() ? "" : " (" + error + ")")
                  << std::flush;
    }
    std::cout << "\nprocess | RSS KiB at each kill (first, max, last)\n";
    for (const auto& [program, series] : memory) {
        long max = 0;
        for (long kib : series) max = std::max(max, kib);
        std::cout << fmt::format("{} | {}, {}, {}\n", program, series.front(), max, series.back());
    }
    std::cout << fmt::format("\nlost acknowledged commands: {}; kills without recovery: {}\n", total_lost,
                             never_recovered);
    return total_lost == 0 && never_recovered == 0 ? 0 : 1;
}
