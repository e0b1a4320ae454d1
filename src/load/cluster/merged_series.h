// The controller's per-second series, made from the workers' reports.
//
// A report carries the run so far (counters and the latency histogram since the
// worker's start), not its seconds. Each second the controller takes every
// worker's latest report: what a worker gained since its previous one, over the
// time its own clock says passed between them, is its rate; the rates add up
// over the workers, and the gained histograms merge into that second's
// percentiles. A worker with no news that second (its report lost or late) counts
// at its last rate until the next report, which covers the time missed; a worker
// whose run is over counts at zero.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cluster/worker_report.h"
#include "stats/collector.h"

namespace lampi::load::cluster {

class MergedSeries {
public:
    // One sample `elapsed_s` into the run (the controller's clock), from each
    // taking part worker's latest report (a worker not heard from yet is left out).
    void sample(double elapsed_s, const std::vector<const WorkerReport*>& latest);
    const std::vector<Sample>& samples() const { return samples_; }

private:
    struct Seen {
        WorkerReport report;  // the last one a sample used
        double sent_per_s = 0, completed_per_s = 0, received_per_s = 0;
    };
    std::map<std::string, Seen> seen_;
    std::vector<Sample> samples_;
};

}  // namespace lampi::load::cluster
