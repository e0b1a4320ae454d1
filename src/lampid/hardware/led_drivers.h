// The LedDriver implementations; make_led_driver picks one from the options.
#pragma once

#include <string>

#include "led_driver.h"

namespace lampi::lampid {

class SimulatedLed final : public LedDriver {
public:
    explicit SimulatedLed(std::string output_file = "");
    Status set_duty(const RgbDuty& duty) override;
    std::string describe() const override;
    const RgbDuty& current() const { return current_; }

private:
    std::string output_file_;
    RgbDuty current_;
};

// Linux PWM through /sys/class/pwm/pwmchipN: export, period, duty_cycle, enable.
class SysfsPwmLed final : public LedDriver {
public:
    static Result<std::unique_ptr<SysfsPwmLed>> open(const std::string& chip, const int channels[3],
                                                     long period_ns);
    Status set_duty(const RgbDuty& duty) override;
    std::string describe() const override;

private:
    SysfsPwmLed(std::string chip, const int channels[3], long period_ns);
    std::string chip_;
    int channels_[3];
    long period_ns_;
};

// pigpiod's socket protocol (16-byte commands): one TCP connection, PWM per pin.
class PigpiodLed final : public LedDriver {
public:
    static Result<std::unique_ptr<PigpiodLed>> open(const std::string& host, int port, const int pins[3]);
    ~PigpiodLed() override;
    Status set_duty(const RgbDuty& duty) override;
    std::string describe() const override;

private:
    PigpiodLed(int socket, std::string endpoint, const int pins[3]);
    Result<int> command(unsigned cmd, unsigned p1, unsigned p2);
    int socket_;
    std::string endpoint_;
    int pins_[3];
};

}  // namespace lampi::lampid
