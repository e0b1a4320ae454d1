#include "metrics/cloud_metrics.h"

namespace lampi::cloud::metrics {
namespace {

constexpr std::array<const char*, 3> kLoginOutcomes = {"success", "failure", "throttled"};
constexpr std::array<const char*, 3> kAuthChecks = {"user", "superuser", "acl"};
constexpr std::array<const char*, 3> kAuthDecisions = {"allow", "deny", "refused"};

}  // namespace

void CloudMetrics::name_routes(std::vector<RouteLabel> routes) {
    for (RouteLabel& label : routes) routes_.emplace_back().label = std::move(label);
}

CloudMetrics::RouteStats& CloudMetrics::stats_for(std::size_t route) noexcept {
    return route < routes_.size() ? routes_[route] : unmatched_;
}

void CloudMetrics::observe_request(std::size_t route, int status, std::chrono::nanoseconds elapsed) noexcept {
    RouteStats& stats = stats_for(route);
    if (status >= kFirstStatus && status <= kLastStatus) stats.by_status[status - kFirstStatus].add();
    stats.latency.observe(elapsed);
}

void CloudMetrics::count_login(LoginOutcome outcome) noexcept { logins_[static_cast<std::size_t>(outcome)].add(); }

void CloudMetrics::observe_auth(AuthCheck check, AuthDecision decision, std::chrono::nanoseconds elapsed) noexcept {
    auth_decisions_[static_cast<std::size_t>(check)][static_cast<std::size_t>(decision)].add();
    auth_latency_[static_cast<std::size_t>(check)].observe(elapsed);
}

std::string CloudMetrics::render(const ScrapeFigures& figures) const {
    std::string out;
    out.reserve(std::size_t{64} * 1024);

    write_family(out, "lampi_http_requests_total", "counter", "HTTP requests answered, by route pattern and status.");
    auto each_route = [&](auto visit) {
        for (const RouteStats& stats : routes_) visit(stats);
        visit(unmatched_);
    };
    each_route([&](const RouteStats& stats) {
        for (int status = kFirstStatus; status <= kLastStatus; ++status) {
            std::uint64_t n = stats.by_status[status - kFirstStatus].value();
            if (n == 0) continue;
            write_sample(out, "lampi_http_requests_total",
                         {{"method", stats.label.method},
                          {"route", stats.label.route},
                          {"status", std::to_string(status)}},
                         static_cast<double>(n));
        }
    });
    write_family(out, "lampi_http_request_duration_seconds", "histogram",
                 "Time from routing a request to its answer, by route pattern.");
    each_route([&](const RouteStats& stats) {
        if (stats.latency.snapshot().count == 0) return;
        write_histogram(out, "lampi_http_request_duration_seconds",
                        {{"method", stats.label.method}, {"route", stats.label.route}}, stats.latency);
    });

    write_family(out, "lampi_logins_total", "counter", "Password logins on the web, by outcome.");
    for (std::size_t i = 0; i < logins_.size(); ++i)
        write_sample(out, "lampi_logins_total", {{"outcome", kLoginOutcomes[i]}},
                     static_cast<double>(logins_[i].value()));

    write_family(out, "lampi_broker_auth_decisions_total", "counter",
                 "Answers of the broker auth API (/auth/v1/*), by check and decision.");
    for (std::size_t check = 0; check < kAuthChecks.size(); ++check) {
        for (std::size_t decision = 0; decision < kAuthDecisions.size(); ++decision) {
            write_sample(out, "lampi_broker_auth_decisions_total",
                         {{"check", kAuthChecks[check]}, {"decision", kAuthDecisions[decision]}},
                         static_cast<double>(auth_decisions_[check][decision].value()));
        }
    }
    write_family(out, "lampi_broker_auth_duration_seconds", "histogram",
                 "Time the broker auth API took to decide, by check.");
    for (std::size_t check = 0; check < kAuthChecks.size(); ++check)
        write_histogram(out, "lampi_broker_auth_duration_seconds", {{"check", kAuthChecks[check]}},
                        auth_latency_[check]);

    if (figures.lamps_online) {
        write_family(out, "lampi_lamps_online", "gauge", "Lamps whose lamp service and bridge are connected.");
        write_sample(out, "lampi_lamps_online", {}, static_cast<double>(*figures.lamps_online));
    }
    if (figures.broker_connected) {
        write_family(out, "lampi_broker_connected", "gauge", "1 while this process holds its cloud broker link.");
        write_sample(out, "lampi_broker_connected", {}, *figures.broker_connected ? 1 : 0);
    }
    for (const SysFigure& figure : figures.broker_sys) {
        write_family(out, figure.name, figure.type, figure.help);
        write_sample(out, figure.name, {}, figure.value);
    }
    if (figures.database_queries) {
        write_family(out, "lampi_database_query_duration_seconds", "histogram",
                     "Time of each database statement, connection lease excluded.");
        write_histogram(out, "lampi_database_query_duration_seconds", {}, *figures.database_queries);
    }
    if (figures.database_query_failures) {
        write_family(out, "lampi_database_query_failures_total", "counter", "Database statements that failed.");
        write_sample(out, "lampi_database_query_failures_total", {},
                     static_cast<double>(*figures.database_query_failures));
    }
    if (figures.events_queued) {
        write_family(out, "lampi_analytics_event_queue_depth", "gauge",
                     "The platform's own analytics events waiting to be stored.");
        write_sample(out, "lampi_analytics_event_queue_depth", {}, static_cast<double>(*figures.events_queued));
    }
    if (figures.events_stored) {
        write_family(out, "lampi_analytics_events_stored_total", "counter", "Analytics events stored.");
        write_sample(out, "lampi_analytics_events_stored_total", {}, static_cast<double>(*figures.events_stored));
    }
    if (figures.events_dropped) {
        write_family(out, "lampi_analytics_events_dropped_total", "counter",
                     "Analytics events dropped (queue full or database down).");
        write_sample(out, "lampi_analytics_events_dropped_total", {}, static_cast<double>(*figures.events_dropped));
    }
    if (figures.analytics_write_buckets) {
        write_family(out, "lampi_analytics_write_buckets", "gauge",
                     "Analytics write keys whose write limit is being tracked (only keys that were accepted).");
        write_sample(out, "lampi_analytics_write_buckets", {}, static_cast<double>(*figures.analytics_write_buckets));
    }
    return out;
}

}  // namespace lampi::cloud::metrics
