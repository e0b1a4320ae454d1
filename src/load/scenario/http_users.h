// HttpUsersScenario: Locust-style web users (`lampi-load http`), whatever flow
// they run: the course's (scenario/http_course.h) or a Lua scenario's
// (scenario/http_lua.h), told apart by a UserKind.
//
// Users start at `spawn_rate` per second over all workers (user k at k /
// spawn_rate s, on worker k mod workers) until `users` run; after `run_time_s`
// (0: until interrupted) every user stops at once, requests in flight
// uncounted, as Locust stops; a user with a last step (on_stop) gets up to
// `stop_timeout_s` for it. Per-name figures follow Locust's
// (report/locust_report.h); the run also measures what a user costs in memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/http_connection.h"
#include "http/url.h"
#include "http/web_user.h"
#include "ramp/load_target.h"
#include "run/runner.h"
#include "stats/request_stats.h"

namespace lampi::load {

struct HttpOptions {
    http::Url url;
    int users = 1;
    double spawn_rate = 1;
    double run_time_s = 0;  // 0: until Ctrl-C (or --max-time)
    // "{n}" in the user name becomes the user's number modulo `accounts` (all of it when 0).
    std::string username, password;
    std::uint64_t accounts = 0;
    std::uint64_t first_user = 0;  // the number of this process's first user (a controller gives each worker a range)
    double wait_min_s = 5, wait_max_s = 9;
    std::string cafile;     // https: verify the server against this CA (default: the system's)
    bool insecure = false;  // https: accept any certificate
    std::vector<std::string> bind_addresses;
    double stop_timeout_s = 10;  // for users' last step (on_stop) once the run ends
    // A controller's worker: a Lua scenario's csv() opens only the files it read as it
    // loaded, the ones whose digests the controller checked (scenario/scenario_files.h).
    bool pinned_data = false;
    // More users than the process may hold sockets: at most this many connections are
    // kept open between requests (over all workers); one past it is closed once its
    // answer is in and opened again for its user's next request. 0: one per user.
    std::int64_t max_connections = 0;
};

// Makes one worker's users; lives on that worker's thread once the run starts.
class UserFactory {
public:
    virtual ~UserFactory() = default;
    // `number` counts the run's users from 0; `seed` differs for each.
    virtual std::unique_ptr<http::WebUser> make(Worker& worker, const http::Endpoint& endpoint, RequestStats& stats,
                                                http::UserTimers& timers, std::uint64_t number, std::uint64_t seed) = 0;
    // Why no user can be made on this worker (empty: they can).
    virtual std::string setup_error() const { return {}; }
};

// What the users do: one factory per worker.
class UserKind {
public:
    virtual ~UserKind() = default;
    // "course flow", "scenario.lua": the run's one-line description says it first.
    virtual std::string describe() const = 0;
    // Whether --wait is the users' think time (a Lua scenario may set its own).
    virtual bool waits_as_told() const { return true; }
    virtual std::unique_ptr<UserFactory> factory(const HttpOptions& options, int worker_index) = 0;
};

class HttpUsersScenario : public Scenario {
public:
    HttpUsersScenario(HttpOptions options, std::unique_ptr<UserKind> kind);
    ~HttpUsersScenario() override;

    std::string name() const override { return "http"; }
    std::string description() const override;
    std::string primary_latency() const override { return "request -> whole response (redirects included)"; }
    std::size_t connections() const override;
    std::unique_ptr<Driver> make_driver(int worker_index, int worker_count) override;
    void on_sample(const Sample& sample) override;
    void finish(const std::vector<Driver*>& drivers, RunReport& report) override;
    LoadTarget* load_target() override { return &target_; }
    std::int64_t users_now() const override { return running_users.load(std::memory_order_relaxed); }
    std::optional<RequestTable> live_requests() const override { return merged(); }

    // Users running now, over all workers.
    std::atomic<std::int64_t> running_users{0};

private:
    RequestTable merged() const;

    HttpOptions options_;
    std::unique_ptr<UserKind> kind_;
    LoadTarget target_;  // -u and -r, changed by a ramp or the web UI
    std::vector<std::unique_ptr<RequestStats>> stats_;  // one per worker
    double started_s_ = 0;
    std::vector<RequestHistoryRow> history_;
    std::uint64_t baseline_rss_ = 0;
    std::uint64_t rss_at_most_users_ = 0;
    std::int64_t most_users_ = 0;
};

// The process's resident memory now, in bytes (0 when /proc is unreadable).
std::uint64_t resident_bytes();

}  // namespace lampi::load
