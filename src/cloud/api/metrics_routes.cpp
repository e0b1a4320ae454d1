// GET /metrics: lampi-cloud's figures in Prometheus text format (0.0.4).
//
// Who may scrape: a caller on this host that no proxy relayed (a Prometheus
// beside lampi-cloud), or an operator, by API token (Prometheus's
// `authorization` setting sends "Bearer <token>") or session. Anyone else gets
// 404, as if nothing were there: the figures name routes and traffic, not for
// the public. Through nginx every caller is someone outside, so an outside
// Prometheus scrapes with an operator's token.
#include "api/app.h"
#include "api/caller.h"
#include "lampi/log.h"

namespace lampi::cloud::api {
namespace {

bool may_scrape(const http::Request& request, Deps& deps) {
    if (http::is_direct_local_caller(request)) return true;
    http::Fields cookies = http::parse_cookies(request.header("Cookie"));
    auto caller = identify(request, cookies, deps, true);
    if (!caller) {
        log::error("/metrics: {}", caller.status().message());
        return false;
    }
    return *caller && (*caller)->user.is_operator;
}

metrics::ScrapeFigures figures_of(Deps& deps) {
    metrics::ScrapeFigures figures;
    figures.lamps_online = deps.lamps.online_count();
    if (deps.options.broker_status) figures.broker_connected = deps.options.broker_status().connected;
    if (deps.options.broker_sys) figures.broker_sys = deps.options.broker_sys->snapshot();
    figures.database_queries = &deps.store.database().query_times();
    figures.database_query_failures = deps.store.database().query_failures();
    figures.analytics_write_buckets = deps.analytics_writes.buckets();
    if (const auto& queue = deps.options.event_queue) {
        figures.events_queued = queue->queued();
        figures.events_stored = queue->stored();
        figures.events_dropped = queue->dropped();
    }
    return figures;
}

}  // namespace

void add_metrics_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/metrics", [&deps](const http::Request& request, const http::Params&) {
        if (!may_scrape(request, deps) || !deps.metrics) return http::text(404, "nothing at /metrics\n");
        http::Response r =
            http::text(200, deps.metrics->render(figures_of(deps)), "text/plain; version=0.0.4; charset=utf-8");
        r.set("Cache-Control", "no-store");
        return r;
    });
}

}  // namespace lampi::cloud::api
