// StopCondition: the rule that ends a ramp (--stop-when 'p95>500ms or fail>1%').
//
// Grammar, case-insensitive, spaces anywhere between tokens:
//   condition := all ("or" all)*
//   all       := test ("and" test)*
//   test      := metric (">" | ">=" | "<" | "<=") number unit
//   metric    := p50 | p90 | p95 | p99 | p<N> (0 < N < 100, e.g. p99.9) | avg | max   (latency: unit ms, s or us)
//              | fail                                                             (failed share: unit %)
// "and" binds tighter than "or", as in most languages. parse() never throws and
// says what is wrong in words with an example; evaluate() reads one step's window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "stats/histogram.h"

namespace lampi::load {

// What one step of the ramp measured: the primary latency and how many operations failed.
struct StepWindow {
    Histogram latency;  // nanoseconds
    std::uint64_t operations = 0;  // finished requests or confirmed messages, failures included
    std::uint64_t failures = 0;
};

class StopCondition {
public:
    static Result<StopCondition> parse(const std::string& text);

    // Whether the condition holds over `window`; `why` (when not null) gets the
    // tests with their measured values, e.g. "p95 612 ms > 500 ms".
    bool holds(const StepWindow& window, std::string* why = nullptr) const;
    const std::string& text() const { return text_; }

private:
    enum class Metric { percentile, avg, max, fail };
    enum class Compare { greater, greater_equal, less, less_equal };
    struct Test {
        Metric metric = Metric::percentile;
        double quantile = 0;  // for percentiles, 0..1
        Compare compare = Compare::greater;
        double threshold = 0;  // milliseconds, or percent for fail
        std::string label;     // as written: "p95"
    };
    // Outer vector: alternatives joined by "or"; inner: tests joined by "and".
    std::vector<std::vector<Test>> any_of_;
    std::string text_;
};

}  // namespace lampi::load
