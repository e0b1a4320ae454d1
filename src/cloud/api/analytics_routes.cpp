// Keen IO's HTTP API for analytics (documented in src/cloud/README.md, "Analytics"),
// so Keen's own SDKs (keen-tracking, keen-analysis) work against lampi-cloud:
//   POST /3.0/projects/<project>/events/<collection>   one event (write key)
//   POST /3.0/projects/<project>/events                a batch {collection: [events]}
//   GET|POST /3.0/projects/<project>/queries/<analysis> (read key)
//   POST /3.0/projects/<project>/keys                  an access key (master key)
//   GET /3.0/projects/<project>/keys/<key>             what it may do (master key)
//   POST /3.0/projects/<project>/keys/<key>/revoke     for good (master key)
// Keys come in the Authorization header (the bare key, as Keen's SDKs send it)
// or the api_key query parameter; a master key may do everything. Failures have
// Keen's shape {"message", "error_code"}. Each key's writes are limited
// (analytics/write_limit.h): past it, 429 TooManyRequestsError with Retry-After.
#include <fmt/core.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <variant>

#include "accounts/crypto.h"
#include "analytics/access_keys.h"
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

// A caller whose key was accepted: what it may do, and the key's hash (what names it in the write limiter).
struct Access {
    analytics::KeyGrant grant;
    std::string key_hash;
};

// The caller's key and the project in the path, checked; `allowed` is the kind
// the route needs (a master key passes everywhere). What the key may do, or why not.
std::variant<Access, KeenError> check_access(const Request& request, const http::Params& params, Deps& deps,
                                             KeyKind allowed) {
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
    std::string key_hash = accounts::secret_hash(key);
    auto grant = deps.analytics.key_grant(key_hash);
    if (!grant) return analytics::keen_error("InternalServerError", grant.status());
    if (!*grant)
        return analytics::keen_error("InvalidApiKeyError", Status::unauthenticated("the API key is not valid"));
    if ((*grant)->revoked)
        return analytics::keen_error("InvalidApiKeyError", Status::unauthenticated("the API key has been revoked"));
    if ((*grant)->kind != allowed && (*grant)->kind != KeyKind::master)
        return analytics::keen_error("InvalidApiKeyError",
                                     Status::permission_denied(
                                         fmt::format("this is a {} key; this call needs a {} key (or the master key)",
                                                     analytics::key_kind_name((*grant)->kind),
                                                     analytics::key_kind_name(allowed))));
    auto project = deps.analytics.project_id(analytics_now_ms(deps) / 1000);
    if (!project) return analytics::keen_error("InternalServerError", project.status());
    if (params.get("project") != *project)
        return analytics::keen_error("ProjectNotFoundError",
                                     Status::not_found(
                                         "no such project; this platform has one, named in endpoints.json "
                                         "and by `lampi-cloud analytics keys`"));
    return Access{**grant, std::move(key_hash)};
}

const KeenError* refused(const std::variant<Access, KeenError>& access) { return std::get_if<KeenError>(&access); }

const analytics::KeyGrant& grant_of(const std::variant<Access, KeenError>& access) {
    return std::get<Access>(access).grant;
}

// 429 with Retry-After when the caller's key has written more than its share
// (AppOptions::analytics_write_limit); else takes `events` from its bucket.
std::optional<Response> over_write_limit(const std::variant<Access, KeenError>& access, std::int64_t events,
                                         Deps& deps) {
    std::int64_t wait = deps.analytics_writes.take(std::get<Access>(access).key_hash, events, analytics_now_ms(deps));
    if (wait == 0) return std::nullopt;
    const analytics::WriteLimit& limit = deps.analytics_writes.limit();
    Response r = keen_failure(
        analytics::keen_error("TooManyRequestsError",
                              Status::resource_exhausted(fmt::format(
                                  "this key wrote more than {:.0f} events per second (bursts of {:.0f}); retry in {} s",
                                  limit.events_per_second, limit.burst, wait))));
    r.set("Retry-After", std::to_string(wait));
    return r;
}

Response record_one(const Request& request, const http::Params& params, Deps& deps) {
    auto access = check_access(request, params, deps, KeyKind::write);
    if (const KeenError* denied = refused(access)) return keen_failure(*denied);
    if (auto refusal = over_write_limit(access, 1, deps)) return std::move(*refusal);
    analytics::KeyScope scope = analytics::key_scope(grant_of(access).options);
    auto event = analytics::prepare_event(params.get("collection"), request.body, analytics_now_ms(deps),
                                          scope.autofill.empty() ? nullptr : &scope.autofill);
    if (analytics::failed(event)) return keen_failure(std::get<KeenError>(event));
    if (Status s = deps.analytics.insert({std::get<analytics::PreparedEvent>(std::move(event))}); !s)
        return keen_failure({"InternalServerError", s});
    return cross_origin(http::json(201, R"({"created":true})"));
}

