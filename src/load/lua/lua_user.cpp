#include "lua/lua_user.h"

#include <fmt/core.h>
#include <lua.hpp>

#include <cmath>

#include "http/request.h"
#include "lua/lua_guard.h"
#include "lua/lua_json.h"
#include "lua/lua_mqtt.h"
#include "lua/scenario_state.h"
#include "mqtt/worker.h"
#include "run/clock.h"

namespace lampi::load::lua {
namespace {

// The key under which a user's table holds its LuaUser (a light userdata).
const char kUserKey = 0;
// What a sleeping user awaits.
const char kSleep = 0;

LuaUser& check_user(lua_State* L, int index) {
    luaL_checktype(L, index, LUA_TTABLE);
    lua_rawgetp(L, index, &kUserKey);
    auto* user = static_cast<LuaUser*>(lua_touserdata(L, -1));
    lua_pop(L, 1);
    if (user == nullptr) luaL_argerror(L, index, "not a user (call it as user:method(...))");
    return *user;
}

LuaUser& check_own_user(lua_State* L, const char* what) { return LuaUser::from_lua(L, 1, what); }

std::string header_lines(lua_State* L, int options, std::string& content_type) {
    std::string lines;
    if (lua_getfield(L, options, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
                throw LuaFailure(R"(headers: give {["Name"] = "value", ...})");
            std::string name = lua_tostring(L, -2);
            std::string value = lua_tostring(L, -1);
            if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
                throw LuaFailure(fmt::format("headers: the header {} holds a line break or a colon", name));
            std::string lower = name;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "content-type") {
                content_type = value;
            } else if (lower != "content-length" && lower != "host") {
                lines += fmt::format("{}: {}\r\n", name, value);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return lines;
}

// The body from one of json, form or body, and its content type.
std::string request_body(lua_State* L, int options, std::string& content_type) {
    std::string body;
    std::string type;
    if (lua_getfield(L, options, "json") != LUA_TNIL) {
        Result<std::string> text = encode_json(L, -1);
        if (!text) throw LuaFailure("json: " + text.status().message());
        body = std::move(text).value();
        type = "application/json";
    }
    lua_pop(L, 1);
    if (lua_getfield(L, options, "form") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            if (!lua_isstring(L, -2) || !lua_isstring(L, -1))
                throw LuaFailure(R"(form: give {name = "value", ...} (strings or numbers))");
            lua_pushvalue(L, -2);  // tostring on a copy keeps lua_next's key intact
            if (!body.empty()) body += '&';
            body += http::form_encode(lua_tostring(L, -1)) + "=" + http::form_encode(lua_tostring(L, -2));
            lua_pop(L, 2);
        }
        type = "application/x-www-form-urlencoded";
    }
    lua_pop(L, 1);
    if (lua_getfield(L, options, "body") == LUA_TSTRING) body = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (content_type.empty()) content_type = type;
    return body;
}

// native.send(user, method, path, options): starts the request and yields;
// resumes with the response table (status, reason, body, headers, url,
// elapsed, failure: the usual verdict).
int native_send(lua_State* L) {
    LuaUser& user = check_own_user(L, "user:request");
    const char* method_arg = luaL_checkstring(L, 2);
    const char* path_arg = luaL_checkstring(L, 3);
    if (!lua_isnoneornil(L, 4)) luaL_checktype(L, 4, LUA_TTABLE);
    std::string method = method_arg;
    std::string path = path_arg;
    if (path.empty() || path[0] != '/') {
        std::string same = http::same_origin_path(user.endpoint().url, path);
        if (same.empty())
            throw LuaFailure(fmt::format("user:request: '{}' is not a path (/...) on the site under test", path));
        path = same;
    }
    std::string name = path, headers, content_type, body;
    if (!lua_isnoneornil(L, 4)) {
        if (lua_getfield(L, 4, "name") == LUA_TSTRING) name = lua_tostring(L, -1);
        lua_pop(L, 1);
        headers = header_lines(L, 4, content_type);
        body = request_body(L, 4, content_type);
    }
    user.begin_request(std::move(method), path, std::move(name), std::move(headers), std::move(content_type),
                       std::move(body));
    return kYield;
}

// native.record(user, failure or nil): counts the request that just ended.
int native_record(lua_State* L) {
    LuaUser& user = check_user(L, 1);
    user.record(lua_isnoneornil(L, 2) ? std::string() : std::string(luaL_checkstring(L, 2)));
    return 0;
}

int native_sleep(lua_State* L) {
    LuaUser& user = check_own_user(L, "user:sleep");
    double seconds = luaL_checknumber(L, 2);
    if (!std::isfinite(seconds) || seconds < 0) return luaL_error(L, "user:sleep: give 0 or more seconds");
    user.sleep(seconds);
    return lua_yield(L, 0);
}

int native_exception(lua_State* L) {
    check_user(L, 1).exception(luaL_checkstring(L, 2));
    return 0;
}

int native_cookie(lua_State* L) {
    std::string_view value = check_user(L, 1).cookies().get(luaL_checkstring(L, 2));
    if (value.empty()) {
        lua_pushnil(L);
    } else {
        lua_pushlstring(L, value.data(), value.size());
    }
    return 1;
}

int native_url(lua_State* L) {
    std::string url = http::full_url(check_user(L, 1).endpoint().url, luaL_optstring(L, 2, "/"));
    lua_pushlstring(L, url.data(), url.size());
    return 1;
}

int native_check_failed(lua_State* L) {
    std::string text = http::check_failed(luaL_tolstring(L, 1, nullptr));
    lua_pushlstring(L, text.data(), text.size());
    return 1;
}

}  // namespace

void push_user_natives(lua_State* L) {
    const luaL_Reg natives[] = {{"send", guarded<native_send>},
                                {"record", native_record},
                                {"sleep", native_sleep},
                                {"exception", native_exception},
                                {"cookie", native_cookie},
                                {"url", native_url},
                                {"check_failed", native_check_failed},
                                {"where", where_handler},
                                {"mqtt", guarded<open_mqtt>},
                                {nullptr, nullptr}};
    luaL_newlib(L, natives);
}

// Requests and sleeps yield: only the user's own coroutine may make them.
LuaUser& LuaUser::from_lua(lua_State* L, int index, const char* what) {
    LuaUser& user = check_user(L, index);
    if (L != user.thread() || !lua_isyieldable(L))
        luaL_error(L, "%s: only a user's own on_start, tasks and on_stop may call it", what);
    return user;
}

LuaMqtt& LuaUser::add_mqtt(std::unique_ptr<LuaMqtt> client) {
    mqtt_.push_back(std::move(client));
    return *mqtt_.back();
}

LuaUser::LuaUser(ScenarioState& state, Worker& worker, const http::Endpoint& endpoint, RequestStats& stats,
                 http::UserTimers& timers, std::uint64_t number)
    : state_(state),
      worker_(worker),
      endpoint_(endpoint),
      stats_(stats),
      timers_(timers),
      metrics_(worker.metrics()),
      connection_(worker, endpoint, *this, number),
      number_(number) {
    connection_.keep_bodies(true);
    lua_State* L = state_.lua();
    lua_createtable(L, 0, 2);
    lua_pushlightuserdata(L, this);
    lua_rawsetp(L, -2, &kUserKey);
    lua_pushinteger(L, static_cast<lua_Integer>(number));
    lua_setfield(L, -2, "number");
    lua_rawgeti(L, LUA_REGISTRYINDEX, state_.user_metatable());
    lua_setmetatable(L, -2);
    user_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
}

LuaUser::~LuaUser() {
    connection_.close();
    drop_thread();
    lua_State* L = state_.lua();
    for (auto [ref, handle] : mqtt_handles_) {
        handle->client = nullptr;  // the handle may outlive its client in Lua's heap until collected
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
    }
    mqtt_.clear();
    lua_rawgeti(L, LUA_REGISTRYINDEX, user_ref_);
    lua_pushnil(L);
    lua_rawsetp(L, -2, &kUserKey);  // a table that outlives its user is no longer one
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, user_ref_);
}

void LuaUser::start() {
    started_ = true;
    run_in_new_thread(state_.run_function());
}

void LuaUser::run_in_new_thread(int function_ref) {
    lua_State* L = state_.lua();
    thread_ = lua_newthread(L);
    thread_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rawgeti(thread_, LUA_REGISTRYINDEX, function_ref);
    lua_rawgeti(thread_, LUA_REGISTRYINDEX, user_ref_);
    resume(1);
}

void LuaUser::drop_thread() {
    if (thread_ == nullptr) return;
    luaL_unref(state_.lua(), LUA_REGISTRYINDEX, thread_ref_);
    thread_ = nullptr;
    thread_ref_ = 0;
    awaited_ = nullptr;
    on_timeout_ = {};
    pending_ = {};
}

void LuaUser::resume(int nargs) {
    for (;;) {
        int results = 0;
        in_resume_ = true;
        run_started();
        int status = lua_resume(thread_, state_.lua(), nargs, &results);
        in_resume_ = false;
        if (status == LUA_YIELD) {
            lua_pop(thread_, results);
            if (!pending_) return;
            Answer push = std::move(pending_);
            pending_ = {};
            awaited_ = nullptr;
            nargs = push(thread_);
            continue;
        }
        if (status != LUA_OK) {
            // The prelude catches the scenario's errors; this is one in a wait function or worse.
            const char* message = lua_tostring(thread_, -1);
            exception(message ? message : "a Lua error without a message");
        }
        // The coroutine ended: on_stop is over, or the task loop gave up.
        drop_thread();
        if (stopping_) done_ = true;
        return;
    }
}

void LuaUser::await(const void* owner, std::int64_t deadline_ns, std::function<void()> on_timeout) {
    awaited_ = owner;
    deadline_ns_ = deadline_ns;
    on_timeout_ = std::move(on_timeout);
    if (deadline_ns > 0) timers_.wake_at(*this, deadline_ns);
}

void LuaUser::answer(Answer push) {
    if (thread_ == nullptr) return;
    if (in_resume_) {
        pending_ = std::move(push);  // the native call that started it has not yielded yet
        return;
    }
    awaited_ = nullptr;
    on_timeout_ = {};
    resume(push(thread_));
}

void LuaUser::wake(std::int64_t now) {
    if (awaited_ == nullptr || deadline_ns_ == 0 || now < deadline_ns_) return;
    if (awaited_ == &kSleep) {
        answer([](lua_State*) { return 0; });
    } else if (on_timeout_) {
        std::function<void()> timed_out = std::move(on_timeout_);
        timed_out();
    }
}

void LuaUser::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (connection_.busy()) connection_.close();  // the request in flight is not counted; an idle one serves on_stop
    drop_thread();
    if (!started_ || !state_.has_on_stop()) {
        done_ = true;
        return;
    }
    run_in_new_thread(state_.stop_function());
}

