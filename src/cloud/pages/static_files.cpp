#include "pages/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lampi::cloud::pages {
namespace fs = std::filesystem;

namespace {
constexpr std::uintmax_t kMaxFileBytes = 16u * 1024u * 1024u;
}

StaticFiles::StaticFiles(std::string root) {
    if (root.empty()) return;
    std::error_code ec;
    fs::path canonical = fs::canonical(root, ec);
    if (!ec) root_ = canonical.string();
}

std::string_view content_type_for(std::string_view path) {
    auto ends = [&](std::string_view ext) {
        return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
    };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
    if (ends(".json") || ends(".map")) return "application/json";
    if (ends(".webmanifest")) return "application/manifest+json";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".png")) return "image/png";
    if (ends(".ico")) return "image/x-icon";
    if (ends(".woff2")) return "font/woff2";
    if (ends(".txt")) return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

http::Response StaticFiles::serve(std::string_view relative) const {
    http::Response not_found = http::text(404, "no such static file\n");
    if (root_.empty() || relative.empty() || relative.size() > 512) return not_found;
    if (relative.find('\0') != std::string_view::npos || relative.find('\\') != std::string_view::npos ||
        relative.front() == '/')
        return not_found;
    for (const auto& part : fs::path(relative)) {
        std::string s = part.string();
        if (s == ".." || s == "." || (!s.empty() && s.front() == '.')) return not_found;
    }
    std::error_code ec;
    fs::path full = fs::canonical(fs::path(root_) / fs::path(relative), ec);
    if (ec) return not_found;
    std::string full_text = full.string();
    // A symlink inside the root must not lead outside it.
    if (full_text.compare(0, root_.size(), root_) != 0 || full_text.size() <= root_.size() ||
        full_text[root_.size()] != '/')
        return not_found;
    if (!fs::is_regular_file(full, ec) || fs::file_size(full, ec) > kMaxFileBytes) return not_found;
    std::ifstream in(full, std::ios::binary);
    if (!in) return not_found;
    std::ostringstream content;
    content << in.rdbuf();
    http::Response r = http::text(200, content.str(), std::string(content_type_for(full_text)));
    r.set("Cache-Control", "public, max-age=300");
    r.set("X-Content-Type-Options", "nosniff");
    return r;
}

}  // namespace lampi::cloud::pages
