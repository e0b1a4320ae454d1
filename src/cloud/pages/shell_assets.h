// Where the pages link the control page's script and stylesheet, and where the
// script finds mqtt.js's bundle. The build copies them to names carrying their
// content hash and lists those in assets.json in the
// static directory (web/tools/hash-names.mjs), so browsers may keep them for ever;
// without that list (a test's own static directory) the plain names are linked.
#pragma once

#include <string>

namespace lampi::cloud::pages {

struct ShellAssets {
    std::string script = "/static/lampi.js";
    std::string style = "/static/lampi.css";
    std::string mqtt = "/static/mqtt.min.js";
};

// From <static_dir>/assets.json; the plain names for what it does not name.
ShellAssets read_shell_assets(const std::string& static_dir);

// Where every page's names come from from now on: set by the App when it starts.
// The list is read again when the file changes (a rebuild under a running server
// removes the names it replaces), seen within a second (recent_stat.h).
void use_shell_assets_of(std::string static_dir);
ShellAssets shell_assets();

}  // namespace lampi::cloud::pages
