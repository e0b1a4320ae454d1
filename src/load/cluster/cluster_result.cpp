#include "cluster/cluster_result.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include <algorithm>

#include "report/json_report.h"
#include "report/locust_report.h"
#include "report/text_summary.h"

namespace lampi::load::cluster {
namespace {

namespace json = boost::json;

std::string latency_line(const Histogram& h) {
    auto ms = [](std::int64_t ns) { return static_cast<double>(ns) / 1e6; };
    return fmt::format("p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}  max {:.3f} ms (n={})", ms(h.percentile(0.5)),
                       ms(h.percentile(0.9)), ms(h.percentile(0.99)), ms(h.percentile(0.999)), ms(h.max()), h.count());
}

}  // namespace

std::optional<RequestTable> merge_requests(const std::vector<const WorkerReport*>& latest) {
    std::optional<RequestTable> merged;
    for (const WorkerReport* r : latest) {
        if (!r->requests) continue;
        if (!merged) merged.emplace();
        merged->merge(*r->requests);
    }
    return merged;
}

namespace {

// The longest of the workers' runs: the cluster's.
double longest_run_s(const ClusterResult& r) {
    double longest = 0;
    for (const auto& w : r.workers) longest = std::max(longest, w.report.elapsed_s);
    return longest;
}

}  // namespace

void merge_reports(ClusterResult& result) {
    result.counters = {};
    result.latency.reset();
    result.connect.reset();
    result.malaria_clients.clear();
    result.planned_messages = 0;
    result.errors.clear();
    result.failures.clear();
    result.users = 0;
    result.peak_users = 0;
    result.memory_per_user_bytes = 0;
    std::vector<const WorkerReport*> latest;
    for (const auto& w : result.workers) latest.push_back(&w.report);
    result.requests = merge_requests(latest);
    // A web users' report leaves out its primary latency: the total of its requests is it.
    if (result.requests) result.latency = result.requests->total().times;
    for (const ClusterResult::Worker& w : result.workers) {
        for (std::size_t i = 0; i < result.counters.size(); ++i) result.counters[i] += w.report.counters[i];
        result.users += w.report.users;
        result.peak_users += w.report.peak_users;
        if (!result.requests) result.latency.merge(w.report.latency);
        result.connect.merge(w.report.connect);
        result.malaria_clients.insert(result.malaria_clients.end(), w.report.malaria_clients.begin(),
                                      w.report.malaria_clients.end());
        result.planned_messages += w.report.planned_messages;
        for (const auto& [reason, n] : w.report.errors) result.errors[reason] += n;
        if (w.state == "vanished") {
            result.failures.push_back(
                fmt::format("worker {} vanished {:.1f} s into the run: {}", w.id, w.last_heard_s, w.why));
        } else if (w.state != "done" && w.state != "failed") {
            result.failures.push_back(fmt::format("worker {} had not finished when the controller stopped", w.id));
        } else {
            for (const auto& f : w.report.failures) result.failures.push_back(fmt::format("worker {}: {}", w.id, f));
            if (!w.report.ok && w.report.failures.empty())
                result.failures.push_back(fmt::format("worker {}: its run failed", w.id));
        }
    }
    // Each worker's memory above its idle process, added, over their users added.
    double memory = 0, users = 0;
    for (const ClusterResult::Worker& w : result.workers) {
        if (w.report.memory_per_user_bytes <= 0 || w.report.peak_users <= 0) continue;
        memory += w.report.memory_per_user_bytes * static_cast<double>(w.report.peak_users);
        users += static_cast<double>(w.report.peak_users);
    }
    if (users > 0) result.memory_per_user_bytes = memory / users;
}

std::string cluster_text(const ClusterResult& r) {
    // Web users, also when no worker's run started to report requests.
    const bool http = r.requests.has_value() || r.command.starts_with("http ");
    std::string out;
    // An http run opens with Locust's tables, as one run does.
    if (r.requests) out += locust_tables(cluster_run_report(r));
    // A publish run opens with malaria's blocks, as one run does: every worker's clients, then their aggregate.
    if (!http && !r.malaria_clients.empty())
        out += malaria_summary(r.malaria_clients, r.planned_messages, longest_run_s(r));
    out +=
        fmt::format("Run {} on {} workers, {} {}:\n", r.run, r.workers.size(), r.clients(), http ? "users" : "clients");
    for (const auto& w : r.workers) {
        std::string figures;
        if (http) {
            RequestEntry total = w.report.requests ? w.report.requests->total() : RequestEntry{};
            figures = fmt::format("{} requests, {} failed", total.requests, total.failures);
        } else {
            figures = fmt::format("{} sent, {} confirmed", w.report.counters[static_cast<std::size_t>(Counter::sent)],
                                  w.report.counters[static_cast<std::size_t>(Counter::completed)]);
        }
        out += fmt::format("  {}: {} {}, {}{} ({}, last heard {:.1f} s)\n", w.id, w.clients, http ? "users" : "clients",
                           w.state, w.why.empty() ? "" : " - " + w.why, figures, w.last_heard_s);
    }
    if (http) {
        RequestEntry total = r.requests ? r.requests->total() : RequestEntry{};
        out += fmt::format("Requests: {} made, {} failed\n", total.requests, total.failures);
        out += fmt::format("Response time (every worker's requests): {}\n", latency_line(r.latency));
        out += fmt::format("Users: {} most at once (each worker's most, added)", r.peak_users);
        if (r.memory_per_user_bytes > 0)
            out += fmt::format("; {:.1f} KiB resident memory per user", r.memory_per_user_bytes / 1024);
        out += "\n";
    } else {
        out += fmt::format("Messages: {} sent, {} confirmed, {} errors\n",
                           r.counters[static_cast<std::size_t>(Counter::sent)],
                           r.counters[static_cast<std::size_t>(Counter::completed)],
                           r.counters[static_cast<std::size_t>(Counter::errors)]);
        out += fmt::format("Latency (publish -> confirmation, every worker's messages): {}\n", latency_line(r.latency));
        if (r.connect.count() > 0)
            out += fmt::format("Connect (connect -> CONNACK, every worker's clients): {}\n", latency_line(r.connect));
    }
    for (const auto& [reason, n] : r.errors) out += fmt::format("Error x{}: {}\n", n, reason);
    if (r.ramp) out += ramp_summary(*r.ramp);
    for (const auto& f : r.failures) out += fmt::format("Failure: {}\n", f);
    out += r.ok() ? "Result: OK\n" : "Result: FAILED\n";
    return out;
}

std::string cluster_json(const ClusterResult& r) {
    auto counters_json = [](const auto& counters) {
        json::object o;
        for (std::size_t i = 0; i < counters.size(); ++i) o[counter_name(static_cast<Counter>(i))] = counters[i];
        return o;
    };
    json::array workers;
    for (const auto& w : r.workers) {
        // A worker's own fields, written out as json_report.cpp writes a run's records.
        workers.push_back(json::object{{"id", w.id},
                                       {"clients", w.clients},
                                       {"state", w.state},
                                       {"why", w.why},
                                       {"last_heard_s", w.last_heard_s},
                                       {"counters", counters_json(w.report.counters)},
                                       {"latency", latency_json(w.report.latency)}});
        if (w.report.requests) {
            RequestEntry total = w.report.requests->total();
            workers.back().as_object()["requests"] = total.requests;
            workers.back().as_object()["request_failures"] = total.failures;
            workers.back().as_object()["peak_users"] = w.report.peak_users;
            if (w.report.memory_per_user_bytes > 0)
                workers.back().as_object()["memory_per_user_bytes"] = w.report.memory_per_user_bytes;
        }
    }
    json::object errors;
    for (const auto& [reason, n] : r.errors) errors[reason] = n;
    json::array failures;
    for (const auto& f : r.failures) failures.emplace_back(f);
    json::object out{{"run", r.run},
                     {"ok", r.ok()},
                     {"clients", r.clients()},
                     {"workers", std::move(workers)},
                     {"counters", counters_json(r.counters)},
                     {"latency", latency_json(r.latency)},
                     {"connect", latency_json(r.connect)},
                     {"errors", std::move(errors)},
                     {"failures", std::move(failures)}};
    if (r.requests) {
        add_requests_json(*r.requests, out);
        out["peak_users"] = r.peak_users;
        if (r.memory_per_user_bytes > 0) out["memory_per_user_bytes"] = r.memory_per_user_bytes;
    }
    if (r.ramp) out["ramp"] = ramp_to_json(*r.ramp);
    return json::serialize(out) + "\n";
}

RunReport cluster_run_report(const ClusterResult& r) {
    RunReport report;
    report.scenario = r.requests ? "http" : "publish";
    std::string shares;
    for (const auto& w : r.workers)
        shares +=
            fmt::format("{}{}: {} {}", shares.empty() ? "" : ", ", w.id, w.clients, r.requests ? "users" : "clients");
    report.description = fmt::format("run {} on {} workers ({}): {}", r.run, r.workers.size(), shares, r.command);
    report.primary_latency = r.requests ? "request -> whole response, every worker's requests"
                                        : "publish -> confirmation, every worker's messages";
    report.duration_s = longest_run_s(r);
    // Workers do not report their active time: the longest run stands for it (the rate is then a floor).
    report.totals.active_s = report.duration_s;
    // The sum of each worker's peak: the most the cluster can have had open at once.
    for (const auto& w : r.workers) report.totals.peak_connections += w.report.peak_connections;
    // Field by field: the merged figures and one run's report are separate structs on
    // purpose (the per-worker states have no place in a run's), as other copies between them.
    report.totals.counters = r.counters;
    report.totals.latencies[static_cast<std::size_t>(Latency::primary)] = r.latency;
    report.totals.latencies[static_cast<std::size_t>(Latency::connect)] = r.connect;
    report.malaria_block = !r.requests.has_value();
    report.malaria_clients = r.malaria_clients;
    report.planned_messages = r.planned_messages;
    report.totals.error_reasons = r.errors;
    report.clients = r.clients();
    report.failures = r.failures;
    report.series = r.series;
    report.requests = r.requests;
    report.request_history = r.request_history;
    report.requests_started_s = r.started_unix_s;
    report.ramp = r.ramp;
    if (r.requests) {
        report.figures.push_back(
            {"users", "Users (most at once, each worker's most added)", static_cast<double>(r.peak_users), ""});
        if (r.memory_per_user_bytes > 0)
            report.figures.push_back({"memory_per_user_bytes",
                                      "Memory per user (resident, above the idle processes, over every worker)",
                                      r.memory_per_user_bytes, "bytes"});
    }
    return report;
}

}  // namespace lampi::load::cluster
