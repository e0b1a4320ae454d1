#include "scenario/http_lua.h"

#include <filesystem>

#include "lua/lua_user.h"
#include "lua/scenario_state.h"

namespace lampi::load {
namespace {

lua::ScenarioSettings settings_for(const std::string& script, const HttpOptions& options, lua::CsvFeeds& feeds) {
    return {script, options.wait_min_s, options.wait_max_s, &feeds, options.cafile, options.insecure};
}

class LuaFactory : public UserFactory {
public:
    explicit LuaFactory(Result<std::unique_ptr<lua::ScenarioState>> state) {
        if (state) {
            state_ = std::move(state).value();
        } else {
            error_ = state.status().message();
        }
    }

    std::unique_ptr<http::WebUser> make(Worker& worker, const http::Endpoint& endpoint, RequestStats& stats,
                                        http::UserTimers& timers, std::uint64_t number, std::uint64_t) override {
        return std::make_unique<lua::LuaUser>(*state_, worker, endpoint, stats, timers, number);
    }
    std::string setup_error() const override { return error_; }

private:
    std::unique_ptr<lua::ScenarioState> state_;
    std::string error_;
};

class LuaKind : public UserKind {
public:
    explicit LuaKind(std::string script) : script_(std::move(script)) {}

    std::string describe() const override { return std::filesystem::path(script_).filename().string(); }
    bool waits_as_told() const override { return false; }
    std::unique_ptr<UserFactory> factory(const HttpOptions& options, int) override {
        auto state = lua::ScenarioState::load(settings_for(script_, options, feeds_));
        // What a worker's users read must be what every worker read: the files the load read were checked.
        if (options.pinned_data)
            feeds_.refuse_new(
                "a controller's worker opens only the CSV files its scenario reads as it loads (their digests are "
                "checked against the controller's copies): call csv() at the top of the scenario, outside on_start "
                "and the tasks");
        return std::make_unique<LuaFactory>(std::move(state));
    }

private:
    std::string script_;
    lua::CsvFeeds feeds_;  // shared by every worker's state, so rows are handed out once over all
};

}  // namespace

HttpLuaScenario::HttpLuaScenario(HttpOptions options, std::string script)
    : HttpUsersScenario(std::move(options), std::make_unique<LuaKind>(std::move(script))) {}

Result<std::vector<std::string>> lua_scenario_reads(const std::string& script, const HttpOptions& options) {
    lua::CsvFeeds feeds;
    auto state = lua::ScenarioState::load(settings_for(script, options, feeds));
    if (!state) return state.status();
    std::vector<std::string> paths = feeds.paths();
    for (std::string& module : (*state)->module_files()) paths.push_back(std::move(module));
    return paths;
}

Status check_lua_scenario(const std::string& script, const HttpOptions& options) {
    auto reads = lua_scenario_reads(script, options);
    return reads ? Status::ok() : reads.status();
}

}  // namespace lampi::load
