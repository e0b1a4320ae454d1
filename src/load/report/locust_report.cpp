#include "report/locust_report.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "report/outputs.h"
#include "run/clock.h"

namespace lampi::load {
namespace {

// Locust's column widths when stdout is not a terminal.
constexpr int kTypeWidth = 8;
constexpr int kNameWidth = 80;


// Locust keeps response times rounded to two significant digits above 100 ms
// (147 -> 150, 3432 -> 3400), and its percentiles are those rounded values.
std::int64_t locust_rounded(double milliseconds) {
    if (milliseconds < 100) return std::llround(milliseconds);
    if (milliseconds < 1000) return std::llround(milliseconds / 10) * 10;
    if (milliseconds < 10000) return std::llround(milliseconds / 100) * 100;
    return std::llround(milliseconds / 1000) * 1000;
}

std::int64_t percentile_ms(const RequestEntry& e, double q) {
    if (q >= 1.0) return locust_rounded(ns_to_ms(static_cast<double>(e.times.max())));
    return locust_rounded(ns_to_ms(static_cast<double>(e.times.percentile(q))));
}

// Median clamped to min/max, as Locust does for entries with few slow requests.
std::int64_t median_ms(const RequestEntry& e) {
    if (e.requests == 0) return 0;
    auto m = static_cast<double>(percentile_ms(e, 0.5));
    m = std::min(m, ns_to_ms(static_cast<double>(e.times.max())));
    m = std::max(m, ns_to_ms(static_cast<double>(e.times.min())));
    return static_cast<std::int64_t>(m);
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

// A float as Python's str() writes it in a CSV (12.0, 0.5, 1e-05).
std::string py_float(double v) {
    std::string s = fmt::format("{}", v);
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
}

struct Named {
    std::string method, name;
    const RequestEntry* entry;
};

std::vector<Named> rows_with_total(const RequestTable& table, const RequestEntry& total) {
    std::vector<Named> rows;
    for (const auto& [key, entry] : table.entries) rows.push_back({key.first, key.second, &entry});
    rows.push_back({"", "Aggregated", &total});
    return rows;
}

std::string stats_line(const Named& r, double seconds) {
    const RequestEntry& e = *r.entry;
    std::string type = r.method.empty() ? "" : r.method + " ";
    return fmt::format("{:<{}} {:<{}} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} | {:>7.2f} {:>11.2f}", type, kTypeWidth,
                       r.name, kNameWidth - kTypeWidth + 4, e.requests,
                       fmt::format("{}({:.2f}%)", e.failures,
                                   100 * ratio(static_cast<double>(e.failures), static_cast<double>(e.requests))),
                       static_cast<std::int64_t>(ns_to_ms(e.times.mean())),
                       static_cast<std::int64_t>(ns_to_ms(static_cast<double>(e.times.min()))),
                       static_cast<std::int64_t>(ns_to_ms(static_cast<double>(e.times.max()))), median_ms(e),
                       ratio(static_cast<double>(e.requests), seconds),
                       ratio(static_cast<double>(e.failures), seconds));
}

double run_seconds(const RunReport& r) {
    return r.requests && r.requests->last_request_s > 0 ? r.requests->last_request_s - r.requests_started_s : 0;
}

}  // namespace

namespace {

// Python csv's QUOTE_MINIMAL.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string csv_row(const std::vector<std::string>& fields) {
    std::string out;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        out += csv_field(fields[i]);
    }
    return out + "\r\n";  // Python's csv.writer ends rows so
}

const std::vector<double>& locust_percentiles() {
    static const std::vector<double> p{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0};
    return p;
}

std::vector<std::string> locust_percentile_names() {
    return {"50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"};
}

void summarise_for_history(const RequestEntry& total, RequestHistoryRow& row) {
    row.requests = total.requests;
    row.failures = total.failures;
    row.median_ms = median_ms(total);
    row.average_ms = ns_to_ms(total.times.mean());
    row.min_ms = ns_to_ms(static_cast<double>(total.times.min()));
    row.max_ms = ns_to_ms(static_cast<double>(total.times.max()));
    row.average_content = ratio(static_cast<double>(total.content_bytes), static_cast<double>(total.requests));
    row.percentiles_ms.clear();
    if (total.requests == 0) return;
    for (double q : locust_percentiles()) row.percentiles_ms.push_back(percentile_ms(total, q));
}

RequestHistoryRow next_history_row(const RequestEntry& total, std::int64_t users, std::int64_t timestamp,
                                   const std::vector<RequestHistoryRow>& before) {
    RequestHistoryRow row;
    row.timestamp = timestamp;
    row.users = users;
    summarise_for_history(total, row);
    std::size_t back = std::min<std::size_t>(before.size(), 10);
    if (back > 0) {
        const RequestHistoryRow& then = before[before.size() - back];
        auto span = static_cast<double>(row.timestamp - then.timestamp);
        if (span > 0) {
            row.requests_per_s = static_cast<double>(row.requests - then.requests) / span;
            row.failures_per_s = static_cast<double>(row.failures - then.failures) / span;
        }
    }
    return row;
}

std::string locust_tables(const RunReport& report) {
    if (!report.requests) return {};
    const RequestTable& table = *report.requests;
    RequestEntry total = table.total();
    double seconds = run_seconds(report);
    const int name_width = kNameWidth - kTypeWidth + 4;
    std::string out;
    std::string separator = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n", std::string(kTypeWidth, '-'),
                                        std::string(static_cast<std::size_t>(name_width), '-'), std::string(7, '-'),
                                        std::string(13, '-'), std::string(7, '-'), std::string(7, '-'),
                                        std::string(7, '-'), std::string(7, '-'), std::string(8, '-'),
                                        std::string(11, '-'));
    out += fmt::format("{:<{}} {:<{}} {:>7} {:>12} |{:>7} {:>7} {:>7}{:>7} | {:>7} {:>11}\n", "Type", kTypeWidth,
                       "Name", name_width, "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s");
    out += separator;
    std::vector<Named> rows = rows_with_total(table, total);
    for (std::size_t i = 0; i + 1 < rows.size(); ++i) out += stats_line(rows[i], seconds) + "\n";
    out += separator;
    out += stats_line(rows.back(), seconds) + "\n\n";

