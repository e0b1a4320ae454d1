// Per-second series as CSV (--csv PREFIX writes PREFIX_series.csv and
// PREFIX_summary.csv), for spreadsheets and plotting scripts. A ramp to failure
// adds PREFIX_ramp.csv, one row per step, for MQTT and HTTP runs alike.
#pragma once

#include <string>

#include "lampi/status.h"
#include "report/run_report.h"

namespace lampi::load {

std::string series_csv(const std::vector<Sample>& series);
std::string summary_csv(const RunReport& report);
std::string ramp_csv(const RampReport& ramp);
Status write_csv_reports(const RunReport& report, const std::string& prefix);

}  // namespace lampi::load
