// LedDriver: the seam between the lamp service and the LED hardware.
//
// One implementation per way of driving PWM: simulated (the default, and what the
// tests read), Linux sysfs PWM, and pigpiod. set_duty is called from the lamp
// service's one thread.
#pragma once

#include <memory>
#include <string>

#include "lampi/color.h"
#include "lampi/status.h"

namespace lampi::lampid {

// A pure interface, like StateSink (state_store.h) and Publisher: each seam of
// lampid is one, so its tests fill it with a fake.
class LedDriver {
public:
    virtual ~LedDriver() = default;
    virtual Status set_duty(const RgbDuty& duty) = 0;
    virtual std::string describe() const = 0;
};

struct LedDriverOptions {
    std::string backend = "simulated";  // simulated | sysfs-pwm | pigpiod
    // simulated: file the current duty is written to ("" keeps it in memory only).
    std::string simulated_output;
    // sysfs-pwm: the pwm chip directory and the red, green, blue channel numbers.
    std::string sysfs_chip = "/sys/class/pwm/pwmchip0";
    int sysfs_channels[3] = {0, 1, 2};
    long sysfs_period_ns = 1'000'000;  // 1 kHz: no visible flicker
    // pigpiod: its socket and the red, green, blue BCM pins.
    std::string pigpiod_host = "127.0.0.1";
    int pigpiod_port = 8888;
    int pigpiod_pins[3] = {19, 26, 13};
};

Result<std::unique_ptr<LedDriver>> make_led_driver(const LedDriverOptions& options);

}  // namespace lampi::lampid