    // Locust's header names the first number column "50%" and the last "# reqs",
    // and its rows hold the percentiles first and the count last: kept so.
    out += "Response time percentiles (approximated)\n";
    std::vector<std::string> names = locust_percentile_names();
    names.emplace_back("# reqs");
    out += fmt::format("{:<{}} {:<{}} {:>8}", "Type", kTypeWidth, "Name", kNameWidth, names[0]);
    for (std::size_t i = 1; i < names.size(); ++i) out += fmt::format(" {:>6}", names[i]);
    out += "\n";
    std::string pseparator =
        fmt::format("{}|{}|{}", std::string(kTypeWidth, '-'), std::string(kNameWidth, '-'), std::string(8, '-'));
    for (std::size_t i = 1; i < names.size(); ++i) pseparator += "|" + std::string(6, '-');
    out += pseparator + "\n";
    auto percentile_line = [&](const Named& r) {
        const std::vector<double>& qs = locust_percentiles();
        std::string line = fmt::format("{:<{}} {:<{}} {:>8}", r.method, kTypeWidth, r.name, kNameWidth,
                                       percentile_ms(*r.entry, qs[0]));
        for (std::size_t i = 1; i < qs.size(); ++i) line += fmt::format(" {:>6}", percentile_ms(*r.entry, qs[i]));
        return line + fmt::format(" {:>6}\n", r.entry->requests);
    };
    for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
        if (rows[i].entry->requests) out += percentile_line(rows[i]);
    }
    out += pseparator + "\n";
    if (total.requests) out += percentile_line(rows.back());
    out += "\n";

    if (!table.failures.empty()) {
        out += "Error report\n";
        out += fmt::format("{:<18} {:<100}\n", "# occurrences", "Error");
        std::string eseparator = std::string(18, '-') + "|" + std::string(80 + kNameWidth - 19, '-') + "\n";
        out += eseparator;
        for (const auto& [key, n] : table.failures) {
            const auto& [method, name, error] = key;
            out += fmt::format("{:<18} {:<100}\n", n, fmt::format("{} {}: {}", method, name, error));
        }
        out += eseparator + "\n";
    }
    return out;
}

