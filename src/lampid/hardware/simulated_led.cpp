// The default LED driver: no hardware, the duty cycles go to a file tests read.
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "led_drivers.h"

namespace lampi::lampid {

SimulatedLed::SimulatedLed(std::string output_file) : output_file_(std::move(output_file)) {}

Status SimulatedLed::set_duty(const RgbDuty& duty) {
    current_ = duty;
    if (output_file_.empty()) return Status::ok();
    // Whole-file replace, so a reader never sees half a line.
    std::string temp = output_file_ + ".tmp";
    {
        std::ofstream out(temp, std::ios::trunc);
        out << fmt::format("{:.6f} {:.6f} {:.6f}\n", duty.red, duty.green, duty.blue);
        if (!out) return Status::error(fmt::format("cannot write the simulated LED file {}", temp));
    }
    if (std::rename(temp.c_str(), output_file_.c_str()) != 0) {
        return Status::error(fmt::format("cannot replace the simulated LED file {}", output_file_));
    }
    return Status::ok();
}

std::string SimulatedLed::describe() const {
    return output_file_.empty() ? "simulated LED" : fmt::format("simulated LED (duty in {})", output_file_);
}

}  // namespace lampi::lampid
