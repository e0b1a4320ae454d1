#include "lua/scenario_state.h"

#include <fmt/core.h>
#include <lua.hpp>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lampi/errno_text.h"
#include "lua/lua_guard.h"
#include "lua/lua_json.h"
#include "lua/lua_mqtt.h"
#include "lua/lua_user.h"
#include "run/clock.h"

namespace lampi::load::lua {

extern const char* const kPrelude;

namespace {

constexpr const char* kFeedType = "lampi-load.csv";
constexpr const char* kPreludeName = "=lampi-load";

std::string pop_message(lua_State* L) {
    const char* text = lua_tostring(L, -1);
    std::string message = text ? text : fmt::format("(error object is a {} value)", luaL_typename(L, -1));
    lua_pop(L, 1);
    return message;
}

// csv(path): the rows of a CSV file (relative to the scenario's folder) as a
// feed; feed:next() hands out the next row over all users, round and round.
int csv_open(lua_State* L) {
    auto* feeds = static_cast<CsvFeeds*>(lua_touserdata(L, lua_upvalueindex(1)));
    const char* path_arg = luaL_checkstring(L, 1);
    std::filesystem::path folder = lua_tostring(L, lua_upvalueindex(2));
    std::filesystem::path path = path_arg;
    if (path.is_relative()) path = folder / path;
    Result<std::shared_ptr<CsvFeed>> feed = feeds->open(path.lexically_normal().string());
    if (!feed) throw LuaFailure("csv: " + feed.status().message());
    void* memory = lua_newuserdatauv(L, sizeof(std::shared_ptr<CsvFeed>), 0);
    new (memory) std::shared_ptr<CsvFeed>(std::move(feed).value());
    luaL_setmetatable(L, kFeedType);
    return 1;
}

CsvFeed& check_feed(lua_State* L) { return **static_cast<std::shared_ptr<CsvFeed>*>(luaL_checkudata(L, 1, kFeedType)); }

int feed_next(lua_State* L) {
    CsvFeed& feed = check_feed(L);
    const CsvTable& table = feed.table();
    const std::vector<std::string>& row = table.rows[feed.take()];
    lua_createtable(L, 0, static_cast<int>(row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
        lua_pushlstring(L, row[i].data(), row[i].size());
        lua_setfield(L, -2, table.columns[i].c_str());
    }
    return 1;
}

int feed_length(lua_State* L) {
    lua_pushinteger(L, static_cast<lua_Integer>(check_feed(L).table().rows.size()));
    return 1;
}

int feed_gc(lua_State* L) {
    static_cast<std::shared_ptr<CsvFeed>*>(luaL_checkudata(L, 1, kFeedType))->~shared_ptr();
    return 0;
}

void open_csv(lua_State* L, CsvFeeds* feeds, const std::string& folder) {
    luaL_newmetatable(L, kFeedType);
    const luaL_Reg methods[] = {{"next", feed_next}, {nullptr, nullptr}};
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, feed_length);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, feed_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushlightuserdata(L, feeds);
    lua_pushstring(L, folder.c_str());
    lua_pushcclosure(L, guarded<csv_open>, 2);
    lua_setglobal(L, "csv");
}

// `require` finds modules beside the scenario.
void set_module_path(lua_State* L, const std::string& folder) {
    lua_getglobal(L, "package");
    std::string path = fmt::format("{0}/?.lua;{0}/?/init.lua", folder);
    lua_pushstring(L, path.c_str());
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

// When the code running on this thread was last resumed (or loaded).
thread_local std::int64_t t_run_started_ns = 0;

// Every million instructions: has the code run too long without yielding?
void check_run_time(lua_State* L, lua_Debug*) {
    if (now_ns() - t_run_started_ns > std::int64_t{kLongestRunWithoutWaiting_s} * 1'000'000'000) {
        t_run_started_ns = now_ns();  // the error's own handling gets a fresh budget
        luaL_error(L, "ran %d s without waiting for anything (an endless loop?)", kLongestRunWithoutWaiting_s);
    }
}

}  // namespace

void run_started() { t_run_started_ns = now_ns(); }

int where_handler(lua_State* L) {
    std::string message;
    if (const char* text = lua_tostring(L, 1)) {
        message = text;
    } else {
        message = fmt::format("(error object is a {} value)", luaL_typename(L, 1));
    }
    // A native function's error carries the prelude's line, which means nothing to the scenario's author.
    if (message.starts_with(kPreludeName + 1)) {
        std::size_t end = message.find(": ");
        if (end != std::string::npos) message.erase(0, end + 2);
    }
    std::string place = scenario_place(L);
    std::string file = place.substr(0, place.rfind(':') + 1);
    if (!place.empty() && !message.starts_with(file)) message = fmt::format("{}: {}", place, message);
    lua_pushstring(L, message.c_str());
    return 1;
}

std::string scenario_place(lua_State* L) {
    lua_Debug ar;
    // Level 0 is the running function: a native one, or the handler, has no line.
    for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
        if (lua_getinfo(L, "Sl", &ar) == 0 || ar.currentline <= 0 || ar.source[0] != '@') continue;
        return fmt::format("{}:{}", ar.short_src, ar.currentline);
    }
    return {};
}

Result<std::unique_ptr<ScenarioState>> ScenarioState::load(const ScenarioSettings& settings) {
    std::filesystem::path path = settings.path;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        // The open's own reason (no such file, permission denied): libstdc++ opens with open(2).
        const int error = errno;
        return Status::not_found(
            fmt::format("{}: cannot read the scenario file: {}", settings.path, errno_text(error)));
    }
    std::ostringstream text;
    text << file.rdbuf();
    std::string folder = std::filesystem::absolute(path).parent_path().string();

