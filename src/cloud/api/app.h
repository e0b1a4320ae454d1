// App: lampi-cloud's request handling, independent of the HTTP server.
//
// Wires the routes of the web pages (page_routes.cpp), the JSON API
// (api_routes.cpp) and the broker auth API (auth_routes.cpp) to the accounts,
// lamps and storage parts. handle() is thread-safe; tests can call it directly
// or through a running HttpServer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "accounts/accounts.h"
#include "accounts/rate_limit.h"
#include "admin/audit_log.h"
#include "admin/lamp_admin.h"
#include "admin/password_resets.h"
#include "admin/user_admin.h"
#include "analytics/event_queue.h"
#include "analytics/event_sink.h"
#include "analytics/event_store.h"
#include "analytics/group_rollup.h"
#include "analytics/partitions.h"
#include "analytics/retention.h"
#include "analytics/write_limit.h"
#include "api/security_headers.h"
#include "enroll/device_enrollment.h"
#include "http/forwarded.h"
#include "http/message.h"
#include "http/router.h"
#include "lamps/broker_revocations.h"
#include "lamps/cloud_link.h"
#include "lamps/lamp_service.h"
#include "lamps/scenes.h"
#include "metrics/cloud_metrics.h"
#include "pages/static_files.h"
#include "schedules/schedule_runner.h"
#include "schedules/schedules.h"
#include "storage/store.h"
#include "work_pool.h"

namespace lampi::cloud::api {

// A broker login for a platform service or operator tool (not a person).
struct ServiceAccount {
    std::string username;
    std::string password;
    bool superuser = true;
};

struct AppOptions {
    std::string static_dir;        // served at /static/; empty serves nothing
    bool signup_enabled = true;
    bool secure_cookies = false;   // always add Secure to cookies (serving HTTPS); else per request
    // Proxies whose X-Forwarded-For/-Proto are believed (--trusted-proxy).
    http::TrustedProxies trusted_proxies;
    // The broker auth API (/auth/v1/*): when set, each call must carry it in
    // X-Lampi-Auth-Secret; callers must be on loopback unless auth_allow_remote.
    std::string auth_secret;
    bool auth_allow_remote = false;
    std::vector<ServiceAccount> service_accounts;
    // Lamp commands wait here for the broker's acknowledgement (up to 2 s each when
    // it is frozen): command_threads at once, command_queue more, then 503.
    std::size_t command_threads = 8;
    std::size_t command_queue = 256;
    // Analytics queries (up to seconds of CPU over many events) run here, niced
    // like password hashing: query_threads at once, query_queue more, then 503.
    std::size_t query_threads = 2;
    std::size_t query_queue = 16;
    // Handed to the control page with its broker credential.
    std::string mqtt_ws_url = "ws://127.0.0.1:9001/mqtt";
    // Per client address (IPv6 per /64), across every process on the database:
    // password logins attempted, and sign-ups. Each costs an argon2id hash.
    accounts::RateRule login_rate{"login-addr", 60, 60};
    accounts::RateRule signup_rate{"signup-addr", 5, 3600};
    // Enrollment attempts (POST /api/v1/enroll), good or bad, per address.
    accounts::RateRule enroll_rate{"enroll-addr", 30, 3600};
    // The CA that signs enrolled lamps' certificates; no directory: enrollment answers 503.
    enroll::CaAccess enrollment_ca;
    // Told when a user's broker connections must end; null: nobody to tell.
    std::shared_ptr<lamps::BrokerRevocations> revocations;
    // The cloud broker link, for /healthz; empty when running without a broker.
    std::function<lamps::LinkStatus()> broker_status;
    // The cloud broker's $SYS figures the link follows, for /metrics; null: none.
    std::shared_ptr<const metrics::BrokerSysFigures> broker_sys;
    // The time analytics events are stamped with and relative timeframes count
    // from, in Unix milliseconds; empty: the system clock.
    std::function<std::int64_t()> analytics_now_ms;
    // Events each write key may store per second, and at once (analytics/write_limit.h).
    analytics::WriteLimit analytics_write_limit;
    // Raw analytics events of UTC days ended more than this many days before today are
    // deleted every analytics_retention_period, their daily counts kept
    // (analytics/retention.h); 0 keeps them forever.
    int analytics_retention_days = 0;
    std::chrono::milliseconds analytics_retention_period{std::chrono::hours(1)};
    // Properties whose events are counted per UTC day and value (analytics/group_rollup.h),
    // declared at start; those stored before a declaration are counted in the background,
    // working about analytics_group_rollup_period at a time, once per period.
    std::vector<analytics::GroupRollupKey> analytics_group_rollups = analytics::default_group_rollups();
    std::chrono::milliseconds analytics_group_rollup_period{std::chrono::seconds(1)};
    // Gets the sign_ups and logins events (lamp events go through LampService's
    // own sink); null: none.
    std::shared_ptr<analytics::EventSink> events;
    // The queue behind `events`, whose depth /metrics shows; null: not shown.
    std::shared_ptr<analytics::EventQueue> event_queue;
    // How often due schedules are looked for in the database (a fire is at most
    // this late); zero runs none (then Schedules::run_due is the caller's).
    std::chrono::milliseconds schedule_period{1000};
    schedules::SchedulesOptions schedules;
    // The LED's rated life: the lamp page warns its owner past 90 % of it in on-hours.
    double led_rated_hours = 25'000;
};

// What every route file gets.
struct Deps {
    storage::Store& store;
    accounts::Accounts& accounts;
    lamps::LampService& lamps;
    const AppOptions& options;
    pages::StaticFiles statics;
    accounts::RateLimiter rates;
    // Where password hashes run; null runs them on the calling thread.
    WorkPool* hash_pool = nullptr;
    // Where lamp commands wait for the broker's acknowledgement; null: the calling thread.
    WorkPool* command_pool = nullptr;
    // Where analytics queries run; null: the calling thread.
    WorkPool* query_pool = nullptr;
    // Keen-compatible analytics, in the same database.
    analytics::EventStore analytics{store.database()};
    analytics::WriteLimiter analytics_writes{options.analytics_write_limit};
    lamps::Scenes scenes{store, lamps};
    // Timers and weekly schedules, on the accounts' clock.
    schedules::Schedules schedules{store, lamps, [&clock = accounts] { return clock.now(); }, options.schedules};
    // Lamps getting their certificates with a one-time token.
    enroll::DeviceEnrollment enrollment{enroll::EnrollmentTokens(store.database()), options.enrollment_ca};
    // The operators' admin area: its audit log, password reset links, and the actions on users and lamps.
    admin::AuditLog audit{store.database()};
    admin::PasswordResets password_resets{store.database()};
    admin::UserAdmin user_admin{store, accounts, audit, password_resets, options.revocations.get()};
    admin::LampAdmin lamp_admin{store, lamps, audit, [&clock = accounts] { return clock.now(); },
                                options.revocations.get()};
    // What /metrics shows; set by App before serving.
    metrics::CloudMetrics* metrics = nullptr;
};

// Runs `work` on `pool` and answers when it is done, so the HTTP server's
// threads serve other requests meanwhile; a full pool gets 503 with Retry-After
// at once. A null pool runs `work` here. `what` names the pool in the log.
http::Response on_pool(WorkPool* pool, std::string_view what, std::function<http::Response()> work);

// on_pool for work that hashes a password.
inline http::Response on_hash_pool(Deps& deps, std::function<http::Response()> work) {
    return on_pool(deps.hash_pool, "password hashing", std::move(work));
}

// Ends `username`'s broker connections made before now (see broker_revocations.h).
inline void revoke_broker_connections(Deps& deps, const std::string& username) {
    if (deps.options.revocations) deps.options.revocations->revoke_user(username);
}

class App {
public:
    App(storage::Store& store, accounts::Accounts& accounts, lamps::LampService& lamps, AppOptions options,
        WorkPool* hash_pool = nullptr);
    http::Response handle(http::Request& request);
    // Stops the schedules and finishes the commands under way; call once the server has stopped, before
    // it is destroyed (their answers complete into it).
    void stop();

private:
    // `route`: the router's index of the route that answered; `start`: when routing began.
    http::Response finish(const http::Request& request, http::Response response, std::size_t route,
                          std::chrono::steady_clock::time_point start);

