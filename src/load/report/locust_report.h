// Locust's end-of-run report and CSV files for HTTP runs, so whoever reads
// Locust's output (a person or a script) reads ours the same way: the request
// table, the "Response time percentiles (approximated)" table, the error
// report, and PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv,
// PREFIX_exceptions.csv with Locust 2.12's columns (tests/load compares the
// headers with what Debian's locust writes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "report/run_report.h"

namespace lampi::load {

// One CSV row as Python's csv.writer writes it (QUOTE_MINIMAL, "\r\n").
std::string csv_row(const std::vector<std::string>& fields);

// The percentiles Locust reports, as fractions, and their column names ("99.9%").
const std::vector<double>& locust_percentiles();
std::vector<std::string> locust_percentile_names();

// Fills the summary figures of `row` from the whole run so far.
void summarise_for_history(const RequestEntry& total, RequestHistoryRow& row);
// The history row `timestamp` (Unix s) with `users` running, from the whole run
// so far: its summary, and Locust's "current" rates over the rows of the last
// ten seconds in `before`.
RequestHistoryRow next_history_row(const RequestEntry& total, std::int64_t users, std::int64_t timestamp,
                                   const std::vector<RequestHistoryRow>& before);

// The three tables Locust prints when a run ends (the error report only with errors).
std::string locust_tables(const RunReport& report);

// The four files' contents: PREFIX_stats.csv, _stats_history.csv, _failures.csv, _exceptions.csv.
struct LocustCsv {
    std::string stats, history, failures, exceptions;
};
LocustCsv locust_csv(const RunReport& report);

Status write_locust_csv(const RunReport& report, const std::string& prefix);

}  // namespace lampi::load
