#include "api/app.h"

#include <fmt/core.h>

#include "accounts/crypto.h"
#include "api/caller.h"
#include "api/keen_query.h"
#include "lampi/log.h"
#include "pages/shell_assets.h"

namespace lampi::cloud::api {

Result<std::optional<Caller>> identify(const http::Request& request, const http::Fields& cookies, Deps& deps,
                                       bool allow_token) {
    std::string_view authorization = request.header("Authorization");
    if (allow_token && authorization.substr(0, 7) == "Bearer ") {
        auto holder = deps.accounts.api_token_user(authorization.substr(7));
        if (!holder) return holder.status();
        if (!*holder) return std::optional<Caller>();
        return std::optional<Caller>(Caller{(*holder)->first, "", true, (*holder)->second});
    }
    auto key = cookies.get(kSessionCookie);
    if (!key) return std::optional<Caller>();
    auto user = deps.accounts.session_user(*key);
    if (!user) return user.status();
    if (!*user) return std::optional<Caller>();
    return std::optional<Caller>(Caller{**user, std::string(*key), false, ""});
}

std::string session_set_cookie(const std::string& key, std::int64_t max_age, bool secure) {
    return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}", kSessionCookie, key, max_age,
                       secure ? "; Secure" : "");
}

std::string session_clear_cookie(bool secure) {
    return fmt::format("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", kSessionCookie, secure ? "; Secure" : "");
}

std::string safe_next(std::string_view next) {
    // Only a path on this site: "/x", never "//host", "/\host" or a scheme.
    if (next.empty() || next.front() != '/' || next.size() > 2000) return "/";
    if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return "/";
    for (char c : next)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "/";
    return std::string(next);
}