Response record_batch(const Request& request, const http::Params& params, Deps& deps) {
    auto access = check_access(request, params, deps, KeyKind::write);
    if (const KeenError* denied = refused(access)) return keen_failure(*denied);
    // A key past its limit is refused before its body is read: reading a batch
    // costs far more than refusing it, and a refused key must not be able to
    // spend the server's time anyway. Its events are counted once read, below.
    if (auto refusal = over_write_limit(access, 0, deps)) return std::move(*refusal);
    analytics::KeyScope scope = analytics::key_scope(grant_of(access).options);
    auto batch = analytics::prepare_batch(request.body, analytics_now_ms(deps),
                                          scope.autofill.empty() ? nullptr : &scope.autofill);
    if (analytics::failed(batch)) return keen_failure(std::get<KeenError>(batch));
    auto& entries = std::get<std::vector<analytics::BatchEntry>>(batch);
    std::int64_t sent = 0;
    for (const auto& entry : entries) sent += static_cast<std::int64_t>(entry.events.size());
    if (auto refusal = over_write_limit(access, sent, deps)) return std::move(*refusal);
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
    auto access = check_access(request, params, deps, KeyKind::read);
    if (const KeenError* denied = refused(access)) return keen_failure(*denied);
    return keen_query(request, params.get("analysis"), deps, cross_origin,
                      analytics::key_scope(grant_of(access).options).query_filters);
}

// Keen's key API, for the master key only: the keys it makes are scoped
// (analytics/access_keys.h) and shown once.
Response create_key(const Request& request, const http::Params& params, Deps& deps) {
    auto access = check_access(request, params, deps, KeyKind::master);
    if (const KeenError* denied = refused(access)) return keen_failure(*denied);
    auto definition = analytics::parse_access_key(request.body);
    if (analytics::failed(definition)) return keen_failure(std::get<KeenError>(definition));
    const auto& d = std::get<analytics::AccessKeyDefinition>(definition);
    std::string key = accounts::random_token();
    if (Status s = deps.analytics.add_key(accounts::secret_hash(key), d.kind, d.name, analytics_now_ms(deps) / 1000,
                                          d.options);
        !s)
        return keen_failure({"InternalServerError", s});
    return cross_origin(http::json(201, analytics::describe_key({d.kind, d.name, d.options, false}, key)));
}

Response show_key(const Request& request, const http::Params& params, Deps& deps) {
    auto access = check_access(request, params, deps, KeyKind::master);
    if (const KeenError* denied = refused(access)) return keen_failure(*denied);
    auto grant = deps.analytics.key_grant(accounts::secret_hash(params.get("key")));
    if (!grant) return keen_failure({"InternalServerError", grant.status()});
    if (!*grant) return keen_failure({"ResourceNotFoundError", Status::not_found("no such key in this project")});
    return cross_origin(http::json(200, analytics::describe_key(**grant, {})));
}

Response revoke_key(const Request& request, const http::Params& params, Deps& deps) {
    auto access = check_access(request, params, deps, KeyKind::master);
    if (const KeenError* denied = refused(access)) return keen_failure(*denied);
    std::string hash = accounts::secret_hash(params.get("key"));
    auto grant = deps.analytics.key_grant(hash);
    if (!grant) return keen_failure({"InternalServerError", grant.status()});
    if (!*grant) return keen_failure({"ResourceNotFoundError", Status::not_found("no such key in this project")});
    if ((*grant)->kind == KeyKind::master)
        return keen_failure(
            {"InvalidAccessKeyError", Status::failed_precondition("the master key cannot be revoked through the API")});
    auto revoked = deps.analytics.revoke_key(hash, analytics_now_ms(deps) / 1000);
    if (!revoked) return keen_failure({"InternalServerError", revoked.status()});
    analytics::KeyGrant now_revoked = **grant;
    now_revoked.revoked = true;
    return cross_origin(http::json(200, analytics::describe_key(now_revoked, {})));
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

Response keen_query(const Request& request, std::string_view analysis, Deps& deps, Response (*finish)(Response),
                    json::array scope) {
    std::optional<http::Fields> fields;
    if (request.method == "GET") {
        auto parsed = http::parse_form(request.query);
        if (!parsed) return finish(keen_refusal({"InvalidQueryError", parsed.status()}));
        fields = *parsed;
    }
    // A query may take seconds of CPU: never on the server's own threads.
    return on_pool(deps.query_pool, "analytics query",
                   [&deps, analysis = std::string(analysis), fields = std::move(fields), body = request.body, finish,
                    scope = std::move(scope)]() -> Response {
                       const json::array* limits = scope.empty() ? nullptr : &scope;
                       const auto engine = analytics::QueryEngine::best;
                       analytics::KeenResult<std::string> result =
                           fields ? analytics::run_query(deps.analytics, analysis, *fields, analytics_now_ms(deps),
                                                         engine, limits)
                                  : analytics::run_query(deps.analytics, analysis, body, analytics_now_ms(deps), engine,
                                                         limits);
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
    router.add("POST", "/3.0/projects/{project}/keys",
               [&deps](const Request& r, const http::Params& p) { return create_key(r, p, deps); });
    router.add("GET", "/3.0/projects/{project}/keys/{key}",
               [&deps](const Request& r, const http::Params& p) { return show_key(r, p, deps); });
    router.add("POST", "/3.0/projects/{project}/keys/{key}/revoke",
               [&deps](const Request& r, const http::Params& p) { return revoke_key(r, p, deps); });
    for (const char* pattern : {"/3.0/projects/{project}/events/{collection}", "/3.0/projects/{project}/events",
                                "/3.0/projects/{project}/queries/{analysis}", "/3.0/projects/{project}/keys",
                                "/3.0/projects/{project}/keys/{key}", "/3.0/projects/{project}/keys/{key}/revoke"})
        router.add("OPTIONS", pattern, [](const Request&, const http::Params&) { return preflight(); });
}

}  // namespace lampi::cloud::api
