#include <fmt/core.h>

#include "led_drivers.h"

namespace lampi::lampid {

Result<std::unique_ptr<LedDriver>> make_led_driver(const LedDriverOptions& options) {
    if (options.backend == "simulated") {
        return std::unique_ptr<LedDriver>(std::make_unique<SimulatedLed>(options.simulated_output));
    }
    if (options.backend == "sysfs-pwm") {
        auto led = SysfsPwmLed::open(options.sysfs_chip, options.sysfs_channels, options.sysfs_period_ns);
        if (!led) return led.status();
        return std::unique_ptr<LedDriver>(std::move(led).value());
    }
    if (options.backend == "pigpiod") {
        auto led = PigpiodLed::open(options.pigpiod_host, options.pigpiod_port, options.pigpiod_pins);
        if (!led) return led.status();
        return std::unique_ptr<LedDriver>(std::move(led).value());
    }
    return Status::error(fmt::format("unknown backend \"{}\": use simulated, sysfs-pwm or pigpiod", options.backend));
}

}  // namespace lampi::lampid
