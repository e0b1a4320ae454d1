#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "led_drivers.h"

namespace lampi::lampid {
namespace {

Status write_attribute(const std::string& path, const std::string& value) {
    std::ofstream out(path);
    out << value;
    out.flush();
    if (!out) {
        return Status::error(fmt::format("cannot write \"{}\" to {}: check the PWM overlay and permissions",
                                         value, path));
    }
    return Status::ok();
}

}  // namespace

SysfsPwmLed::SysfsPwmLed(std::string chip, const int channels[3], long period_ns)
    : chip_(std::move(chip)), channels_{channels[0], channels[1], channels[2]}, period_ns_(period_ns) {}

Result<std::unique_ptr<SysfsPwmLed>> SysfsPwmLed::open(const std::string& chip, const int channels[3],
                                                       long period_ns) {
    namespace fs = std::filesystem;
    if (!fs::is_directory(chip)) {
        return Status::error(fmt::format("no PWM chip at {}: enable the pwm overlay or use --backend simulated", chip));
    }
    for (int i = 0; i < 3; ++i) {
        std::string channel = fmt::format("{}/pwm{}", chip, channels[i]);
        if (!fs::is_directory(channel)) {
            if (Status s = write_attribute(chip + "/export", std::to_string(channels[i])); !s) return s;
            // The kernel creates the channel directory asynchronously (udev).
            for (int wait = 0; wait < 50 && !fs::is_directory(channel); ++wait) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (!fs::is_directory(channel)) return Status::error(fmt::format("exporting {} did not create it", channel));
        }
        if (Status s = write_attribute(channel + "/period", std::to_string(period_ns)); !s) return s;
        if (Status s = write_attribute(channel + "/duty_cycle", "0"); !s) return s;
        if (Status s = write_attribute(channel + "/enable", "1"); !s) return s;
    }
    return std::unique_ptr<SysfsPwmLed>(new SysfsPwmLed(chip, channels, period_ns));
}

Status SysfsPwmLed::set_duty(const RgbDuty& duty) {
    const double values[3] = {duty.red, duty.green, duty.blue};
    for (int i = 0; i < 3; ++i) {
        long ns = static_cast<long>(values[i] * static_cast<double>(period_ns_) + 0.5);
        if (Status s = write_attribute(fmt::format("{}/pwm{}/duty_cycle", chip_, channels_[i]), std::to_string(ns)); !s) {
            return s;
        }
    }
    return Status::ok();
}

std::string SysfsPwmLed::describe() const {
    return fmt::format("sysfs PWM {} channels {},{},{}", chip_, channels_[0], channels_[1], channels_[2]);
}

}  // namespace lampi::lampid
