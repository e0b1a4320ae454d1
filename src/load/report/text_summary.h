// The text summary printed at the end of every run.
//
// For publish runs it opens with mqtt-malaria's block, line for line (including
// malaria's spelling "succes", so scripts that grep malaria output keep working),
// then latency percentiles, connect statistics, scenario figures, the broker's
// $SYS figures and a final "Result:" line.
#pragma once

#include <string>

#include "report/run_report.h"

namespace lampi::load {

std::string text_summary(const RunReport& report);
// mqtt-malaria's blocks: one per client, then the aggregate (part of text_summary for
// publish runs; a cluster's controller prints every worker's clients so).
std::string malaria_summary(const std::vector<MalariaClient>& clients, std::uint64_t planned_messages,
                            double duration_s);
// The ramp's step table, knee and outcome (part of text_summary).
std::string ramp_summary(const RampReport& ramp);

}  // namespace lampi::load
