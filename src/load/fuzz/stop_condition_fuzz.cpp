// Fuzzes the ramp's --stop-when parser (ramp/stop_condition.h): it never
// crashes, every refusal says what is wrong and shows an example, and whatever
// it accepts evaluates on empty and busy windows without trouble.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ramp/stop_condition.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lampi::load::StepWindow;
    using lampi::load::StopCondition;
    std::string text(reinterpret_cast<const char*>(data), size);
    auto condition = StopCondition::parse(text);
    if (!condition) {
        check(condition.status().message().find("e.g. --stop-when") != std::string::npos);
        return 0;
    }
    check(condition->text() == text);
    StepWindow empty;
    std::string why;
    condition->holds(empty, &why);
    StepWindow busy;
    for (std::int64_t ns = 1'000; ns < 10'000'000'000; ns *= 3) busy.latency.record(ns);
    busy.operations = 1000;
    busy.failures = 17;
    if (condition->holds(busy, &why)) check(!why.empty());
    return 0;
}
