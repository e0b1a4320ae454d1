#include "pages/shell_assets.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <sstream>

#include "lampi/json_object.h"
#include "pages/recent_stat.h"

namespace lampi::cloud::pages {
namespace {

// The directory in use, and the version of its assets.json that `current` was read from.
struct Source {
    std::mutex mutex;
    std::string static_dir;
    RecentStat stats;
    struct stat read_from {};
    bool read = false;
    ShellAssets current;
};
Source& source() {
    static Source s;
    return s;
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

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
    take("mqtt.min.js", assets.mqtt);
    return assets;
}

void use_shell_assets_of(std::string static_dir) {
    Source& s = source();
    std::lock_guard lock(s.mutex);
    s.static_dir = std::move(static_dir);
    s.read = false;
    s.stats.forget();
    s.current = ShellAssets{};
}

ShellAssets shell_assets() {
    Source& s = source();
    std::lock_guard lock(s.mutex);
    if (s.static_dir.empty()) return s.current;
    struct stat now {};
    if (!s.stats.stat(s.static_dir + "/assets.json", now)) now = {};
    if (!s.read || !same_file(now, s.read_from)) {
        s.current = read_shell_assets(s.static_dir);
        s.read_from = now;
        s.read = true;
    }
    return s.current;
}

}  // namespace lampi::cloud::pages
