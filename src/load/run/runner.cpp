#include "run/runner.h"

#include <fmt/core.h>

#include <thread>

#include "lampi/log.h"
#include "monitor/process_monitor.h"
#include "monitor/sys_monitor.h"
#include "report/progress.h"
#include "run/clock.h"

namespace lampi::load {

namespace {

// The watched processes over the whole run: each figure's mean and peak.
std::map<std::string, double> summarize_host(const std::vector<Sample>& series) {
    std::map<std::string, std::pair<double, int>> sums;
    std::map<std::string, double> host;
    for (const Sample& s : series) {
        for (const auto& [key, value] : s.extra) {
            if (key.rfind("proc.", 0) != 0 && key.rfind("host.", 0) != 0) continue;
            auto& [sum, n] = sums[key];
            sum += value;
            ++n;
            auto [peak, first] = host.try_emplace(key + ".max", value);
            if (!first) peak->second = std::max(peak->second, value);
        }
    }
    for (const auto& [key, sum_n] : sums) host[key + ".mean"] = sum_n.first / sum_n.second;
    return host;
}

}  // namespace

RunReport run_scenario(Scenario& scenario, const RunSettings& settings) {
    int threads = std::max(1, settings.threads);
    std::vector<std::unique_ptr<Metrics>> metrics;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::unique_ptr<Driver>> drivers;
    std::vector<Metrics*> metric_views;
    for (int i = 0; i < threads; ++i) {
        metrics.push_back(std::make_unique<Metrics>());
        metric_views.push_back(metrics.back().get());
        workers.push_back(std::make_unique<Worker>(i, *metrics.back()));
        drivers.push_back(scenario.make_driver(i, threads));
    }

    std::unique_ptr<SysMonitor> monitor;
    if (settings.sys) {
        monitor = std::make_unique<SysMonitor>(*settings.sys);
        if (Status s = monitor->start(); !s) {
            log::warn("broker monitoring ($SYS) is off: {}", s.message());
            monitor.reset();
        }
    }

    // The workers watch `stop`: set by the caller's flag (a signal), the observer or the ramp.
    std::atomic<bool> stop{false};
    auto asked_to_stop = [&] {
        return (settings.stop && settings.stop->load()) || (settings.observer && settings.observer->stop_wanted());
    };
    std::atomic<int> running{threads};
    std::int64_t run_start = now_ns();
    std::int64_t hard_deadline = run_start + static_cast<std::int64_t>(settings.hard_limit_s * 1e9);
    Collector collector(metric_views);
    std::optional<Ramp> ramp;
    if (settings.ramp && scenario.load_target()) {
        ramp.emplace(*settings.ramp, *scenario.load_target());
        ramp->start();
    }
    std::uint64_t last_completed = 0, last_errors = 0;
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) {
        pool.emplace_back([&, i] {
            workers[static_cast<std::size_t>(i)]->run(*drivers[static_cast<std::size_t>(i)], stop, hard_deadline);
            running.fetch_sub(1);
        });
    }

    auto next_sample = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (running.load() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (asked_to_stop() || (settings.finish && settings.finish->load()) ||
            (settings.observer && settings.observer->finish_wanted()))
            stop = true;
        if (std::chrono::steady_clock::now() < next_sample) continue;
        next_sample += std::chrono::seconds(1);
        Sample s = collector.sample();
        if (monitor) s.extra = monitor->snapshot();
        if (settings.processes) s.extra.merge(settings.processes->sample());
        if (monitor || settings.processes) collector.series().back().extra = s.extra;
        scenario.on_sample(s);
        if (ramp && ramp->add(s.elapsed_s, s.interval_s, collector.interval_latency(),
                              (s.completed - last_completed) + (s.errors - last_errors), s.errors - last_errors,
                              now_ns(), run_start))
            stop = true;
        last_completed = s.completed;
        last_errors = s.errors;
        if (settings.observer) settings.observer->sampled(s, collector.interval_latency(), scenario, collector);
        if (settings.progress_line) {
            fmt::print(stderr, "\r{}\x1b[K", progress_line(s, scenario.connections()));
            std::fflush(stderr);
        }
    }
    for (auto& t : pool) t.join();
    // The last partial second still belongs in the series.
    Sample last = collector.sample();
    if (ramp) {
        ramp->add(last.elapsed_s, last.interval_s, collector.interval_latency(),
                  (last.completed - last_completed) + (last.errors - last_errors), last.errors - last_errors, now_ns(),
                  run_start);
    }
    if (monitor) collector.series().back().extra = monitor->snapshot();
    if (settings.processes) collector.series().back().extra.merge(settings.processes->sample());
    if (settings.progress_line) fmt::print(stderr, "\r{}\x1b[K\n", progress_line(last, scenario.connections()));

    RunReport report;
    report.scenario = scenario.name();
    report.description = scenario.description();
    report.primary_latency = scenario.primary_latency();
    report.duration_s = collector.elapsed_s();
    report.totals = collector.totals();
    report.series = collector.series();
    if (monitor) {
        report.broker = monitor->snapshot();
        monitor->stop();
    }
    if (settings.processes) report.host = summarize_host(report.series);
    if (ramp) report.ramp = ramp->finish(report.duration_s);
    std::vector<Driver*> views;
    for (auto& d : drivers) views.push_back(d.get());
    scenario.finish(views, report);
    if (now_ns() >= hard_deadline) report.failures.push_back("the run hit its hard time limit and was cut short");
    if (asked_to_stop()) report.failures.push_back("interrupted before the end");
    if (report.totals.get(Counter::connect_failed) > 0) {
        report.failures.push_back(fmt::format("{} of {} connections failed", report.totals.get(Counter::connect_failed),
                                              report.totals.get(Counter::connect_attempts)));
    }
    if (report.totals.get(Counter::disconnects) > 0) {
        report.failures.push_back(fmt::format("{} established connections were lost during the run ({} reconnected)",
                                              report.totals.get(Counter::disconnects),
                                              report.totals.get(Counter::reconnects)));
    }
    if (settings.observer) settings.observer->finished(report);
    return report;
}

}  // namespace lampi::load
