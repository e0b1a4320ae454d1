// The JSON API under /api/v1/ (documented in src/cloud/README.md). Callers are
// identified by "Authorization: Bearer <token>" or the session cookie; session
// callers must echo the csrftoken cookie in X-CSRFToken on state changes.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include "accounts/csrf.h"
#include "api/api_support.h"
#include "api/app.h"
#include "api/caller.h"
#include "api/error_response.h"
#include "api/json_body.h"
#include "lampi/json_object.h"
#include "lampi/lamp_codec.h"
#include "lampi/log.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

using http::Request;
using http::Response;

// Tokens are managed from a logged-in browser only: a token can neither make a
// token (so it can never widen its own scope or outlive itself) nor list or
// revoke others.
Result<Caller> authorize_session(const Request& request, Deps& deps, bool changes_state) {
    auto who = authorize(request, deps, changes_state);
    if (who && who->via_token)
        return Status::permission_denied("API tokens are managed from a logged-in session, not with a token");
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

Response set_state(const Request& request, const http::Params& params, Deps& deps) {
    auto who = authorize(request, deps, true);
    if (!who) return failed(who.status());
    const Caller& caller = *who;
    if (auto unsupported = not_json(request)) return *unsupported;
    // The MQTT contract's own decoder: same validation and clamping as the lamp.
    auto update = decode_set_config(request.body);
    if (!update) return failed(Status::invalid_argument("invalid state: " + update.status().message()));
    // The answer waits for the broker's acknowledgement; not on a server thread.
    return on_pool(deps.command_pool, "lamp command",
                   [&deps, user_id = caller.user.id, device_id = std::string(params.get("id")),
                    update = *update]() -> Response {
                       auto sent = deps.lamps.set_state(user_id, device_id, update.update);
                       if (!sent) return failed(sent.status());
                       json::object o;
                       o["device_id"] = device_id;
                       boost::system::error_code ec;
                       o["sent"] = json::parse(*sent, ec);
                       json::array warnings;
                       for (const auto& w : update.warnings) warnings.emplace_back(w);
                       o["warnings"] = std::move(warnings);
                       return json_ok(202, o);
                   });
}

// A command for a room's lamps (`room`), or for all the caller's lamps (nullopt).
Response set_room_state(const Request& request, std::optional<std::string> room, Deps& deps) {
    auto who = authorize(request, deps, true);
    if (!who) return failed(who.status());
    if (auto unsupported = not_json(request)) return *unsupported;
    auto update = decode_set_config(request.body);
    if (!update) return failed(Status::invalid_argument("invalid state: " + update.status().message()));
    return on_pool(deps.command_pool, "room command",
                   [&deps, user_id = who->user.id, room = std::move(room), update = *update]() -> Response {
                       auto sent = deps.lamps.set_room_state(user_id, room, update.update);
                       if (!sent) return failed(sent.status());
                       json::object o;
                       o["room"] = room ? json::value(*room) : json::value(nullptr);
                       json::array ids;
                       for (const auto& id : *sent) ids.emplace_back(id);
                       o["device_ids"] = std::move(ids);
                       json::array warnings;
                       for (const auto& w : update.warnings) warnings.emplace_back(w);
                       o["warnings"] = std::move(warnings);
                       return json_ok(202, o);
                   });
}

json::object look_json(const LampUpdate& look) {
    boost::system::error_code ec;
    json::value parsed = json::parse(encode_set_config(look), ec);
    return ec || !parsed.is_object() ? json::object() : parsed.as_object();
}

json::object builtin_scene_json(const lamps::BuiltinScene& scene) {
    json::object o;
    o["id"] = scene.id;
    o["name"] = scene.name;
    o["builtin"] = true;
    o["kelvin"] = scene.kelvin;
    o["look"] = look_json(scene.look());
    return o;
}

json::object saved_scene_json(const storage::Scene& scene) {
    json::object o;
    o["id"] = std::to_string(scene.id);
    o["name"] = scene.name;
    o["builtin"] = false;
    o["room"] = scene.room;
    boost::system::error_code ec;
    json::value lamps = json::parse(scene.lamps_json, ec);
    o["lamps"] = ec ? json::value(json::object()) : lamps;
    o["created_at"] = scene.created_at;
    return o;
}

// The optional string `key` of a JSON object body (an empty body has none).
Result<std::optional<std::string>> optional_string(const Request& request, const char* key) {
    if (request.body.empty()) return std::optional<std::string>();
    auto body = parse_json_object(request.body, "the JSON body");
    if (!body) return body.status();
    const json::value* value = body->if_contains(key);
    if (!value) return std::optional<std::string>();
    if (!value->is_string()) return Status::invalid_argument(fmt::format("\"{}\" must be a string", key));
    return std::optional<std::string>(std::string(value->as_string()));
}

void add_scene_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/api/v1/scenes", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, false);
        if (!who) return failed(who.status());
        auto saved = deps.scenes.saved(who->user.id);
        if (!saved) return failed(saved.status());
        json::array list;
        for (const auto& scene : lamps::Scenes::builtins()) list.emplace_back(builtin_scene_json(scene));
        for (const auto& scene : *saved) list.emplace_back(saved_scene_json(scene));
        json::object o;
        o["scenes"] = std::move(list);
        return json_ok(200, o);
    });

    // Saves how the lamps of a room look now: {"name": "...", "room": "..."}.
    router.add("POST", "/api/v1/scenes", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        auto name = required_string(request, "name", R"(give the scene as {"name": "...", "room": "..."})");
        if (!name) return failed(name.status());
        auto room = required_string(request, "room", R"(say which room's look to save: {"room": "..."})");
        if (!room) return failed(room.status());
        auto scene = deps.scenes.save(who->user.id, *name, *room, deps.accounts.now());
        if (!scene) return failed(scene.status());
        return json_ok(201, saved_scene_json(*scene));
    });

    router.add("DELETE", "/api/v1/scenes/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        // Refused while a schedule sets it, naming the schedules (src/cloud/README.md, "Schedules").
        if (Status s = deps.schedules.check_scene_unused(who->user.id, params.get("id")); !s) return failed(s);
        if (Status s = deps.scenes.remove(who->user.id, params.get("id")); !s) return failed(s);
        return no_content();
    });

    // One tap: {"room": "..."} (a saved scene's own room when left out).
    router.add("POST", "/api/v1/scenes/{id}/apply", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        auto room = optional_string(request, "room");
        if (!room) return failed(room.status());
        return on_pool(deps.command_pool, "scene",
                       [&deps, user_id = who->user.id, id = std::string(params.get("id")), room = *room]() -> Response {
                           auto sent = deps.scenes.apply(user_id, id,
                                                         room ? std::optional<std::string_view>(*room) : std::nullopt);
                           if (!sent) return failed(sent.status());
                           json::object o;
                           o["scene"] = id;
                           o["room"] = room ? json::value(*room) : json::value(nullptr);
                           json::array ids;
                           for (const auto& device : *sent) ids.emplace_back(device);
                           o["device_ids"] = std::move(ids);
                           return json_ok(202, o);
                       });
    });
}

}  // namespace

