// Keen IO's HTTP API for analytics (documented in src/cloud/README.md, "Analytics"),
// so Keen's own SDKs (keen-tracking, keen-analysis) work against lampi-cloud:
//   POST /3.0/projects/<project>/events/<collection>   one event (write key)
//   POST /3.0/projects/<project>/events                a batch {collection: [events]}
//   GET|POST /3.0/projects/<project>/queries/<analysis> (read key)
// Keys come in the Authorization header (the bare key, as Keen's SDKs send it)
// or the api_key query parameter; a master key may do everything. Failures have
// Keen's shape {"message", "error_code"}.
#include <fmt/core.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "accounts/crypto.h"
#include "analytics/event.h"
#include "analytics/query.h"
#include "api/app.h"
#include "api/error_response.h"
#include "api/keen_query.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

using analytics::KeenError;
using analytics::KeyKind;
using http::Request;
using http::Response;

// Keen's API is called from web pages on any origin (keen-tracking in a
// browser) and authenticated by its keys, never by cookies: any origin may read
// the answers, and no credentials are allowed.
Response cross_origin(Response r) {
    r.set("Access-Control-Allow-Origin", "*");
    return r;
}

// The browser's preflight before a POST with JSON or an Authorization header.
Response preflight() {
    Response r;
    r.status = 204;
    r.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    r.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
    r.set("Access-Control-Max-Age", "86400");
    return cross_origin(std::move(r));
}

Response keen_failure(const KeenError& e) { return cross_origin(keen_refusal(e)); }

// The caller's key and the project in the path, checked; `allowed` is the kind
// the route needs (a master key passes everywhere).
std::optional<KeenError> check_access(const Request& request, const http::Params& params, Deps& deps, KeyKind allowed) {
    std::string key(request.header("Authorization"));
    if (key.empty()) {
        auto query = http::parse_form(request.query);
        if (query) key = std::string(query->get_or("api_key"));
    }
    if (key.empty())
        return analytics::keen_error(
            "InvalidApiKeyError",
            Status::unauthenticated(fmt::format("send the project's {} key in the Authorization header or as api_key",
                                                analytics::key_kind_name(allowed))));
    auto kind = deps.analytics.key_kind(accounts::secret_hash(key));
    if (!kind) return analytics::keen_error("InternalServerError", kind.status());
    if (!*kind) return analytics::keen_error("InvalidApiKeyError", Status::unauthenticated("the API key is not valid"));
    if (**kind != allowed && **kind != KeyKind::master)
        return analytics::keen_error("InvalidApiKeyError",
                                     Status::permission_denied(
                                         fmt::format("this is a {} key; this call needs a {} key (or the master key)",
                                                     analytics::key_kind_name(**kind),
                                                     analytics::key_kind_name(allowed))));
    auto project = deps.analytics.project_id(analytics_now_ms(deps) / 1000);
    if (!project) return analytics::keen_error("InternalServerError", project.status());
    if (params.get("project") != *project)
        return analytics::keen_error("ProjectNotFoundError",
                                     Status::not_found(
                                         "no such project; this platform has one, named in endpoints.json "
                                         "and by `lampi-cloud analytics keys`"));
    return std::nullopt;
}

Response record_one(const Request& request, const http::Params& params, Deps& deps) {
    if (auto denied = check_access(request, params, deps, KeyKind::write)) return keen_failure(*denied);
    auto event = analytics::prepare_event(params.get("collection"), request.body, analytics_now_ms(deps));
    if (analytics::failed(event)) return keen_failure(std::get<KeenError>(event));
    if (Status s = deps.analytics.insert({std::get<analytics::PreparedEvent>(std::move(event))}); !s)
        return keen_failure({"InternalServerError", s});
    return cross_origin(http::json(201, R"({"created":true})"));
}

