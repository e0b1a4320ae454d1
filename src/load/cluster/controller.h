// The lampi-load controller (`lampi-load controller --workers N -- publish ...`):
// starts one run on N workers through the platform's own MQTT broker and
// aggregates what they report (cluster/worker_report.h).
//
// It waits for N workers announcing "ready", sends each its share of the command
// line (cluster/share.h: the clients and other totals divided among them), keeps
// each worker's latest cumulative report and merges them: counters add up and
// the latency histograms merge bucket by bucket, so the totals and percentiles
// are exactly those of all the workers' messages together. A worker that
// vanishes (its Will says "gone", or it sends nothing for `silence_s` while the
// controller is connected) is reported with the time it was last heard; its
// figures up to then are kept and the run goes on with the others; a newer
// report brings it back. A worker whose run failed, or could not start, says
// why in its final report, and the controller prints it. Hellos and reports
// count only when sealed with the cluster's secret (worker_report.h); others are
// ignored, said once per worker. `publish` and `http` runs are distributed: an
// http run's per-name figures merge too (each name's histogram bucket by
// bucket), and the controller prints and writes Locust's tables and CSV files
// from them, its stats history taken once a second from the workers' latest.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/share.h"
#include "cluster/worker_report.h"
#include "lampi/mqtt_client.h"
#include "report/run_report.h"

namespace lampi::load {
class LiveRun;  // web/live_run.h
}

namespace lampi::load::cluster {

struct ControllerOptions {
    // The broker the workers listen on: host, port, TLS and login (cluster/broker.h).
    MqttOptions broker;
    int workers = 1;
    double wait_workers_s = 30;     // for N workers to be ready
    double silence_s = 5;           // a running worker that sends nothing this long has vanished
    std::vector<std::string> args;  // the lampi-load command line, divided among the workers
    std::string secret;             // shared with the workers: seals the start command (worker_report.h)
    bool json = false;
    std::string csv_prefix;                                   // --csv: the merged figures as a single run writes them
    std::string html_path;                                    // --report
    std::size_t max_message_bytes = kDefaultMaxMessageBytes;  // the broker's message_size_limit (worker_report.h)
    // What a worker's parser would refuse in a share ("" when it runs), so a share
    // that cannot run is refused before any worker is waited for; main() gives
    // lampi-load's own. Unset: no check.
    std::function<std::string(const std::vector<std::string>& args)> share_problem;
    // publish's options that take a value, spelled as given (`-c`, `--topic`): main() gives lampi-load's own.
    std::vector<std::string> options_with_values;
    // --web: serves the live page of a web users' run (LiveRun: the merged figures,
    // and users, spawn rate, stop and quit steered from the page) until what it
    // returns is gone; main() gives lampi-load's WebConsole. Unset: no page.
    std::function<Result<std::shared_ptr<void>>(LiveRun& live)> serve_web;
};

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

// 0 every worker's run succeeded, 1 one failed or vanished, 2 the setup failed
// (the broker, the command line, too few workers).
int run_controller(const ControllerOptions& options, const std::atomic<bool>& stop);

}  // namespace lampi::load::cluster
