#include "virtual_display.h"

#include <fmt/core.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace lampi::testing {

std::string missing_display_tools() {
    if (!std::filesystem::exists("/usr/bin/Xvfb")) return "Xvfb is not installed (apt-get install xvfb)";
    if (run_shell("command -v xdotool").exit_code != 0) return "xdotool is not installed (apt-get install xdotool)";
    return "";
}

namespace {

// The pid an X server writes into its display's lock file, or -1.
pid_t lock_holder(const std::string& lock_file) {
    std::string text = read_file(lock_file);
    try {
        return static_cast<pid_t>(std::stol(text));
    } catch (const std::exception&) {
        return -1;
    }
}

}  // namespace

VirtualDisplay::VirtualDisplay(const std::string& log_file, int width, int height) {
    for (int n = 90; n < 400; ++n) {
        const std::string socket = "/tmp/.X11-unix/X" + std::to_string(n);
        if (std::filesystem::exists(socket) || std::filesystem::exists("/tmp/.X" + std::to_string(n) + "-lock")) {
            continue;
        }
        name_ = ":" + std::to_string(n);
        process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/bin/Xvfb", name_, "-screen", "0",
                                                                      fmt::format("{}x{}x24", width, height),
                                                                      "-nolisten", "tcp"},
                                             log_file);
        process_->start();
        // The socket alone does not say whose server it is: two tests that pick
        // the same number at once both see the winner's socket appear. The lock
        // file holds the pid of the server that won it.
        const std::string lock = "/tmp/.X" + std::to_string(n) + "-lock";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline && process_->running()) {
            if (std::filesystem::exists(socket) && lock_holder(lock) == process_->pid()) {
                ready_ = true;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        // Another test (or person) took this display between the check and the
        // start: Xvfb exits at once, and the next number is tried.
        if (process_->running()) return;
        process_.reset();
    }
}

}  // namespace lampi::testing
