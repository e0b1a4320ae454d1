#include "pages/static_files.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

namespace lampi::cloud::pages {
namespace fs = std::filesystem;

namespace {
constexpr std::uintmax_t kMaxFileBytes = 16u * 1024u * 1024u;
// Beyond this many bytes of kept answers, further files are read on each request.
constexpr std::size_t kMaxCachedBytes = 64u * 1024u * 1024u;

// What tells one version of a file from another, as stat() sees it.
struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};

    static Identity of(const struct stat& st) { return {st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim}; }
    bool operator==(const Identity& o) const {
        return device == o.device && inode == o.inode && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
               mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
    }
};

struct CachedFile {
    Identity identity;
    http::Response ok;  // the 200, headers and body
    std::string etag;
    std::string last_modified;
};

std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// If-None-Match: "*" or a list of tags, compared weakly (W/ ignored) as RFC 9110 says for GET.
bool etag_matches(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view tag = trim(header.substr(0, comma));
        if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
        if (tag == "*" || tag == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

bool not_modified(const CachedFile& file, const http::Request& request) {
    if (request.has_header("If-None-Match")) return etag_matches(request.header("If-None-Match"), file.etag);
    return request.header("If-Modified-Since") == file.last_modified;
}

}  // namespace

struct StaticFiles::Cache {
    std::shared_mutex mutex;
    std::unordered_map<std::string, std::shared_ptr<const CachedFile>> files;
    std::size_t bytes = 0;
};

StaticFiles::StaticFiles(std::string root) : cache_(std::make_shared<Cache>()) {
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

http::Response StaticFiles::serve(std::string_view relative, const http::Request* request) const {
    http::Response not_found = http::text(404, "no such static file\n");
    if (root_.empty() || relative.empty() || relative.size() > 512) return not_found;
    if (relative.find('\0') != std::string_view::npos || relative.find('\\') != std::string_view::npos ||
        relative.front() == '/')
        return not_found;
    for (const auto& part : fs::path(relative)) {
        std::string s = part.string();
        if (s == ".." || s == "." || (!s.empty() && s.front() == '.')) return not_found;
    }
    const std::string key(relative);
    struct stat st {};
    if (::stat((root_ + '/' + key).c_str(), &st) != 0) return not_found;
    const Identity now = Identity::of(st);
    std::shared_ptr<const CachedFile> file;
    {
        std::shared_lock lock(cache_->mutex);
        auto it = cache_->files.find(key);
        if (it != cache_->files.end() && it->second->identity == now) file = it->second;
    }
    if (!file) {
        // First request for this version of the file: the full checks, then read it.
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
        auto fresh = std::make_shared<CachedFile>();
        fresh->identity = now;
        fresh->etag = fmt::format("\"{:x}.{:x}-{:x}\"", now.mtime.tv_sec, now.mtime.tv_nsec, now.size);
        fresh->last_modified = http_date(now.mtime.tv_sec);
        fresh->ok = http::text(200, content.str(), std::string(content_type_for(full_text)));
        fresh->ok.set("Cache-Control", "public, max-age=300");
        fresh->ok.set("X-Content-Type-Options", "nosniff");
        fresh->ok.set("ETag", fresh->etag);
        fresh->ok.set("Last-Modified", fresh->last_modified);
        file = fresh;
        std::unique_lock lock(cache_->mutex);
        auto& slot = cache_->files[key];
        std::size_t old = slot ? slot->ok.body.size() : 0;
        if (cache_->bytes - old + file->ok.body.size() <= kMaxCachedBytes) {
            cache_->bytes = cache_->bytes - old + file->ok.body.size();
            slot = file;
        } else if (!slot) {
            cache_->files.erase(key);
        }
    }
    if (request && not_modified(*file, *request)) {
        http::Response r;
        r.status = 304;
        r.headers = file->ok.headers;
        return r;
    }
    return file->ok;
}

}  // namespace lampi::cloud::pages