Response record_batch(const Request& request, const http::Params& params, Deps& deps) {
    if (auto denied = check_access(request, params, deps, KeyKind::write)) return keen_failure(*denied);
    auto batch = analytics::prepare_batch(request.body, analytics_now_ms(deps));
    if (analytics::failed(batch)) return keen_failure(std::get<KeenError>(batch));
    auto& entries = std::get<std::vector<analytics::BatchEntry>>(batch);
    std::vector<analytics::PreparedEvent> good;
    json::object answer;
    for (auto& entry : entries) {
        json::array results;
        for (auto& event : entry.events) {
            json::object r;
            if (analytics::failed(event)) {
                const KeenError& e = std::get<KeenError>(event);
                r["success"] = false;
                json::object error;
                error["name"] = e.error_code;
                error["description"] = e.status.message();
                r["error"] = std::move(error);
            } else {
                good.push_back(std::get<analytics::PreparedEvent>(std::move(event)));
                r["success"] = true;
            }
            results.push_back(std::move(r));
        }
        answer[entry.collection] = std::move(results);
    }
    if (Status s = deps.analytics.insert(good); !s) return keen_failure({"InternalServerError", s});
    return cross_origin(http::json(200, json::serialize(answer)));
}

Response query(const Request& request, const http::Params& params, Deps& deps) {
    if (auto denied = check_access(request, params, deps, KeyKind::read)) return keen_failure(*denied);
    return keen_query(request, params.get("analysis"), deps, cross_origin);
}

}  // namespace

std::int64_t analytics_now_ms(const Deps& deps) {
    if (deps.options.analytics_now_ms) return deps.options.analytics_now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Response keen_refusal(const KeenError& e) {
    PublicError shown = public_error(e.status);
    json::object o;
    o["message"] = shown.message;
    o["error_code"] = shown.error_id.empty() ? e.error_code : "InternalServerError";
    if (!shown.error_id.empty()) o["error_id"] = shown.error_id;
    return http::json(shown.http_status, json::serialize(o));
}

Response keen_query(const Request& request, std::string_view analysis, Deps& deps, Response (*finish)(Response)) {
    std::optional<http::Fields> fields;
    if (request.method == "GET") {
        auto parsed = http::parse_form(request.query);
        if (!parsed) return finish(keen_refusal({"InvalidQueryError", parsed.status()}));
        fields = *parsed;
    }
    // A query may take seconds of CPU: never on the server's own threads.
    return on_pool(deps.query_pool, "analytics query",
                   [&deps, analysis = std::string(analysis), fields = std::move(fields), body = request.body,
                    finish]() -> Response {
                       analytics::KeenResult<std::string> result =
                           fields ? analytics::run_query(deps.analytics, analysis, *fields, analytics_now_ms(deps))
                                  : analytics::run_query(deps.analytics, analysis, body, analytics_now_ms(deps));
                       if (analytics::failed(result)) return finish(keen_refusal(std::get<KeenError>(result)));
                       return finish(http::json(200, std::get<std::string>(std::move(result))));
                   });
}

void add_analytics_routes(http::Router& router, Deps& deps) {
    router.add("POST", "/3.0/projects/{project}/events/{collection}",
               [&deps](const Request& r, const http::Params& p) { return record_one(r, p, deps); });
    router.add("POST", "/3.0/projects/{project}/events",
               [&deps](const Request& r, const http::Params& p) { return record_batch(r, p, deps); });
    for (const char* method : {"GET", "POST"})
        router.add(method, "/3.0/projects/{project}/queries/{analysis}",
                   [&deps](const Request& r, const http::Params& p) { return query(r, p, deps); });
    for (const char* pattern : {"/3.0/projects/{project}/events/{collection}", "/3.0/projects/{project}/events",
                                "/3.0/projects/{project}/queries/{analysis}"})
        router.add("OPTIONS", pattern, [](const Request&, const http::Params&) { return preflight(); });
}

}  // namespace lampi::cloud::api
