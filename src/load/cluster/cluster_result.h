// What a controller's workers did, merged: each worker's latest report and
// state, and their sum (counters added, histograms merged bucket by bucket, so
// the totals and percentiles are exactly those of every worker's messages
// together); printed as text or JSON, or shaped as one run's report for the
// CSV and HTML writers.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/worker_report.h"
#include "ramp/ramp_report.h"
#include "report/run_report.h"

namespace lampi::load::cluster {

// What the workers did, merged.
struct ClusterResult {
    struct Worker {
        std::string id;
        int clients = 0;  // its share of the run's clients (cluster/share.h)
        // "done", "failed" (its final report says so), "vanished", "running" (the controller was stopped and
        // its final report did not come within the grace)
        std::string state;
        std::string why;          // for a vanished worker
        double last_heard_s = 0;  // since the start command
        WorkerReport report;      // its latest
    };
    std::string run;
    std::string command;  // the command line divided among the workers, in words
    std::vector<Worker> workers;
    std::array<std::uint64_t, static_cast<std::size_t>(Counter::count_)> counters{};
    Histogram latency;
    Histogram connect;  // every worker's clients' connect -> CONNACK
    // publish runs: every worker's clients in malaria's figures (in worker order), and the messages planned
    std::vector<MalariaClient> malaria_clients;
    std::uint64_t planned_messages = 0;
    std::map<std::string, std::uint64_t> errors;
    std::vector<std::string> failures;
    std::vector<Sample> series;  // per second, merged (cluster/merged_series.h)
    // http runs: the merged per-name figures, users running at the end, Locust's
    // stats history (one row a second), and when the start was sent (Unix s).
    std::optional<RequestTable> requests;
    std::int64_t users = 0;
    // The sum of each worker's most users at once (the most the cluster can have
    // had), and the resident memory per user over the workers that measured it.
    std::int64_t peak_users = 0;
    double memory_per_user_bytes = 0;
    std::vector<RequestHistoryRow> request_history;
    double started_unix_s = 0;
    // A web users' ramp to failure, run by the controller over the workers' merged figures.
    std::optional<RampReport> ramp;
    bool ok() const { return failures.empty(); }
    int clients() const {
        int n = 0;
        for (const auto& w : workers) n += w.clients;
        return n;
    }
};

// Merges the latest report of every worker.
void merge_reports(ClusterResult& result);
// The per-name figures of the workers' latest reports merged, or nothing when none has any.
std::optional<RequestTable> merge_requests(const std::vector<const WorkerReport*>& latest);
std::string cluster_text(const ClusterResult& result);
std::string cluster_json(const ClusterResult& result);
// The merged figures in the shape of one run's report, for the CSV and HTML
// writers a single run uses (report/csv_report.h, report/html_report.h): the
// totals, errors, primary latency, clients, failures, the merged per-second
// series, and for http runs the per-name figures and their history.
RunReport cluster_run_report(const ClusterResult& result);

}  // namespace lampi::load::cluster
