// The JSON API under /api/v1/ (documented in src/cloud/README.md). Callers are
// identified by "Authorization: Bearer <token>" or the session cookie; session
// callers must echo the csrftoken cookie in X-CSRFToken on state changes.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include "accounts/csrf.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/json_body.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

using http::Request;
using http::Response;

Response json_ok(int status, const json::value& value) { return http::json(status, json::serialize(value)); }

Response from_error(const lamps::LampError& e) { return http::json_error(e.http_status, e.message); }

Response server_error(const Status& s) {
    log::error("{}", s.message());
    return http::json_error(500, "internal error; see the server log");
}

// Authenticates and, for state changes by session, checks CSRF. Returns the
// caller or the error answer.
std::variant<Caller, Response> authorize(const Request& request, Deps& deps, bool changes_state) {
    http::Fields cookies = http::parse_cookies(request.header("Cookie"));
    auto caller = identify(request, cookies, deps, true);
    if (!caller) return server_error(caller.status());
    if (!*caller) {
        Response r = http::json_error(401, "not logged in: log in first or send Authorization: Bearer <api token>");
        r.set("WWW-Authenticate", "Bearer");
        return r;
    }
    if (changes_state && !(*caller)->via_token) {
        std::string why = accounts::csrf_failure(request, cookies, request.header(accounts::kCsrfHeader));
        if (!why.empty()) return http::json_error(403, why);
    }
    if (changes_state && (*caller)->via_token && (*caller)->token_scope != "control")
        return http::json_error(403, "this token may only read; make a token with \"scope\": \"control\"");
    return std::move(**caller);
}

// Tokens are managed from a logged-in browser only: a token can neither make a
// token (so it can never widen its own scope or outlive itself) nor list or
// revoke others.
std::variant<Caller, Response> authorize_session(const Request& request, Deps& deps, bool changes_state) {
    auto who = authorize(request, deps, changes_state);
    if (auto* caller = std::get_if<Caller>(&who); caller && caller->via_token)
        return http::json_error(403, "API tokens are managed from a logged-in session, not with a token");
    return who;
}

json::object token_json(const storage::ApiToken& t) {
    json::object o;
    o["id"] = t.public_id;
    o["name"] = t.name;
    o["scope"] = t.scope;
    o["created_at"] = t.created_at;
    o["expires_at"] = t.expires_at;
    return o;
}

bool wants_json_body(const Request& request, Response& error) {
    std::string_view type = request.header("Content-Type");
    if (!type.empty() && type.find("json") == std::string_view::npos) {
        error = http::json_error(415, "send the body as JSON (Content-Type: application/json)");
        return false;
    }
    return true;
}

// The body as a JSON object holding the string `key`, or the 4xx answer (with
// `hint` saying what to send).
std::variant<std::string, Response> required_string(const Request& request, const char* key, std::string_view hint) {
    Response error;
    if (!wants_json_body(request, error)) return error;
    auto body = parse_json_object(request.body);
    if (!body) return http::json_error(400, body.status().message());
    const json::value* value = body->if_contains(key);
    if (!value || !value->is_string()) return http::json_error(400, std::string(hint));
    return std::string(value->as_string());
}

Response set_state(const Request& request, const http::Params& params, Deps& deps) {
    auto who = authorize(request, deps, true);
    if (auto* r = std::get_if<Response>(&who)) return *r;
    const Caller& caller = std::get<Caller>(who);
    Response error;
    if (!wants_json_body(request, error)) return error;
    // The MQTT contract's own decoder: same validation and clamping as the lamp.
    auto update = decode_set_config(request.body);
    if (!update) return http::json_error(400, "invalid state: " + update.status().message());
    auto sent = deps.lamps.set_state(caller.user.id, params.get("id"), update->update);
    if (auto* e = std::get_if<lamps::LampError>(&sent)) return from_error(*e);
    json::object o;
    o["device_id"] = params.get("id");
    boost::system::error_code ec;
    o["sent"] = json::parse(std::get<std::string>(sent), ec);
    json::array warnings;
    for (const auto& w : update->warnings) warnings.emplace_back(w);
    o["warnings"] = std::move(warnings);
    return json_ok(202, o);
}

}  // namespace

