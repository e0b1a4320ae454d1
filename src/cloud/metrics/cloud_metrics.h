// CloudMetrics: what lampi-cloud counts while it serves, for GET /metrics.
//
// Contract:
// - name_routes() is called once, after the router's routes are added and
//   before serving; from then on every method is safe from any thread and the
//   request path only increments atomics (instruments.h): no lock, no allocation.
// - Figures that already live elsewhere (lamps online, the database's query
//   times, the analytics queue) are not copied here: the /metrics route reads
//   them when scraped and hands them to render() as ScrapeFigures.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "metrics/broker_sys.h"
#include "metrics/instruments.h"

namespace lampi::cloud::metrics {

struct RouteLabel {
    std::string method;
    std::string route;  // the router's pattern ("/api/v1/lamps/{id}/state"), never a raw path
};

enum class LoginOutcome { success, failure, throttled };
enum class AuthCheck { user, superuser, acl };
// allow/deny: the broker's question was answered; refused: the caller was not
// trusted to ask (not loopback, no secret, through a proxy) or the request broke.
enum class AuthDecision { allow, deny, refused };

struct ScrapeFigures {
    std::optional<std::size_t> lamps_online;
    std::optional<bool> broker_connected;
    const Histogram* database_queries = nullptr;
    std::optional<std::uint64_t> database_query_failures;
    std::optional<std::size_t> events_queued;
    std::optional<std::uint64_t> events_stored;
    std::optional<std::uint64_t> events_dropped;
    std::optional<std::size_t> analytics_write_buckets;
    // The cloud broker's own figures (broker_sys.h), as last received.
    std::vector<SysFigure> broker_sys;
};

class CloudMetrics {
public:
    // One slot per route, in the router's order; requests that match no route
    // (404, 405) are counted under route "unmatched".
    void name_routes(std::vector<RouteLabel> routes);
    // `route`: the router's index, or anything >= the number of routes for none.
    void observe_request(std::size_t route, int status, std::chrono::nanoseconds elapsed) noexcept;
    void count_login(LoginOutcome outcome) noexcept;
    void observe_auth(AuthCheck check, AuthDecision decision, std::chrono::nanoseconds elapsed) noexcept;

    // The Prometheus text exposition of everything counted, and of `figures`.
    std::string render(const ScrapeFigures& figures) const;

private:
    static constexpr int kFirstStatus = 100;
    static constexpr int kLastStatus = 599;
    struct RouteStats {
        RouteLabel label;
        std::array<Counter, kLastStatus - kFirstStatus + 1> by_status{};
        Histogram latency;
    };
    RouteStats& stats_for(std::size_t route) noexcept;

    // A deque: its elements never move, so atomics can live in them.
    std::deque<RouteStats> routes_;
    RouteStats unmatched_{{"", "unmatched"}, {}, {}};
    std::array<Counter, 3> logins_{};
    std::array<std::array<Counter, 3>, 3> auth_decisions_{};  // [check][decision]
    std::array<Histogram, 3> auth_latency_{};                 // [check]
};

}  // namespace lampi::cloud::metrics
