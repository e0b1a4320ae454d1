// The machine-readable report (--json): one JSON object with the totals,
// percentiles, scenario figures, broker figures, failures and the series.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "report/run_report.h"

namespace lampi::load {

boost::json::value to_json(const RunReport& report);
// A latency histogram's count, mean, spread and percentiles, in ms, as the report gives them.
boost::json::object latency_json(const Histogram& histogram);
// A counter's name in the report ("sent", "confirmed", ...).
const char* counter_name(Counter counter);
// A ramp to failure's steps, knee and outcome.
boost::json::object ramp_to_json(const RampReport& ramp);
boost::json::array series_to_json(const std::vector<Sample>& series);
// An HTTP run's per-name figures and its failures by error, as "requests" and
// "request_failures" of `out`.
void add_requests_json(const RequestTable& table, boost::json::object& out);
std::string json_report(const RunReport& report);

}  // namespace lampi::load
