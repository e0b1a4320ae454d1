// SourceFailures: refused broker logins counted per source address, so an
// operator can see who is knocking. Counting never locks anybody out: broker
// credentials are signed or random, so there is no password to guess, and a
// lockout keyed on something an attacker can send would be a weapon against the
// rightful owner. Only the source's own time without failures resets its count.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace lampi::broker {

class SourceFailures {
public:
    using Clock = std::chrono::steady_clock;
    explicit SourceFailures(Clock::duration window = std::chrono::minutes(10), std::size_t max_sources = 10000)
        : window_(window), max_sources_(max_sources) {}

    // Counts one failure; returns the source's count within the window. Sources
    // quiet for a whole window start again from zero.
    std::size_t record(const std::string& source, Clock::time_point now);
    // Worth a log line: the 1st, 10th, 100th ... failure of a source.
    static bool worth_logging(std::size_t count);
    std::size_t sources() const { return counts_.size(); }

private:
    struct Entry {
        std::size_t count = 0;
        Clock::time_point last;
    };
    void evict(Clock::time_point now);
    Clock::duration window_;
    std::size_t max_sources_;
    std::unordered_map<std::string, Entry> counts_;
};

}  // namespace lampi::broker