LocustCsv locust_csv(const RunReport& report) {
    RequestTable empty;
    const RequestTable& table = report.requests ? *report.requests : empty;
    RequestEntry total = table.total();
    double seconds = run_seconds(report);
    std::vector<std::string> percentile_names = locust_percentile_names();

    std::vector<std::string> header{"Type",
                                    "Name",
                                    "Request Count",
                                    "Failure Count",
                                    "Median Response Time",
                                    "Average Response Time",
                                    "Min Response Time",
                                    "Max Response Time",
                                    "Average Content Size",
                                    "Requests/s",
                                    "Failures/s"};
    header.insert(header.end(), percentile_names.begin(), percentile_names.end());
    std::string stats = csv_row(header);
    for (const Named& r : rows_with_total(table, total)) {
        const RequestEntry& e = *r.entry;
        std::vector<std::string> row{r.method,
                                     r.name,
                                     std::to_string(e.requests),
                                     std::to_string(e.failures),
                                     std::to_string(median_ms(e)),
                                     py_float(ns_to_ms(e.times.mean())),
                                     e.requests ? py_float(ns_to_ms(static_cast<double>(e.times.min()))) : "0",
                                     py_float(ns_to_ms(static_cast<double>(e.times.max()))),
                                     py_float(
                                         ratio(static_cast<double>(e.content_bytes), static_cast<double>(e.requests))),
                                     py_float(ratio(static_cast<double>(e.requests), seconds)),
                                     py_float(ratio(static_cast<double>(e.failures), seconds))};
        for (double q : locust_percentiles()) row.push_back(e.requests ? std::to_string(percentile_ms(e, q)) : "N/A");
        stats += csv_row(row);
    }

    std::vector<std::string> history_header{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"};
    history_header.insert(history_header.end(), percentile_names.begin(), percentile_names.end());
    for (const char* h :
         {"Total Request Count", "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
          "Total Min Response Time", "Total Max Response Time", "Total Average Content Size"})
        history_header.emplace_back(h);
    std::string history = csv_row(history_header);
    for (const RequestHistoryRow& h : report.request_history) {
        std::vector<std::string> row{std::to_string(h.timestamp),
                                     std::to_string(h.users),
                                     "",
                                     "Aggregated",
                                     fmt::format("{:.6f}", h.requests_per_s),
                                     fmt::format("{:.6f}", h.failures_per_s)};
        for (std::size_t i = 0; i < percentile_names.size(); ++i)
            row.push_back(h.percentiles_ms.empty() ? "N/A" : std::to_string(h.percentiles_ms[i]));
        row.push_back(std::to_string(h.requests));
        row.push_back(std::to_string(h.failures));
        row.push_back(std::to_string(h.median_ms));
        row.push_back(py_float(h.average_ms));
        row.push_back(h.requests ? py_float(h.min_ms) : "0");
        row.push_back(py_float(h.max_ms));
        row.push_back(py_float(h.average_content));
        history += csv_row(row);
    }

    std::string failures = csv_row({"Method", "Name", "Error", "Occurrences"});
    for (const auto& [key, n] : table.failures) {
        const auto& [method, name, error] = key;
        failures += csv_row({method, name, error, std::to_string(n)});
    }

    // Locust lists exceptions raised in the users' own code; ours are the flow's
    // problems that are no request's failure (a login page without a token).
    std::string exceptions = csv_row({"Count", "Message", "Traceback", "Nodes"});
    for (const auto& [reason, n] : report.totals.error_reasons)
        exceptions += csv_row({std::to_string(n), reason, "", "local"});
    return LocustCsv{std::move(stats), std::move(history), std::move(failures), std::move(exceptions)};
}

Status write_locust_csv(const RunReport& report, const std::string& prefix) {
    LocustCsv csv = locust_csv(report);
    for (const auto& [suffix, content] :
         {std::pair{"_stats.csv", &csv.stats}, std::pair{"_stats_history.csv", &csv.history},
          std::pair{"_failures.csv", &csv.failures}, std::pair{"_exceptions.csv", &csv.exceptions}}) {
        if (Status s = write_report_file(prefix + suffix, *content); !s) return s;
    }
    return Status::ok();
}

}  // namespace lampi::load
