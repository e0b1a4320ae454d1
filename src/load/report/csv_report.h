// Per-second series as CSV (--csv PREFIX writes PREFIX_series.csv and
// PREFIX_summary.csv), for spreadsheets and plotting scripts.
#pragma once

#include <string>

#include "lampi/status.h"
#include "report/run_report.h"

namespace lampi::load {

std::string series_csv(const std::vector<Sample>& series);
std::string summary_csv(const RunReport& report);
Status write_csv_reports(const RunReport& report, const std::string& prefix);

}  // namespace lampi::load
