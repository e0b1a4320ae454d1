// The operator's analytics dashboard: GET /operator/analytics/ (the page) and
// GET /operator/analytics/queries/<analysis> (Keen's query API for its charts).
//
// Why a session and not a read key: keys are stored hashed, so the server has no
// read key to hand out; minting one per page view would leave keys behind that
// never expire and that a copied page, an extension or the browser's history
// could keep using after the operator logs out or stops being one. The session
// already expires, ends at logout and password change, and operator status is
// checked on every query. The query path takes exactly /3.0/'s parameters and
// answers its result shapes, but without CORS: only same-origin pages can read
// it, and GET only (nothing changes, so no CSRF token is needed).
#include "api/app.h"
#include "api/caller.h"
#include "api/error_response.h"
#include "api/keen_query.h"
#include "api/page_context.h"
#include "pages/pages.h"

namespace lampi::cloud::api {
namespace {

using http::Request;
using http::Response;

constexpr std::string_view kDashboardIsForOperators =
    "The analytics dashboard is for operators. Ask an operator of this LAMPi to make your account one "
    "(lampi-cloud user add --operator) if you need it.";

Response no_store(Response r) {
    r.set("Cache-Control", "no-store");
    r.set("Vary", "Cookie");
    return r;
}

Response page(const Request& request, Deps& deps) {
    http::Fields cookies = http::parse_cookies(request.header("Cookie"));
    auto caller = identify(request, cookies, deps, false);
    if (!caller) return html_error(caller.status());
    if (!*caller) return login_redirect(request);
    if (!(*caller)->user.is_operator)
        return no_store(http::html(403, pages::error_page(403, "For operators only", kDashboardIsForOperators)));
    return no_store(http::html(200, pages::dashboard_page((*caller)->user.username)));
}

Response dashboard_query(const Request& request, const http::Params& params, Deps& deps) {
    http::Fields cookies = http::parse_cookies(request.header("Cookie"));
    auto caller = identify(request, cookies, deps, false);
    if (!caller) return no_store(keen_refusal({"InternalServerError", caller.status()}));
    if (!*caller)
        return no_store(keen_refusal(
            {"InvalidApiKeyError", Status::unauthenticated("your session has ended; log in again as an operator")}));
    if (!(*caller)->user.is_operator)
        return no_store(
            keen_refusal({"InvalidApiKeyError", Status::permission_denied(std::string(kDashboardIsForOperators))}));
    return keen_query(request, params.get("analysis"), deps, no_store);
}

}  // namespace

void add_dashboard_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/operator/analytics/",
               [&deps](const Request& request, const http::Params&) { return page(request, deps); });
    router.add("GET", "/operator/analytics",
               [](const Request&, const http::Params&) { return http::redirect("/operator/analytics/"); });
    router.add("GET", "/operator/analytics/queries/{analysis}",
               [&deps](const Request& request, const http::Params& params) {
                   return dashboard_query(request, params, deps);
               });
}

}  // namespace lampi::cloud::api
