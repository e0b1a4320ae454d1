// LuaUser: one simulated web user running a Lua scenario, as a coroutine in
// its worker's Lua state (lua/scenario_state.h).
//
// The coroutine runs the prelude's task loop: on_start, then weighted tasks
// with a wait between them. When the user makes a request or sleeps, a native
// function starts it and the coroutine yields; the user resumes it with the
// answer once the response (or failure, or timer) comes, on the worker's
// epoll loop. So thousands of users share one thread and one Lua state. An
// error in the scenario is counted with its file:line (Locust's exceptions)
// and the user goes on with its next task. stop() drops the running task (a
// request in flight is not counted) and runs on_stop in a fresh coroutine.
//
// Requests follow redirects as the course's user does and keep the body and
// headers for the scenario's checks; cookies are kept per user.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/cookie_jar.h"
#include "http/http_connection.h"
#include "http/web_user.h"
#include "stats/metrics.h"
#include "stats/request_stats.h"

struct lua_State;

namespace lampi::load::lua {

class ScenarioState;
class LuaMqtt;
struct MqttHandle;

class LuaUser : public http::WebUser, public http::HttpHandler {
public:
    // `number` counts the run's users from 0 (user.number; it picks the source address).
    LuaUser(ScenarioState& state, Worker& worker, const http::Endpoint& endpoint, RequestStats& stats,
            http::UserTimers& timers, std::uint64_t number);
    ~LuaUser() override;
    LuaUser(const LuaUser&) = delete;
    LuaUser& operator=(const LuaUser&) = delete;

    void start() override;
    void wake(std::int64_t now) override;
    void stop() override;
    bool stopped() const override { return done_; }
    void release() override { connection_.close(); }

    void on_response(http::HttpConnection& connection, const http::Response& response) override;
    void on_failure(http::HttpConnection& connection, const std::string& why) override;

    // What the native functions (lua_user.cpp) do for the user's coroutine.
    void begin_request(std::string method, const std::string& path, std::string name, std::string headers,
                       std::string content_type, std::string body);
    void sleep(double seconds);
    // Counts the HTTP request that just ended.
    void record(const std::string& failure);
    void record_request(const std::string& method, const std::string& name, std::int64_t nanoseconds,
                        std::uint64_t bytes, const std::string& failure);
    void exception(const std::string& message);
    http::CookieJar& cookies() { return cookies_; }
    const http::Endpoint& endpoint() const { return endpoint_; }
    Metrics& metrics() { return metrics_; }
    Worker& worker() { return worker_; }
    ScenarioState& state() { return state_; }
    lua_State* thread() const { return thread_; }
    std::uint64_t number() const { return number_; }

    // The user at `index` (its table), when called from its own coroutine where
    // it may yield; otherwise a Lua error naming `what`.
    static LuaUser& from_lua(lua_State* L, int index, const char* what);

    // MQTT clients live as long as the user; their Lua handles are cleared then.
    LuaMqtt& add_mqtt(std::unique_ptr<LuaMqtt> client);
    std::size_t mqtt_count() const { return mqtt_.size(); }
    void keep_mqtt_handle(int ref, MqttHandle* handle) { mqtt_handles_.emplace_back(ref, handle); }

    // A coroutine waits for one thing at a time; its answer is pushed by `push`
    // (which returns how many values it pushed) and the coroutine resumed.
    using Answer = std::function<int(lua_State*)>;
    // `owner` names what is waited for, so a late answer for something else is
    // dropped; past `deadline_ns` (0: none) `on_timeout` is called to answer.
    void await(const void* owner, std::int64_t deadline_ns = 0, std::function<void()> on_timeout = {});
    bool awaiting(const void* owner) const { return awaited_ == owner; }
    void answer(Answer push);

private:
    void run_in_new_thread(int function_ref);
    void resume(int nargs);
    void drop_thread();
    void follow(const std::string& method, const std::string& path);

    ScenarioState& state_;
    Worker& worker_;
    const http::Endpoint& endpoint_;
    RequestStats& stats_;
    http::UserTimers& timers_;
    Metrics& metrics_;
    http::HttpConnection connection_;
    http::CookieJar cookies_;
    std::uint64_t number_;
    std::vector<std::unique_ptr<LuaMqtt>> mqtt_;
    std::vector<std::pair<int, MqttHandle*>> mqtt_handles_;

    int user_ref_ = 0;    // the user's table
    int thread_ref_ = 0;  // the running coroutine (task loop, then on_stop)
    lua_State* thread_ = nullptr;
    bool in_resume_ = false;
    Answer pending_;  // an answer that came while the coroutine ran
    const void* awaited_ = nullptr;
    std::int64_t deadline_ns_ = 0;
    std::function<void()> on_timeout_;
    bool started_ = false;
    bool stopping_ = false;
    bool done_ = false;

    // The request in flight (one at a time).
    std::string method_, path_, name_, headers_, content_type_, body_;
    int redirects_ = 0;
    std::int64_t request_started_ns_ = 0;
    std::int64_t elapsed_ns_ = 0;
    std::uint64_t body_bytes_ = 0;
};

// Pushes the table of native functions the prelude is loaded with.
void push_user_natives(lua_State* L);

}  // namespace lampi::load::lua
