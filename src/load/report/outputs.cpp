#include "report/outputs.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <fstream>

#include "lampi/files.h"
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

Status write_report_file(const std::string& path, std::string_view content) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        std::ofstream out(path, std::ios::binary);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.close();
        if (!out) return Status::error(fmt::format("cannot write {}", path));
        return Status::ok();
    }
    // Reports are read after the run, not after a power loss: the file's fsync suffices.
    return write_file_atomically(path, content, 0644, Durability::file);
}

}  // namespace lampi::load
