// The default LED driver: no hardware, the duty cycles go to a file tests read.
#include <fmt/core.h>

#include "lampi/files.h"
#include "led_drivers.h"

namespace lampi::lampid {

SimulatedLed::SimulatedLed(std::string output_file) : output_file_(std::move(output_file)) {}

Status SimulatedLed::set_duty(const RgbDuty& duty) {
    current_ = duty;
    if (output_file_.empty()) return Status::ok();
    // Whole-file replace, so a reader never sees half a line.
    return write_file_atomically(output_file_, fmt::format("{:.6f} {:.6f} {:.6f}\n", duty.red, duty.green, duty.blue),
                                 0644, Durability::none);
}

std::string SimulatedLed::describe() const {
    return output_file_.empty() ? "simulated LED" : fmt::format("simulated LED (duty in {})", output_file_);
}

}  // namespace lampi::lampid