    AppOptions options_;
    // Before deps_ and the pools: the pools' last work may still count into it.
    metrics::CloudMetrics metrics_;
    // The broker auth check each route answers (for its decision metrics); nullopt for other routes.
    std::vector<std::optional<metrics::AuthCheck>> auth_check_of_route_;
    Deps deps_;
    http::Router router_;
    SecurityHeaders security_;
    // Declared last so that it stops, running what is queued, while deps_ lives.
    std::unique_ptr<schedules::ScheduleRunner> schedule_runner_;
    std::unique_ptr<analytics::PartitionJob> partition_job_;  // PostgreSQL only
    std::unique_ptr<analytics::RetentionJob> retention_job_;
    std::unique_ptr<analytics::GroupRollupJob> group_rollup_job_;
    std::unique_ptr<WorkPool> command_pool_;
    std::unique_ptr<WorkPool> query_pool_;
};

// One per route file, all of one signature: App's constructor adds each to its router.
void add_page_routes(http::Router& router, Deps& deps);
void add_api_routes(http::Router& router, Deps& deps);
void add_auth_routes(http::Router& router, Deps& deps);
void add_health_routes(http::Router& router, Deps& deps);
void add_analytics_routes(http::Router& router, Deps& deps);
void add_metrics_routes(http::Router& router, Deps& deps);
void add_schedule_routes(http::Router& router, Deps& deps);
void add_dashboard_routes(http::Router& router, Deps& deps);
void add_on_hours_routes(http::Router& router, Deps& deps);
void add_enroll_routes(http::Router& router, Deps& deps);
void add_admin_routes(http::Router& router, Deps& deps);
void add_password_reset_routes(http::Router& router, Deps& deps);

}  // namespace lampi::cloud::api