void add_api_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/api/v1/lamps", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, false);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        auto lamps = deps.store.lamps_of(std::get<Caller>(who).user.id);
        if (!lamps) return server_error(lamps.status());
        json::array list;
        for (const auto& lamp : *lamps) list.emplace_back(lamp_json(lamp, deps.lamps.health_of(lamp.device_id)));
        json::object o;
        o["lamps"] = std::move(list);
        return json_ok(200, o);
    });

    router.add("GET", "/api/v1/lamps/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, false);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        auto lamp = deps.lamps.owned_lamp(std::get<Caller>(who).user.id, params.get("id"));
        if (auto* e = std::get_if<lamps::LampError>(&lamp)) return from_error(*e);
        return json_ok(200, lamp_json(std::get<storage::Lamp>(lamp), deps.lamps.health_of(std::get<storage::Lamp>(lamp).device_id)));
    });

    router.add("PATCH", "/api/v1/lamps/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        auto name = required_string(request, "name", "give the new name as {\"name\": \"...\"}");
        if (auto* r = std::get_if<Response>(&name)) return *r;
        std::int64_t user_id = std::get<Caller>(who).user.id;
        auto done = deps.lamps.rename(user_id, params.get("id"), std::get<std::string>(name));
        if (auto* e = std::get_if<lamps::LampError>(&done)) return from_error(*e);
        auto lamp = deps.lamps.owned_lamp(user_id, params.get("id"));
        if (auto* e = std::get_if<lamps::LampError>(&lamp)) return from_error(*e);
        return json_ok(200, lamp_json(std::get<storage::Lamp>(lamp), deps.lamps.health_of(std::get<storage::Lamp>(lamp).device_id)));
    });

    router.add("DELETE", "/api/v1/lamps/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        auto done = deps.lamps.remove(std::get<Caller>(who).user.id, params.get("id"));
        if (auto* e = std::get_if<lamps::LampError>(&done)) return from_error(*e);
        // Pages already open lose the lamp now, not at their credential's next refresh.
        revoke_broker_connections(deps, std::get<Caller>(who).user.username);
        Response r;
        r.status = 204;
        return r;
    });

    router.add("POST", "/api/v1/lamps/{id}/state", [&deps](const Request& request, const http::Params& params) {
        return set_state(request, params, deps);
    });
    router.add("PUT", "/api/v1/lamps/{id}/state", [&deps](const Request& request, const http::Params& params) {
        return set_state(request, params, deps);
    });

    router.add("POST", "/api/v1/lamps/claim", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, true);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        auto code = required_string(request, "code", "give the code as {\"code\": \"123456\"}");
        if (auto* r = std::get_if<Response>(&code)) return *r;
        std::int64_t user_id = std::get<Caller>(who).user.id;
        auto claimed = deps.lamps.claim(user_id, std::get<std::string>(code), request.client_address);
        if (auto* e = std::get_if<lamps::LampError>(&claimed)) return from_error(*e);
        auto lamp = deps.lamps.owned_lamp(user_id, std::get<std::string>(claimed));
        if (auto* e = std::get_if<lamps::LampError>(&lamp)) return from_error(*e);
        return json_ok(201, lamp_json(std::get<storage::Lamp>(lamp), deps.lamps.health_of(std::get<storage::Lamp>(lamp).device_id)));
    });

    router.add("GET", "/api/v1/mqtt-credential", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, false);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        const storage::User& user = std::get<Caller>(who).user;
        auto devices = deps.store.owned_device_ids(user.id);
        if (!devices) return server_error(devices.status());
        auto issued = deps.accounts.issue_broker_credential(user, *devices, deps.options.auth_secret);
        if (!issued) return server_error(issued.status());
        json::object o;
        o["username"] = issued->username;
        o["password"] = issued->password;
        o["expires_at"] = issued->expires_at;
        o["ws_url"] = deps.options.mqtt_ws_url;
        Response r = json_ok(200, o);
        r.set("Cache-Control", "no-store");
        return r;
    });

    router.add("POST", "/api/v1/tokens", [&deps](const Request& request, const http::Params&) {
        auto who = authorize_session(request, deps, true);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        Response error;
        if (!wants_json_body(request, error)) return error;
        std::string name;
        std::string scope = "control";
        std::int64_t days = accounts::kDefaultTokenDays;
        if (!request.body.empty()) {
            auto body = parse_json_object(request.body);
            if (!body) return http::json_error(400, body.status().message());
            if (const json::value* n = body->if_contains("name")) {
                if (!n->is_string()) return http::json_error(400, "\"name\" must be a string");
                name = std::string(n->as_string());
            }
            if (const json::value* s = body->if_contains("scope")) {
                if (!s->is_string()) return http::json_error(400, "\"scope\" is \"read\" or \"control\"");
                scope = std::string(s->as_string());
            }
            if (const json::value* d = body->if_contains("expires_in_days")) {
                if (!d->is_int64()) return http::json_error(400, "\"expires_in_days\" is a whole number of days, 1 to 365");
                days = d->as_int64();
            }
        }
        auto issued = deps.accounts.create_api_token(std::get<Caller>(who).user.id, name, scope, days);
        if (!issued) return http::json_error(400, issued.status().message());
        json::object o = token_json(issued->info);
        o["token"] = issued->token;
        Response r = json_ok(201, o);
        r.set("Cache-Control", "no-store");
        return r;
    });

    router.add("GET", "/api/v1/tokens", [&deps](const Request& request, const http::Params&) {
        auto who = authorize_session(request, deps, false);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        auto tokens = deps.store.api_tokens_of(std::get<Caller>(who).user.id, deps.accounts.now());
        if (!tokens) return server_error(tokens.status());
        json::array list;
        for (const auto& t : *tokens) list.emplace_back(token_json(t));
        json::object o;
        o["tokens"] = std::move(list);
        Response r = json_ok(200, o);
        r.set("Cache-Control", "no-store");
        return r;
    });

    router.add("DELETE", "/api/v1/tokens/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize_session(request, deps, true);
        if (auto* r = std::get_if<Response>(&who)) return *r;
        const Caller& caller = std::get<Caller>(who);
        auto done = deps.store.delete_api_token(caller.user.id, std::string(params.get("id")));
        if (!done) return server_error(done.status());
        if (!*done) return http::json_error(404, "you have no token with that id; see GET /api/v1/tokens");
        revoke_broker_connections(deps, caller.user.username);
        Response r;
        r.status = 204;
        return r;
    });
}

}  // namespace lampi::cloud::api
