// LogLimiter: at most N log lines a second for one kind of event, the rest
// counted, so a flood of bad input cannot fill the disk with log lines.
#pragma once

#include <cstdint>

#include "clock.h"

namespace lampi::lampid {

class LogLimiter {
public:
    explicit LogLimiter(int lines_per_second) : lines_per_second_(lines_per_second) {}

    // True when a line may be written at `now`. When a new one-second window
    // opens, `*suppressed` gets how many lines the previous windows held back
    // (write one line saying so), else 0.
    bool allow(Clock::SteadyTime now, std::uint64_t* suppressed) {
        *suppressed = 0;
        if (now - window_start_ >= std::chrono::seconds(1)) {
            *suppressed = held_back_;
            held_back_ = 0;
            lines_ = 0;
            window_start_ = now;
        }
        if (lines_ < lines_per_second_) {
            ++lines_;
            return true;
        }
        ++held_back_;
        return false;
    }

private:
    int lines_per_second_;
    Clock::SteadyTime window_start_{};
    int lines_ = 0;
    std::uint64_t held_back_ = 0;
};

}  // namespace lampi::lampid
