#include "report/html_report.h"

#include <fmt/core.h>


#include "lampi/html.h"
#include "report/html_assets.h"
#include "report/json_report.h"
#include "report/outputs.h"
#include "report/text_summary.h"

namespace lampi::load {
namespace {

// JSON inside <script> must not contain "</": the HTML parser would end the element there.
std::string script_safe(const std::string& json) {
    std::string out;
    out.reserve(json.size());
    for (std::size_t i = 0; i < json.size(); ++i) {
        if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
            out += "<\\/";
            ++i;
        } else {
            out += json[i];
        }
    }
    return out;
}

constexpr const char* kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1000px; color: #222; }
pre { background: #f5f5f5; padding: 1em; overflow-x: auto; font-size: 13px; }
h2 { margin-top: 1.5em; font-size: 1.1em; }
.ok { color: #176f2c; } .failed { color: #b00020; }
table.ramp { border-collapse: collapse; font-size: 13px; }
table.ramp th, table.ramp td { padding: 0.25em 0.75em; text-align: right; border-bottom: 1px solid #ddd; }
table.ramp tr.knee { background: #e6f4ea; font-weight: bold; } table.ramp tr.held { background: #fdecea; }
)css";

// Draws one uPlot chart per group of series columns that the data actually has.
constexpr const char* kCharts = R"js(
(function () {
  const data = JSON.parse(document.getElementById('lampi-load-data').textContent);
  const rows = data.series || [];
  const t = rows.map(r => r.t);
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  function chart(id, title, unit, keys) {
    const present = keys.filter(k => rows.some(r => typeof r[k] === 'number'));
    const el = document.getElementById(id);
    if (!present.length || !rows.length) { el.textContent = title + ': no data'; return; }
    const series = [{ label: 'seconds' }].concat(present.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 2 })));
    const cols = [t].concat(present.map(k => rows.map(r => (typeof r[k] === 'number' ? r[k] : null))));
    new uPlot({ title: title, width: Math.min(960, window.innerWidth - 40), height: 260, series: series,
                axes: [{}, { label: unit }] }, cols, el);
  }
  chart('chart-throughput', 'Throughput', 'messages/s', ['sent_per_s', 'confirmed_per_s', 'received_per_s']);
  chart('chart-latency', 'Latency (' + data.latency_name + ')', 'ms', ['p50_ms', 'p90_ms', 'p99_ms', 'max_ms']);
  chart('chart-connections', 'Connections', 'open', ['connections', 'broker.clients']);
  chart('chart-broker', 'Broker ($SYS)', 'messages/s', ['broker.msgs_received_per_s', 'broker.msgs_sent_per_s',
        'broker.load_received_per_s_1min', 'broker.load_sent_per_s_1min']);
  // A ramp's steps by users: where latency turns up and throughput stops growing.
  const steps = (data.ramp && data.ramp.steps) || [];
  function byUsers(id, title, unit, keys) {
    const el = document.getElementById(id);
    if (!el) return;
    if (!steps.length) { el.textContent = title + ': no finished step'; return; }
    const series = [{ label: 'users' }].concat(keys.map((k, i) => ({ label: k, stroke: palette[i % palette.length], width: 2,
                                                                      points: { show: true } })));
    const cols = [steps.map(s => s.users)].concat(keys.map(k => steps.map(s => s[k])));
    new uPlot({ title: title, width: Math.min(960, window.innerWidth - 40), height: 260, series: series,
                scales: { x: { time: false } }, axes: [{ label: 'users' }, { label: unit }] }, cols, el);
  }
  byUsers('chart-ramp-latency', 'Latency by users', 'ms', ['p50_ms', 'p95_ms', 'p99_ms']);
  byUsers('chart-ramp-throughput', 'Throughput by users', 'operations/s', ['per_s']);
})();
)js";

// The ramp's steps as a table (readable without scripts), the knee and the
// step where the condition held marked, and room for its two charts.
std::string ramp_section(const RampReport& ramp) {
    std::string out = fmt::format("<h2>Ramp to failure</h2>\n<p>+{} users every {:g} s until <code>{}</code>. {}</p>\n",
                                  ramp.step_users, ramp.step_time_s, escape_html(ramp.condition),
                                  ramp.knee_users
                                      ? fmt::format("Knee: <strong>{} users</strong>, the most that kept "
                                                    "the condition off.",
                                                    *ramp.knee_users)
                                      : std::string("Knee: none; the first step already met the condition."));
    out +=
        "<table class=\"ramp\" id=\"ramp-steps\">\n<tr><th>users</th><th>operations</th><th>ops/s</th>"
        "<th>fail %</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>condition</th></tr>\n";
    for (const RampStep& s : ramp.steps) {
        bool knee = ramp.knee_users && *ramp.knee_users == s.users;
        double fail = s.operations ? 100.0 * static_cast<double>(s.failures) / static_cast<double>(s.operations) : 0;
        out += fmt::format(
            "<tr{}><td>{}</td><td>{}</td><td>{:.1f}</td><td>{:.2f}</td><td>{:.1f}</td><td>{:.1f}</td><td>{:.1f}</td>"
            "<td>{}</td></tr>\n",
            knee        ? " class=\"knee\""
            : s.stopped ? " class=\"held\""
                        : "",
            s.users, s.operations, s.per_s, fail, s.p50_ms, s.p95_ms, s.p99_ms,
            s.stopped   ? "held: " + escape_html(s.why)
            : !s.judged ? escape_html(s.why)
                        : std::string(knee ? "knee" : ""));
    }
    out += "</table>\n";
    out += fmt::format("<p>Ramp ended: {}</p>\n", escape_html(ramp.outcome));
    out += "<div id=\"chart-ramp-latency\"></div>\n<div id=\"chart-ramp-throughput\"></div>\n";
    return out;
}

}  // namespace

std::string html_report(const RunReport& report) {
    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    out += fmt::format("<title>lampi-load {} report</title>\n", escape_html(report.scenario));
    out += "<style>";
    out += kChartLibraryCss;
    out += kStyle;
    out += "</style>\n<script>";
    out += kChartLibraryJs;
    out += "</script>\n</head>\n<body>\n";
    out += fmt::format("<h1>lampi-load {}</h1>\n<p>{}</p>\n", escape_html(report.scenario),
                       escape_html(report.description));
    out += fmt::format("<p class=\"{}\">{}</p>\n", report.ok() ? "ok" : "failed", report.ok() ? "Result: OK" : "Result: FAILED");
    out += "<h2>Summary</h2>\n<pre id=\"summary\">" + escape_html(text_summary(report)) + "</pre>\n";
    if (report.ramp) out += ramp_section(*report.ramp);
    out += "<h2>Over time</h2>\n";
    for (const char* id : {"chart-throughput", "chart-latency", "chart-connections", "chart-broker"}) {
        out += fmt::format("<div id=\"{}\"></div>\n", id);
    }
    out += "<script type=\"application/json\" id=\"lampi-load-data\">" + script_safe(json_report(report)) +
           "</script>\n";
    out += "<script>";
    out += kCharts;
    out += "</script>\n</body>\n</html>\n";
    return out;
}

Status write_html_report(const RunReport& report, const std::string& path) {
    return write_report_file(path, html_report(report));
}

}  // namespace lampi::load