    std::unique_ptr<ScenarioState> state(new ScenarioState);
    state->settings_ = settings;
    state->folder_ = folder;
    lua_State* L = state->L_ = luaL_newstate();
    if (L == nullptr) return Status::error("Lua could not allocate its state");
    // Each request leaves its response behind as garbage; starting a cycle at
    // 1.5x the live heap instead of 2x holds ~1 KB less per user at 5000 users
    // for the same CPU (at 1x the collector never rests: 6x the CPU).
    lua_gc(L, LUA_GCINC, 150, 0, 0);
    lua_sethook(L, check_run_time, LUA_MASKCOUNT, 1'000'000);  // coroutines inherit it
    run_started();
    luaL_openlibs(L);
    open_json(L);
    register_mqtt(L);
    open_csv(L, settings.feeds, folder);
    set_module_path(L, folder);

    if (luaL_loadbuffer(L, kPrelude, std::strlen(kPrelude), kPreludeName) != LUA_OK)
        return Status::error(fmt::format("the scenario prelude: {}", pop_message(L)));
    push_user_natives(L);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) return Status::error(fmt::format("the scenario prelude: {}", pop_message(L)));
    const int prelude = lua_gettop(L);

    lua_pushcfunction(L, where_handler);
    const int handler = lua_gettop(L);
    // Named by its file name, as errors print it: "scenario.lua:12: ...".
    std::string chunk = "@" + path.filename().string();
    const std::string source = text.str();
    if (luaL_loadbuffer(L, source.data(), source.size(), chunk.c_str()) != LUA_OK) return Status::error(pop_message(L));
    if (lua_pcall(L, 0, 0, handler) != LUA_OK) return Status::error(pop_message(L));

    lua_getfield(L, prelude, "prepare");
    lua_pushnumber(L, settings.wait_min_s);
    lua_pushnumber(L, settings.wait_max_s);
    if (lua_pcall(L, 2, 1, handler) != LUA_OK)
        return Status::error(fmt::format("{}: {}", path.filename().string(), pop_message(L)));
    state->has_on_stop_ = lua_toboolean(L, -1) != 0;
    lua_pop(L, 2);  // prepare's answer, the handler

    lua_getfield(L, prelude, "User");
    state->user_metatable_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getfield(L, prelude, "run");
    state->run_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_getfield(L, prelude, "stop");
    state->stop_ = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, 0);
    return state;
}

std::vector<std::string> ScenarioState::module_files() const {
    std::vector<std::string> files;
    lua_State* L = L_;
    const int top = lua_gettop(L);
    if (lua_getglobal(L, "package") != LUA_TTABLE || lua_getfield(L, top + 1, "loaded") != LUA_TTABLE) {
        lua_settop(L, top);
        return files;
    }
    const int package = top + 1, loaded = top + 2;
    lua_pushnil(L);
    while (lua_next(L, loaded) != 0) {  // key value
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) continue;
        lua_getfield(L, package, "searchpath");
        lua_pushvalue(L, -2);
        lua_getfield(L, package, "path");
        if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) files.emplace_back(lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_settop(L, top);
    return files;
}

ScenarioState::~ScenarioState() {
    if (L_ != nullptr) lua_close(L_);
}

}  // namespace lampi::load::lua
