#include "report/progress.h"

#include <fmt/core.h>

namespace lampi::load {

std::string progress_line(const Sample& s, std::size_t planned_connections) {
    std::string line = fmt::format("[{:6.1f}s] conn {}/{}  out {:.0f}/s  in {:.0f}/s  p99 {:.2f} ms  errors {}",
                                   s.elapsed_s, s.connections, planned_connections, s.sent_per_s, s.received_per_s,
                                   s.p99_ms, s.errors);
    if (auto it = s.extra.find("broker.clients"); it != s.extra.end()) {
        line += fmt::format("  broker clients {:.0f}", it->second);
    }
    return line;
}

}  // namespace lampi::load
