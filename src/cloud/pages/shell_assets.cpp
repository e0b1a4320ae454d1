#include "pages/shell_assets.h"

#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <sstream>

#include "lampi/json_object.h"

namespace lampi::cloud::pages {
namespace {

std::mutex current_mutex;
ShellAssets current;

// A hashed name fit to put in a URL: what hash-names.mjs writes, nothing that
// could leave /static/ or an attribute.
bool plain_file_name(std::string_view name) {
    if (name.empty() || name.size() > 100 || name.front() == '.') return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_'))
            return false;
    return true;
}

}  // namespace

ShellAssets read_shell_assets(const std::string& static_dir) {
    ShellAssets assets;
    if (static_dir.empty()) return assets;
    std::ifstream in(static_dir + "/assets.json");
    if (!in) return assets;
    std::ostringstream text;
    text << in.rdbuf();
    auto names = parse_json_object(text.str(), "assets.json");
    if (!names) return assets;
    auto take = [&](const char* plain, std::string& url) {
        const boost::json::value* hashed = names->if_contains(plain);
        if (hashed && hashed->is_string() && plain_file_name(hashed->as_string()))
            url = "/static/" + std::string(hashed->as_string());
    };
    take("lampi.js", assets.script);
    take("lampi.css", assets.style);
    return assets;
}

void use_shell_assets(ShellAssets assets) {
    std::lock_guard lock(current_mutex);
    current = std::move(assets);
}

ShellAssets shell_assets() {
    std::lock_guard lock(current_mutex);
    return current;
}

}  // namespace lampi::cloud::pages
