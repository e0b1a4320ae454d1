// HttpLuaScenario: web users running a Lua 5.4 scenario file (`lampi-load
// http -f scenario.lua`): one Lua state per worker, each user a coroutine in
// it (lua/lua_user.h). The API scenarios use is in src/load/README.md.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "scenario/http_users.h"

namespace lampi::load {

class HttpLuaScenario : public HttpUsersScenario {
public:
    HttpLuaScenario(HttpOptions options, std::string script);
};

// Loads `script` once in a state of its own: a setup error (a syntax error, no
// tasks, a CSV file that is not there) names the file and line before any user starts.
Status check_lua_scenario(const std::string& script, const HttpOptions& options);
// The same load, and the files it read: the CSV files the scenario's top level
// opened and the modules it required (scenario/scenario_files.h pins them).
Result<std::vector<std::string>> lua_scenario_reads(const std::string& script, const HttpOptions& options);

// A scenario file is digested whole up to this size, to tell a controller's copy
// from a worker's (lampi-load http --locustfile-sha256).
inline constexpr std::size_t kMaxScenarioFileBytes = std::size_t{64} << 20;

}  // namespace lampi::load
