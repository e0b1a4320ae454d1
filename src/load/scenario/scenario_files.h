// The files a Lua scenario reads as it loads, besides itself: the CSV files it
// opens and the modules it requires. A controller's workers each run their own
// copy of a scenario, so the controller pins a digest of its copies in every
// share (lampi-load http --scenario-data-sha256), and a worker whose copies
// differ refuses the run, naming its own. Files a scenario would open only once
// its users run (a csv() inside on_start or a task) are not read at load, so
// could not be checked: a worker refuses them (HttpOptions::pinned_data).
#pragma once

#include <string>
#include <vector>

#include "lampi/status.h"
#include "scenario/http_users.h"

namespace lampi::load {

struct ScenarioFile {
    std::string name;    // relative to the scenario's folder when inside it, else as the scenario gave it
    std::string sha256;  // of its content, hex
};

// Loads `script` once, as check_lua_scenario() does, and digests what it read: sorted by name.
Result<std::vector<ScenarioFile>> scenario_data_files(const std::string& script, const HttpOptions& options);

// One digest over every file's name and digest; "" when there is none.
std::string scenario_data_digest(const std::vector<ScenarioFile>& files);

// "users.csv (SHA-256 1a2b3c4d5e6f), lib/common.lua (SHA-256 ...)", for people comparing copies.
std::string describe_scenario_data(const std::vector<ScenarioFile>& files);

}  // namespace lampi::load
