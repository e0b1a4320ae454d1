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

#include "cluster/cluster_result.h"
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

// 0 every worker's run succeeded, 1 one failed or vanished, 2 the setup failed
// (the broker, the command line, too few workers).
int run_controller(const ControllerOptions& options, const std::atomic<bool>& stop);

}  // namespace lampi::load::cluster
