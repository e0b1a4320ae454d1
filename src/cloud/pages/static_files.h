// Serves files under one directory at /static/. Refuses anything that could
// leave it: "..", absolute paths, hidden files, NUL, and symlinks pointing
// outside. Only regular files up to 16 MiB are served.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace lampi::cloud::pages {

class StaticFiles {
public:
    // An empty `root` serves nothing (404).
    explicit StaticFiles(std::string root);
    // `relative` is the decoded path after /static/.
    http::Response serve(std::string_view relative) const;

private:
    std::string root_;  // canonical
};

std::string_view content_type_for(std::string_view path);

}  // namespace lampi::cloud::pages
