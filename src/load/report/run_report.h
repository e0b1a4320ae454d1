// RunReport: everything one run measured, in the shape every output format reads
// (text summary, JSON, CSV, HTML). Scenario-neutral: a scenario fills `figures`
// with what only it knows (loss, duplicates, command latency, ...).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "stats/collector.h"

namespace lampi::load {

struct Figure {
    std::string key;    // JSON / CSV name, snake_case
    std::string label;  // words for the text summary
    double value = 0;
    std::string unit;   // "", "ms", "msg/s", ...
};

struct RunReport {
    std::string scenario;             // "publish", "subscribe", "fleet"
    std::string description;          // one line: what was run against what
    std::string primary_latency;      // what Latency::primary timed, e.g. "publish -> PUBACK"
    double duration_s = 0;            // wall time of the whole run
    RunTotals totals;
    std::vector<Sample> series;
    std::vector<Figure> figures;
    std::map<std::string, double> broker;  // last $SYS snapshot (empty without --sys)
    // The malaria block: messages attempted per the plan, and whether to print it.
    bool malaria_block = false;
    std::uint64_t planned_messages = 0;
    int clients = 0;
    std::vector<std::string> failures;  // why this run counts as failed

    bool ok() const { return failures.empty(); }
};

}  // namespace lampi::load