void LuaUser::sleep(double seconds) { await(&kSleep, now_ns() + static_cast<std::int64_t>(seconds * 1e9)); }

void LuaUser::begin_request(std::string method, const std::string& path, std::string name, std::string headers,
                            std::string content_type, std::string body) {
    method_ = std::move(method);
    name_ = std::move(name);
    headers_ = std::move(headers);
    content_type_ = std::move(content_type);
    body_ = std::move(body);
    redirects_ = 0;
    request_started_ns_ = now_ns();
    metrics_.add(Counter::sent);
    await(&connection_);
    follow(method_, path);
}

void LuaUser::follow(const std::string& method, const std::string& path) {
    path_ = path;
    const bool first = method == method_;
    std::string extra = headers_;
    if (first && !content_type_.empty()) extra += fmt::format("Content-Type: {}\r\n", content_type_);
    connection_.send(http::format_request(endpoint_.url, method, path, cookies_, extra, first ? body_ : ""),
                     method == "HEAD");
}

void LuaUser::on_response(http::HttpConnection&, const http::Response& response) {
    if (!awaiting(&connection_)) return;
    metrics_.add(Counter::received);
    for (const auto& [name, value] : response.set_cookies) cookies_.set(name, value);
    http::NextHop hop = http::next_hop(endpoint_.url, response, redirects_);
    if (hop.kind == http::NextHop::Kind::follow) {
        follow(hop.keep_method ? method_ : "GET", hop.path);
        return;
    }
    elapsed_ns_ = now_ns() - request_started_ns_;
    body_bytes_ = response.body_bytes;
    std::string failure = hop.failure;
    std::string url = http::full_url(endpoint_.url, path_);
    if (failure.empty() && response.status >= 400) failure = http::http_error(response, url);
    double elapsed_ms = static_cast<double>(elapsed_ns_) / 1e6;
    // The response is copied into the answer: the connection reuses its parser.
    answer([response, failure, url, elapsed_ms](lua_State* L) {
        lua_createtable(L, 0, 8);
        lua_pushinteger(L, response.status);
        lua_setfield(L, -2, "status");
        lua_pushlstring(L, response.reason.data(), response.reason.size());
        lua_setfield(L, -2, "reason");
        lua_pushlstring(L, response.body.data(), response.body.size());
        lua_setfield(L, -2, "body");
        std::string lines;
        for (const auto& [name, value] : response.headers) lines += fmt::format("{}: {}\n", name, value);
        lua_pushlstring(L, lines.data(), lines.size());
        lua_setfield(L, -2, "header_lines");
        lua_pushlstring(L, url.data(), url.size());
        lua_setfield(L, -2, "url");
        lua_pushnumber(L, elapsed_ms);
        lua_setfield(L, -2, "elapsed");
        if (!failure.empty()) {
            lua_pushlstring(L, failure.data(), failure.size());
            lua_setfield(L, -2, "failure");
        }
        return 1;
    });
}