void add_api_routes(http::Router& router, Deps& deps) {
    router.add("GET", "/api/v1/lamps", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, false);
        if (!who) return failed(who.status());
        auto lamps = deps.store.lamps_of(who->user.id);
        if (!lamps) return failed(lamps.status());
        json::array list;
        for (const auto& lamp : *lamps) list.emplace_back(lamp_json(lamp, deps.lamps.health_of(lamp.device_id)));
        json::object o;
        o["lamps"] = std::move(list);
        return json_ok(200, o);
    });

    router.add("GET", "/api/v1/lamps/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, false);
        if (!who) return failed(who.status());
        auto lamp = deps.lamps.owned_lamp(who->user.id, params.get("id"));
        if (!lamp) return failed(lamp.status());
        return json_ok(200, lamp_json(*lamp, deps.lamps.health_of(lamp->device_id)));
    });

    // Renames the lamp and/or puts it in a room: {"name": "...", "room": "..."}.
    router.add("PATCH", "/api/v1/lamps/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        auto body = parse_json_object(request.body, "the JSON body");
        if (!body) return failed(body.status());
        const json::value* name = body->if_contains("name");
        const json::value* room = body->if_contains("room");
        if ((!name && !room) || (name && !name->is_string()) || (room && !room->is_string()))
            return failed(
                Status::invalid_argument(R"(give the new name and/or room as {"name": "...", "room": "..."})"));
        std::int64_t user_id = who->user.id;
        std::string_view id = params.get("id");
        // Both are checked before either is stored, so a bad room leaves the name as it was.
        if (room) {
            if (Status s = lamps::LampService::check_room(room->as_string()); !s) return failed(s);
        }
        if (name) {
            if (Status s = deps.lamps.rename(user_id, id, name->as_string()); !s) return failed(s);
        }
        if (room) {
            if (Status s = deps.lamps.set_room(user_id, id, room->as_string()); !s) return failed(s);
        }
        auto lamp = deps.lamps.owned_lamp(user_id, id);
        if (!lamp) return failed(lamp.status());
        return json_ok(200, lamp_json(*lamp, deps.lamps.health_of(lamp->device_id)));
    });

    router.add("DELETE", "/api/v1/lamps/{id}", [&deps](const Request& request, const http::Params& params) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        auto done = deps.lamps.remove(who->user.id, params.get("id"));
        if (!done) return failed(done);
        // Pages already open lose the lamp now, not at their credential's next refresh.
        revoke_broker_connections(deps, who->user.username);
        return no_content();
    });

    router.add("POST", "/api/v1/lamps/{id}/state", [&deps](const Request& request, const http::Params& params) {
        return set_state(request, params, deps);
    });
    router.add("PUT", "/api/v1/lamps/{id}/state", [&deps](const Request& request, const http::Params& params) {
        return set_state(request, params, deps);
    });

    // A room at once, and every lamp at once ("All off": {"on": false}).
    for (const char* method : {"POST", "PUT"}) {
        router.add(method, "/api/v1/rooms/{room}/state", [&deps](const Request& request, const http::Params& params) {
            return set_room_state(request, std::string(params.get("room")), deps);
        });
        router.add(method, "/api/v1/lamps/state", [&deps](const Request& request, const http::Params&) {
            return set_room_state(request, std::nullopt, deps);
        });
    }

    router.add("POST", "/api/v1/lamps/claim", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, true);
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        auto code = required_string(request, "code", R"(give the code as {"code": "123456"})");
        if (!code) return failed(code.status());
        std::int64_t user_id = who->user.id;
        auto claimed = deps.lamps.claim(user_id, *code, request.client_address);
        if (!claimed) return failed(claimed.status());
        auto lamp = deps.lamps.owned_lamp(user_id, *claimed);
        if (!lamp) return failed(lamp.status());
        return json_ok(201, lamp_json(*lamp, deps.lamps.health_of(lamp->device_id)));
    });

    add_scene_routes(router, deps);

    router.add("GET", "/api/v1/mqtt-credential", [&deps](const Request& request, const http::Params&) {
        auto who = authorize(request, deps, false);
        if (!who) return failed(who.status());
        const storage::User& user = who->user;
        auto devices = deps.store.owned_device_ids(user.id);
        if (!devices) return failed(devices.status());
        auto issued = deps.accounts.issue_broker_credential(user, *devices, deps.options.auth_secret);
        if (!issued) return failed(issued.status());
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
        if (!who) return failed(who.status());
        if (auto unsupported = not_json(request)) return *unsupported;
        std::string name;
        std::string scope = "control";
        std::int64_t days = accounts::kDefaultTokenDays;
        if (!request.body.empty()) {
            auto body = parse_json_object(request.body, "the JSON body");
            if (!body) return failed(body.status());
            if (const json::value* n = body->if_contains("name")) {
                if (!n->is_string()) return failed(Status::invalid_argument("\"name\" must be a string"));
                name = std::string(n->as_string());
            }
            if (const json::value* s = body->if_contains("scope")) {
                if (!s->is_string()) return failed(Status::invalid_argument(R"("scope" is "read" or "control")"));
                scope = std::string(s->as_string());
            }
            if (const json::value* d = body->if_contains("expires_in_days")) {
                if (!d->is_int64())
                    return failed(Status::invalid_argument("\"expires_in_days\" is a whole number of days, 1 to 365"));
                days = d->as_int64();
            }
        }
        auto issued = deps.accounts.create_api_token(who->user.id, name, scope, days);
        if (!issued) return failed(issued.status());
        json::object o = token_json(issued->info);
        o["token"] = issued->token;
        Response r = json_ok(201, o);
        r.set("Cache-Control", "no-store");
        return r;
    });

    // Every route opens with its caller and answers a secret with no-store, as above.
    router.add("GET", "/api/v1/tokens", [&deps](const Request& request, const http::Params&) {
        auto who = authorize_session(request, deps, false);
        if (!who) return failed(who.status());
        auto tokens = deps.store.api_tokens_of(who->user.id, deps.accounts.now());
        if (!tokens) return failed(tokens.status());
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
        if (!who) return failed(who.status());
        const Caller& caller = *who;
        auto done = deps.store.delete_api_token(caller.user.id, std::string(params.get("id")));
        if (!done) return failed(done.status());
        if (!*done) return failed(Status::not_found("you have no token with that id; see GET /api/v1/tokens"));
        revoke_broker_connections(deps, caller.user.username);
        return no_content();
    });
}

}  // namespace lampi::cloud::api
