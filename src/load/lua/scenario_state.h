// ScenarioState: one worker's Lua state running a scenario file.
//
// One lua_State per worker thread, each user a coroutine in it (lua/lua_user.h),
// so the epoll/worker model stays and a user costs a coroutine, not a thread.
// load() runs lua/prelude.lua (the user's methods, funnel, the task loop),
// then the scenario file, then checks what it defined (tasks, wait, on_start,
// on_stop). Any error says the file and line. Contract: used on one thread at a
// time; the CsvFeeds outlive the state.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "lua/csv_feed.h"
#include "lua/mqtt_tls.h"

struct lua_State;

namespace lampi::load::lua {

struct ScenarioSettings {
    std::string path;                       // the scenario file
    double wait_min_s = 5, wait_max_s = 9;  // when the scenario sets no `wait`
    CsvFeeds* feeds = nullptr;
    // The run's --cafile and --insecure: what user:mqtt{tls = true} starts from.
    std::string cafile;
    bool insecure = false;
};

class ScenarioState {
public:
    static Result<std::unique_ptr<ScenarioState>> load(const ScenarioSettings& settings);
    ~ScenarioState();
    ScenarioState(const ScenarioState&) = delete;
    ScenarioState& operator=(const ScenarioState&) = delete;

    lua_State* lua() const { return L_; }
    // Registry references: the user's metatable, the prelude's run(user) and stop(user).
    int user_metatable() const { return user_metatable_; }
    int run_function() const { return run_; }
    int stop_function() const { return stop_; }
    bool has_on_stop() const { return has_on_stop_; }
    // The scenario file's folder: relative paths the scenario gives start there.
    const std::string& folder() const { return folder_; }
    const ScenarioSettings& settings() const { return settings_; }
    MqttTlsContexts& mqtt_tls() { return mqtt_tls_; }
    // The files of the modules the scenario has required so far (package.loaded,
    // found again along package.path): the standard libraries are no files.
    std::vector<std::string> module_files() const;

private:
    ScenarioState() = default;

    ScenarioSettings settings_;
    std::string folder_;
    MqttTlsContexts mqtt_tls_;
    lua_State* L_ = nullptr;
    int user_metatable_ = 0, run_ = 0, stop_ = 0;
    bool has_on_stop_ = false;
};

// Scenario code that runs this long without waiting (a request, a sleep) is
// stopped with an error, so an endless loop costs its user a task, not the
// worker every other user shares. The clock starts at each run_started().
constexpr int kLongestRunWithoutWaiting_s = 2;
void run_started();

// The message handler scenarios run under: "file:line: message", the line in
// the innermost scenario file on the stack (a native function's error has none).
int where_handler(lua_State* L);
// "file:line" of the innermost scenario line on L's stack ("" when none is).
std::string scenario_place(lua_State* L);

}  // namespace lampi::load::lua