void LuaUser::on_failure(http::HttpConnection&, const std::string& why) {
    if (!awaiting(&connection_)) return;
    elapsed_ns_ = now_ns() - request_started_ns_;
    body_bytes_ = 0;
    std::string failure = http::connection_error(why);
    std::string url = http::full_url(endpoint_.url, path_);
    double elapsed_ms = static_cast<double>(elapsed_ns_) / 1e6;
    answer([failure, url, elapsed_ms](lua_State* L) {
        lua_createtable(L, 0, 6);
        lua_pushinteger(L, 0);
        lua_setfield(L, -2, "status");
        lua_pushliteral(L, "");
        lua_setfield(L, -2, "body");
        lua_pushlstring(L, url.data(), url.size());
        lua_setfield(L, -2, "url");
        lua_pushnumber(L, elapsed_ms);
        lua_setfield(L, -2, "elapsed");
        lua_pushlstring(L, failure.data(), failure.size());
        lua_setfield(L, -2, "failure");
        return 1;
    });
}

void LuaUser::record(const std::string& failure) { record_request(method_, name_, elapsed_ns_, body_bytes_, failure); }

void LuaUser::record_request(const std::string& method, const std::string& name, std::int64_t nanoseconds,
                             std::uint64_t bytes, const std::string& failure) {
    stats_.record(method, name, nanoseconds, bytes, failure);
    metrics_.record(Latency::primary, nanoseconds);
    metrics_.add(failure.empty() ? Counter::completed : Counter::errors);
    metrics_.activity(now_ns());
}

void LuaUser::exception(const std::string& message) { metrics_.error(message); }

}  // namespace lampi::load::lua
