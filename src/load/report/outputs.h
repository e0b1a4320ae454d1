// Where a finished run's report goes: the text summary (or JSON) on stdout, and
// the CSV and HTML files asked for. Returns the process exit code: 0 when the run
// succeeded and every file was written, 1 otherwise.
#pragma once

#include <string>
#include <string_view>

#include "lampi/status.h"
#include "report/run_report.h"

namespace lampi::load {

struct OutputOptions {
    bool json = false;         // JSON on stdout instead of the text summary
    std::string csv_prefix;    // empty: no CSV
    std::string html_path;     // empty: no HTML
};

int emit_report(const RunReport& report, const OutputOptions& options);

// Writes one of the report's files (CSV, HTML) whole or not at all: a full disk
// is an error naming the file, never an empty or cut file. A path that is no
// regular file (/dev/stdout, a pipe) is written as it is.
Status write_report_file(const std::string& path, std::string_view content);

}  // namespace lampi::load
