// Test support: Xvfb, a virtual X display, and xdotool on it, for programs with
// a screen (lampi-ui) driven by real pointer input.
#pragma once

#include <memory>
#include <string>

#include "process.h"

namespace lampi::testing {

// Why Xvfb or xdotool cannot be used here, or "" when both are installed.
std::string missing_display_tools();

// Xvfb on the first free display number from 90, removed on destruction.
class VirtualDisplay {
public:
    VirtualDisplay(const std::string& log_file, int width, int height);
    bool ready() const { return ready_; }
    const std::string& name() const { return name_; }  // ":90"
    std::string log() const { return process_ ? process_->log() : ""; }
    // An xdotool command line on this display.
    std::string xdotool(const std::string& args) const { return "env DISPLAY=" + name_ + " xdotool " + args; }

private:
    std::string name_;
    bool ready_ = false;
    std::unique_ptr<Process> process_;
};

}  // namespace lampi::testing
