// Where a finished run's report goes: the text summary (or JSON) on stdout, and
// the CSV and HTML files asked for. Returns the process exit code: 0 when the run
// succeeded and every file was written, 1 otherwise.
#pragma once

#include <string>

#include "report/run_report.h"

namespace lampi::load {

struct OutputOptions {
    bool json = false;         // JSON on stdout instead of the text summary
    std::string csv_prefix;    // empty: no CSV
    std::string html_path;     // empty: no HTML
};

int emit_report(const RunReport& report, const OutputOptions& options);

}  // namespace lampi::load
