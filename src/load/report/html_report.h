// The HTML report (--report FILE.html): one self-contained page, no network
// needed to open it. It holds the text summary, the run's data as JSON in a
// <script type="application/json" id="lampi-load-data"> element (so tools can
// read it back), and charts over time drawn by the inlined uPlot: throughput,
// latency percentiles, connections and, with --sys, the broker's load.
#pragma once

#include <string>

#include "lampi/status.h"
#include "report/run_report.h"

namespace lampi::load {

std::string html_report(const RunReport& report);
Status write_html_report(const RunReport& report, const std::string& path);

}  // namespace lampi::load
