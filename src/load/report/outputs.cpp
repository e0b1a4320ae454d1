#include "report/outputs.h"

#include <fmt/core.h>

#include "lampi/log.h"
#include "report/csv_report.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "report/text_summary.h"

namespace lampi::load {

int emit_report(const RunReport& report, const OutputOptions& options) {
    if (options.json) {
        fmt::print("{}\n", json_report(report));
    } else {
        fmt::print("{}", text_summary(report));
    }
    std::fflush(stdout);
    int code = report.ok() ? 0 : 1;
    if (!options.csv_prefix.empty()) {
        if (Status s = write_csv_reports(report, options.csv_prefix); !s) {
            log::error("{}", s.message());
            code = 1;
        }
    }
    if (!options.html_path.empty()) {
        if (Status s = write_html_report(report, options.html_path); !s) {
            log::error("{}", s.message());
            code = 1;
        }
    }
    return code;
}

}  // namespace lampi::load
