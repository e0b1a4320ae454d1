// WorkerReport: what a lampi-load worker tells its controller once a second, and
// the topics they meet on, on the platform's own MQTT broker.
//
// Every report is cumulative (the run so far, not the last second), so a lost or
// late report costs nothing but freshness: the controller keeps each worker's
// latest and merges them. The latency histogram travels whole (its non-empty
// buckets and exact sums, stats/histogram.h), so the controller's totals and
// percentiles are exactly those of one histogram of every worker's messages.
// decode_report() never trusts its input.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"
#include "stats/histogram.h"
#include "stats/metrics.h"

namespace lampi::load::cluster {

// Topics. A worker keeps `hello/<id>` retained: "ready", "busy", or "gone" (also
// its Will, so a worker that vanishes says so through the broker).
inline constexpr std::string_view kTopicRoot = "lampi-load/cluster/";
std::string hello_topic(std::string_view worker);
std::string start_topic();
std::string report_topic(std::string_view run, std::string_view worker);

struct WorkerReport {
    std::string worker;
    std::uint64_t seq = 0;  // grows with every report of a run
    double elapsed_s = 0;
    bool done = false;  // the run ended on the worker: these are its final figures
    bool ok = true;     // with done: the worker's run succeeded
    std::array<std::uint64_t, static_cast<std::size_t>(Counter::count_)> counters{};
    Histogram latency;  // the primary latency, the whole run so far
    std::map<std::string, std::uint64_t> errors;
    std::vector<std::string> failures;  // with done: why the worker's run failed
};

std::string encode_report(const WorkerReport& report);
Result<WorkerReport> decode_report(std::string_view text);

// What the controller sends to start a run: its id, the workers that take part
// and the lampi-load command line each runs.
struct StartCommand {
    std::string run;
    std::vector<std::string> workers;
    std::vector<std::string> args;
};

std::string encode_start(const StartCommand& command);
Result<StartCommand> decode_start(std::string_view text);

}  // namespace lampi::load::cluster