namespace {

// A decoded path may hold any byte (%0a): one request must stay one log line.
std::string loggable(std::string_view text) {
    std::string out(text.substr(0, 200));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

}  // namespace

http::Response on_pool(WorkPool* pool, std::string_view what, std::function<http::Response()> work) {
    if (!pool) return work();
    http::Response r;
    r.deferred = [pool, what = std::string(what), work = std::move(work)](std::function<void(http::Response)> done) {
        auto shared_done = std::make_shared<std::function<void(http::Response)>>(std::move(done));
        if (pool->try_submit([work, shared_done] { (*shared_done)(work()); })) return;
        log::warn("{} pool full ({} running, {} waiting): answering 503", what, pool->threads(), pool->queue_limit());
        http::Response busy = http::text(503, "The server is busy; try again in a moment.\n");
        busy.set("Retry-After", "1");
        (*shared_done)(std::move(busy));
    };
    return r;
}

App::App(storage::Store& store, accounts::Accounts& accounts, lamps::LampService& lamps, AppOptions options,
         WorkPool* hash_pool)
    : options_(std::move(options)),
      deps_{store,
            accounts,
            lamps,
            options_,
            pages::StaticFiles(options_.static_dir),
            accounts::RateLimiter(store, [&accounts] { return accounts.now(); }),
            hash_pool},
      security_(options_.mqtt_ws_url),
      command_pool_(std::make_unique<WorkPool>(options_.command_threads, options_.command_queue)),
      query_pool_(std::make_unique<WorkPool>(options_.query_threads, options_.query_queue, kHashNiceness)) {
    pages::use_shell_assets_of(options_.static_dir);
    deps_.command_pool = command_pool_.get();
    deps_.query_pool = query_pool_.get();
    add_page_routes(router_, deps_);
    add_api_routes(router_, deps_);
    add_auth_routes(router_, deps_);
    add_health_routes(router_, deps_);
    add_analytics_routes(router_, deps_);
    add_metrics_routes(router_, deps_);
    add_schedule_routes(router_, deps_);
    add_dashboard_routes(router_, deps_);
    add_on_hours_routes(router_, deps_);
    add_enroll_routes(router_, deps_);
    add_admin_routes(router_, deps_);
    add_password_reset_routes(router_, deps_);
    deps_.metrics = &metrics_;
    std::vector<metrics::RouteLabel> labels;
    for (std::size_t i = 0; i < router_.size(); ++i) {
        labels.push_back({router_.method_of(i), router_.pattern_of(i)});
        const std::string& pattern = router_.pattern_of(i);
        auth_check_of_route_.push_back(pattern == "/auth/v1/user"        ? std::optional(metrics::AuthCheck::user)
                                       : pattern == "/auth/v1/superuser" ? std::optional(metrics::AuthCheck::superuser)
                                       : pattern == "/auth/v1/acl"       ? std::optional(metrics::AuthCheck::acl)
                                                                         : std::nullopt);
    }
    metrics_.name_routes(std::move(labels));
    if (options_.schedule_period.count() > 0)
        schedule_runner_ = std::make_unique<schedules::ScheduleRunner>(deps_.schedules, options_.schedule_period);
    if (deps_.analytics.dialect() == storage::Dialect::postgres)
        partition_job_ = std::make_unique<analytics::PartitionJob>(
            deps_.analytics, [this] { return analytics_now_ms(deps_); }, std::chrono::hours(1));
    if (options_.analytics_retention_days > 0)
        retention_job_ = std::make_unique<analytics::RetentionJob>(
            deps_.analytics, options_.analytics_retention_days, [this] { return analytics_now_ms(deps_); },
            options_.analytics_retention_period);
    if (!options_.analytics_group_rollups.empty())
        group_rollup_job_ = std::make_unique<analytics::GroupRollupJob>(
            deps_.analytics, options_.analytics_group_rollups, [this] { return analytics_now_ms(deps_); },
            options_.analytics_group_rollup_period);
}

void App::stop() {
    if (schedule_runner_) schedule_runner_->stop();
    if (partition_job_) partition_job_->stop();
    if (retention_job_) retention_job_->stop();
    if (group_rollup_job_) group_rollup_job_->stop();
    command_pool_->stop();
    query_pool_->stop();
}

http::Response App::handle(http::Request& request) {
    request.client_address = http::client_address(request, options_.trusted_proxies);
    request.secure = http::client_secure(request, options_.trusted_proxies);
    const auto started = std::chrono::steady_clock::now();
    std::size_t route = 0;
    http::Response response = router_.dispatch(request, &route);
    if (response.deferred) {
        // Finish the answer (headers, log line, metrics) when it is ready, wherever that is.
        auto start = std::move(response.deferred);
        auto copy = std::make_shared<http::Request>(request);
        copy->body.clear();
        response.deferred = [this, start = std::move(start), copy, route,
                             started](std::function<void(http::Response)> done) {
            start([this, copy, route, started, done = std::move(done)](http::Response r) {
                done(finish(*copy, std::move(r), route, started));
            });
        };
        return response;
    }
    return finish(request, std::move(response), route, started);
}

http::Response App::finish(const http::Request& request, http::Response response, std::size_t route,
                           std::chrono::steady_clock::time_point start) {
    bool machine = request.path.rfind("/api/", 0) == 0 || request.path.rfind("/auth/", 0) == 0 ||
                   request.path.rfind("/3.0/", 0) == 0;
    if (machine && (response.status == 404 || response.status == 405) &&
        response.header("Content-Type").find("json") == std::string_view::npos) {
        std::string allow(response.header("Allow"));
        std::string message = response.body;
        while (!message.empty() && message.back() == '\n') message.pop_back();
        int status = response.status;
        response = http::json_error(status, message);
        if (!allow.empty()) response.set("Allow", allow);
    }
    // The path only: queries, bodies and headers (cookies, tokens, passwords) never reach the log.
    if (response.status >= 500)
        log::warn("{} {} {} -> {}", request.client_address, request.method, loggable(request.path), response.status);
    else if (log::enabled(log::Level::debug))
        log::debug("{} {} {} -> {}", request.client_address, request.method, loggable(request.path), response.status);
    security_.apply(request, response);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    metrics_.observe_request(route, response.status, elapsed);
    if (route < auth_check_of_route_.size() && auth_check_of_route_[route]) {
        // The auth API answers 200 with "result" once it trusts its caller; anything else refused the question.
        metrics::AuthDecision decision = response.status != 200 ? metrics::AuthDecision::refused
                                         : response.body.find(R"("result":"allow")") != std::string::npos
                                             ? metrics::AuthDecision::allow
                                             : metrics::AuthDecision::deny;
        metrics_.observe_auth(*auth_check_of_route_[route], decision, elapsed);
    }
    return response;
}

}  // namespace lampi::cloud::api
