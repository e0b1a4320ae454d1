// RunReport: everything one run measured, in the shape every output format reads
// (text summary, JSON, CSV, HTML). Scenario-neutral: a scenario fills `figures`
// with what only it knows (loss, duplicates, command latency, ...).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ramp/ramp_report.h"
#include "stats/collector.h"
#include "stats/request_stats.h"

namespace lampi::load {

struct Figure {
    std::string key;    // JSON / CSV name, snake_case
    std::string label;  // words for the text summary
    double value = 0;
    std::string unit;   // "", "ms", "msg/s", ...
};

// One row of Locust's stats history (the Aggregated line), taken once a second.
struct RequestHistoryRow {
    std::int64_t timestamp = 0;  // Unix seconds
    std::int64_t users = 0;
    double requests_per_s = 0;  // over the last ten seconds, as Locust's "current" rate
    double failures_per_s = 0;
    // The whole run so far; response times in milliseconds.
    std::uint64_t requests = 0, failures = 0;
    std::int64_t median_ms = 0;
    double average_ms = 0, min_ms = 0, max_ms = 0, average_content = 0;
    std::vector<std::int64_t> percentiles_ms;  // Locust's percentiles; empty before any request
};

// One publishing client's figures as mqtt-malaria prints them per process.
struct MalariaClient {
    std::string clientid;
    std::uint64_t count_ok = 0, count_total = 0;
    double mean_ms = 0, stddev_ms = 0, min_ms = 0, max_ms = 0;
    double msgs_per_sec = 0;
    double time_total_s = 0;  // first publish to last confirmation
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
    // --watch-pid/--watch-name: "proc.<name>.<pid>.<figure>.mean|.max", "host.net_*.mean|.max".
    std::map<std::string, double> host;
    // The malaria block: messages attempted per the plan, and whether to print it.
    bool malaria_block = false;
    std::uint64_t planned_messages = 0;
    int clients = 0;
    std::vector<MalariaClient> malaria_clients;  // publish: one block each, in client order
    std::vector<std::string> failures;  // why this run counts as failed
    // HTTP runs: per-name figures the way Locust reports them.
    std::optional<RequestTable> requests;
    std::vector<RequestHistoryRow> request_history;
    double requests_started_s = 0;  // Unix time the users started
    // A ramp to failure's steps and knee (--step-users).
    std::optional<RampReport> ramp;

    bool ok() const { return failures.empty(); }
};

}  // namespace lampi::load
