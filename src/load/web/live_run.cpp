#include "web/live_run.h"

#include <boost/json.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "run/clock.h"

namespace lampi::load {
namespace {

namespace json = boost::json;

// An hour of one-second points: enough for a course's test, bounded for a long one.
constexpr std::size_t kChartPoints = 3600;

const char* state_name(LiveRun::State s) {
    switch (s) {
        case LiveRun::State::ready: return "ready";
        case LiveRun::State::running: return "running";
        case LiveRun::State::stopped: return "stopped";
    }
    return "?";
}


json::object entry_json(const std::string& method, const std::string& name, const RequestEntry& e,
                         const RequestEntry* before, double interval_s) {
    double per_s = 0, failures_per_s = 0;
    if (before && interval_s > 0) {
        per_s = static_cast<double>(e.requests - std::min(e.requests, before->requests)) / interval_s;
        failures_per_s = static_cast<double>(e.failures - std::min(e.failures, before->failures)) / interval_s;
    }
    return json::object{{"method", method},
                        {"name", name},
                        {"requests", e.requests},
                        {"failures", e.failures},
                        {"median_ms", ns_to_ms(static_cast<double>(e.times.percentile(0.5)))},
                        {"p95_ms", ns_to_ms(static_cast<double>(e.times.percentile(0.95)))},
                        {"p99_ms", ns_to_ms(static_cast<double>(e.times.percentile(0.99)))},
                        {"avg_ms", ns_to_ms(e.times.mean())},
                        {"min_ms", ns_to_ms(static_cast<double>(e.times.min()))},
                        {"max_ms", ns_to_ms(static_cast<double>(e.times.max()))},
                        {"avg_bytes",
                         e.requests ? static_cast<double>(e.content_bytes) / static_cast<double>(e.requests) : 0.0},
                        {"per_s", per_s},
                        {"failures_per_s", failures_per_s}};
}

}  // namespace

LiveRun::LiveRun(LoadTarget& target, int users, double spawn_rate, std::string host, std::atomic<double>* message_rate)
    : target_(target),
      host_(std::move(host)),
      message_rate_(message_rate),
      target_users_(users),
      spawn_rate_(spawn_rate) {
    target_.reset(0, spawn_rate);
}

Status LiveRun::start(int users, double spawn_rate, std::optional<double> message_rate) {
    if (users < 0) return Status::invalid_argument("the number of users must be 0 or more");
    if (spawn_rate <= 0) return Status::invalid_argument("the spawn rate must be above 0 users per second");
    if (message_rate && (!message_rate_ || !std::isfinite(*message_rate) || *message_rate < 0))
        return Status::invalid_argument("the message rate must be 0 (as fast as confirmed) or more per second");
    std::lock_guard lock(mutex_);
    std::int64_t now = now_ns();
    if (message_rate) message_rate_->store(*message_rate, std::memory_order_relaxed);
    target_.set(users, spawn_rate, now, now);
    target_users_ = users;
    spawn_rate_ = spawn_rate;
    state_ = State::running;
    return Status::ok();
}

void LiveRun::stop() {
    std::lock_guard lock(mutex_);
    std::int64_t now = now_ns();
    target_.set(0, spawn_rate_, now, now);
    if (state_ == State::running) state_ = State::stopped;
}

void LiveRun::sampled(const Sample& sample, const Histogram& interval, Scenario& scenario,
                      const Collector& collector) {
    // Everything slow (merging the workers' tables, copying the series) before the lock.
    std::optional<RequestTable> requests = scenario.live_requests();
    RunReport report;
    report.scenario = scenario.name();
    report.description = scenario.description();
    report.primary_latency = scenario.primary_latency();
    report.duration_s = sample.elapsed_s;
    report.totals = collector.totals_so_far();
    report.series = collector.series();
    std::int64_t users = scenario.users_now();
    report.clients = static_cast<int>(users);
    std::vector<Figure> figures = scenario.live_figures();

    std::lock_guard lock(mutex_);
    double failures_per_s = 0;
    if (!report_.series.empty())
        failures_per_s = static_cast<double>(sample.errors - report_.series.back().errors) / sample.interval_s;
    // A web user's failed request is a request too; a publisher's error is no message.
    double requests_per_s = sample.completed_per_s + (publishers() ? 0 : failures_per_s);
    add_locked(ChartPoint{sample.elapsed_s, requests_per_s, failures_per_s,
                          ns_to_ms(static_cast<double>(interval.percentile(0.5))),
                          ns_to_ms(static_cast<double>(interval.percentile(0.95))),
                          ns_to_ms(static_cast<double>(interval.percentile(0.99))), sample.sent_per_s, users,
                          sample.connections},
               std::move(requests), sample.interval_s, std::move(report), std::move(figures));
}

void LiveRun::merged(RunReport so_far, const Histogram& interval, double interval_s, std::int64_t users,
                     std::int64_t connections) {
    std::optional<RequestTable> requests = std::move(so_far.requests);
    so_far.requests.reset();
    const RequestEntry now = requests ? requests->total() : RequestEntry{};
    std::lock_guard lock(mutex_);
    const RequestEntry before = requests_ ? requests_->total() : RequestEntry{};
    auto per_s = [&](std::uint64_t a, std::uint64_t b) {
        return interval_s > 0 ? static_cast<double>(a - std::min(a, b)) / interval_s : 0.0;
    };
    const ChartPoint point{so_far.duration_s,
                           per_s(now.requests, before.requests),
                           per_s(now.failures, before.failures),
                           ns_to_ms(static_cast<double>(interval.percentile(0.5))),
                           ns_to_ms(static_cast<double>(interval.percentile(0.95))),
                           ns_to_ms(static_cast<double>(interval.percentile(0.99))),
                           0,
                           users,
                           connections};
    add_locked(point, std::move(requests), interval_s, std::move(so_far), {});
}

void LiveRun::add_locked(const ChartPoint& point, std::optional<RequestTable> requests, double interval_s,
                         RunReport report, std::vector<Figure> figures) {
    chart_.push_back(point);
    if (chart_.size() > kChartPoints) chart_.pop_front();
    users_ = point.users;
    previous_requests_ = std::move(requests_);
    requests_ = std::move(requests);
    requests_interval_s_ = interval_s;
    report_ = std::move(report);
    figures_ = std::move(figures);
}

std::string LiveRun::stats_json() const {
    std::lock_guard lock(mutex_);
    json::object history;
    json::array t, rps, fps, p50, p95, p99, sent, users, connected;
    for (const ChartPoint& p : chart_) {
        t.emplace_back(p.t);
        rps.emplace_back(p.requests_per_s);
        fps.emplace_back(p.failures_per_s);
        p50.emplace_back(p.p50_ms);
        p95.emplace_back(p.p95_ms);
        p99.emplace_back(p.p99_ms);
        sent.emplace_back(p.sent_per_s);
        users.emplace_back(p.users);
        connected.emplace_back(p.connected);
    }
    json::array requests, failures, errors;
    if (requests_) {
        auto before = [&](const std::pair<std::string, std::string>& key) -> const RequestEntry* {
            if (!previous_requests_) return nullptr;
            auto it = previous_requests_->entries.find(key);
            return it == previous_requests_->entries.end() ? nullptr : &it->second;
        };
        for (const auto& [key, e] : requests_->entries)
            requests.push_back(entry_json(key.first, key.second, e, before(key), requests_interval_s_));
        RequestEntry total = requests_->total();
        std::optional<RequestEntry> total_before;
        if (previous_requests_) total_before = previous_requests_->total();
        requests.push_back(entry_json("", "Aggregated", total, total_before ? &*total_before : nullptr,
                                      requests_interval_s_));
        for (const auto& [key, n] : requests_->failures)
            failures.push_back(json::object{{"method", std::get<0>(key)},
                                            {"name", std::get<1>(key)},
                                            {"error", std::get<2>(key)},
                                            {"occurrences", n}});
    }
    for (const auto& [reason, n] : report_.totals.error_reasons)
        errors.push_back(json::object{{"error", reason}, {"count", n}});
    json::object current;
    if (!chart_.empty()) {
        const ChartPoint& last = chart_.back();
        // The page's "now": a chart point's fields by name, as the report's series rows name theirs.
        current = json::object{{"requests_per_s", last.requests_per_s},
                               {"failures_per_s", last.failures_per_s},
                               {"p50_ms", last.p50_ms},
                               {"p95_ms", last.p95_ms},
                               {"p99_ms", last.p99_ms},
                               {"sent_per_s", last.sent_per_s},
                               {"connected", last.connected}};
    }
    // Totals so far, in the words of a publisher run (a web run's requests are in "requests").
    json::object messages{{"sent", report_.totals.get(Counter::sent)},
                          {"confirmed", report_.totals.get(Counter::completed)},
                          {"errors", report_.totals.get(Counter::errors)}};
    for (const Figure& f : figures_) messages[f.key] = f.value;
    json::object out{{"kind", publishers() ? "publish" : "http"},
                     {"state", state_name(state_)},
                     {"host", host_},
                     {"scenario", report_.description},
                     {"users", users_},
                     {"target_users", target_users_},
                     {"spawn_rate", spawn_rate_},
                     {"message_rate", message_rate_ ? json::value(message_rate_->load()) : json::value(nullptr)},
                     {"messages", std::move(messages)},
                     {"elapsed_s", report_.duration_s},
                     {"current", std::move(current)},
                     {"history", json::object{{"t", std::move(t)},
                                              {"requests_per_s", std::move(rps)},
                                              {"failures_per_s", std::move(fps)},
                                              {"p50_ms", std::move(p50)},
                                              {"p95_ms", std::move(p95)},
                                              {"p99_ms", std::move(p99)},
                                              {"sent_per_s", std::move(sent)},
                                              {"users", std::move(users)},
                                              {"connected", std::move(connected)}}},
                     {"requests", std::move(requests)},
                     {"failures", std::move(failures)},
                     {"errors", std::move(errors)}};
    return json::serialize(out);
}

RunReport LiveRun::report() const {
    std::lock_guard lock(mutex_);
    RunReport report = report_;
    report.requests = requests_;
    return report;
}

}  // namespace lampi::load
