#include "scenario/scenario_files.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>

#include "lampi/files.h"
#include "lampi/hmac.h"
#include "scenario/http_lua.h"

namespace lampi::load {
namespace {

// A CSV file or module has the scenario file's size limit: both are read whole.
Result<std::string> digest_file(const std::string& path) {
    Result<std::optional<std::string>> text = read_file_if_exists(path, kMaxScenarioFileBytes);
    if (!text) return text.status();
    if (!*text) return Status::not_found(fmt::format("{}: it is gone", path));
    return sha256_hex(**text);
}

std::string name_in(const std::filesystem::path& folder, const std::string& path) {
    std::filesystem::path relative = std::filesystem::path(path).lexically_normal().lexically_relative(folder);
    if (relative.empty() || *relative.begin() == "..") return path;
    return relative.generic_string();
}

}  // namespace

Result<std::vector<ScenarioFile>> scenario_data_files(const std::string& script, const HttpOptions& options) {
    Result<std::vector<std::string>> paths = lua_scenario_reads(script, options);
    if (!paths) return paths.status();
    // The folder the scenario's relative paths start from (lua/scenario_state.h).
    const std::filesystem::path folder = std::filesystem::absolute(script).parent_path().lexically_normal();
    std::vector<ScenarioFile> files;
    for (const std::string& path : *paths) {
        Result<std::string> digest = digest_file(path);
        if (!digest) return Status::error(fmt::format("-f {} read {}: {}", script, path, digest.status().message()));
        files.push_back({name_in(folder, path), std::move(digest).value()});
    }
    std::sort(files.begin(), files.end(), [](const ScenarioFile& a, const ScenarioFile& b) { return a.name < b.name; });
    return files;
}

std::string scenario_data_digest(const std::vector<ScenarioFile>& files) {
    if (files.empty()) return {};
    std::string listing;
    // A name holds no newline in practice, but its length keeps "a\nb" from passing for two names.
    for (const ScenarioFile& f : files) listing += fmt::format("{}:{}={}\n", f.name.size(), f.name, f.sha256);
    return sha256_hex(listing);
}

std::string describe_scenario_data(const std::vector<ScenarioFile>& files) {
    std::string out;
    for (const ScenarioFile& f : files)
        out += fmt::format("{}{} (SHA-256 {})", out.empty() ? "" : ", ", f.name, f.sha256.substr(0, 12));
    return out;
}

}  // namespace lampi::load
