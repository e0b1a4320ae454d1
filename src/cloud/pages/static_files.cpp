#include "pages/static_files.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

#include "pages/recent_stat.h"

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

std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// If-None-Match: "*" or a list of tags, compared weakly (W/ ignored) as RFC 9110 says for GET.
bool etag_matches(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view tag = http::trim_ows(header.substr(0, comma));
        if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
        if (tag == "*" || tag == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

// Whether Accept-Encoding allows `coding`: named (or "*") without q=0.
bool accepts(std::string_view header, std::string_view coding) {
    auto lower_equals = [](std::string_view a, std::string_view b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
        return true;
    };
    std::optional<bool> star;
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        std::size_t semicolon = item.find(';');
        std::string_view name = http::trim_ows(item.substr(0, semicolon));
        bool allowed = true;
        if (semicolon != std::string_view::npos) {
            std::string_view q = http::trim_ows(item.substr(semicolon + 1));
            if (q.substr(0, 2) == "q=" || q.substr(0, 2) == "Q=") {
                q = q.substr(2);
                allowed = q.find_first_not_of("0.") != std::string_view::npos;
            }
        }
        if (lower_equals(name, coding)) return allowed;
        if (name == "*") star = allowed;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return star.value_or(false);
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The text types the build precompresses (web/tools/precompress.mjs): their answers
// depend on Accept-Encoding.
bool compressible(std::string_view path) {
    for (std::string_view ext : {".js", ".mjs", ".css", ".svg", ".webmanifest", ".json", ".html", ".txt"})
        if (ends_with(path, ext)) return true;
    return false;
}

// name.<10 hex digits>.ext: a content-hashed name (web/tools/hash-names.mjs), whose
// content never changes.
bool content_hashed(std::string_view path) {
    std::size_t slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    std::size_t ext = name.rfind('.');
    if (ext == std::string_view::npos || ext < 12) return false;
    std::string_view hash = name.substr(ext - 10, 10);
    return name[ext - 11] == '.' && hash.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The precompressed copies beside a file, in order of preference.
struct Encoding {
    std::string_view suffix;
    std::string_view coding;
};
constexpr Encoding kEncodings[] = {{".br", "br"}, {".gz", "gzip"}};

bool not_modified(const http::Request& request, std::string_view etag, std::string_view last_modified) {
    if (request.has_header("If-None-Match")) return etag_matches(request.header("If-None-Match"), etag);
    return request.header("If-Modified-Since") == last_modified;
}

}  // namespace

struct StaticFiles::CachedFile {
    Identity identity;
    http::Response ok;  // the 200, headers and body
    std::string etag;
    std::string last_modified;
};

struct StaticFiles::Cache {
    RecentStat stats;
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
    if (!cache_->stats.stat(root_ + '/' + key, st)) return not_found;
    std::shared_ptr<const CachedFile> file;
    // A compressed copy older than its file is left over from an earlier version.
    if (request && compressible(key)) {
        const std::string_view accepted = request->header("Accept-Encoding");
        for (const Encoding& encoding : kEncodings) {
            if (!accepts(accepted, encoding.coding)) continue;
            struct stat copy {};
            const std::string copy_key = key + std::string(encoding.suffix);
            if (!cache_->stats.stat(root_ + '/' + copy_key, copy) || !S_ISREG(copy.st_mode)) continue;
            if (copy.st_mtim.tv_sec < st.st_mtim.tv_sec ||
                (copy.st_mtim.tv_sec == st.st_mtim.tv_sec && copy.st_mtim.tv_nsec < st.st_mtim.tv_nsec))
                continue;
            file = load(copy_key, copy, key, encoding.coding);
            if (file) break;
        }
    }
    if (!file) file = load(key, st, key, {});
    if (!file) return not_found;
    if (request && not_modified(*request, file->etag, file->last_modified)) {
        http::Response r;
        r.status = 304;
        r.headers = file->ok.headers;
        return r;
    }
    return file->ok;
}

std::shared_ptr<const StaticFiles::CachedFile> StaticFiles::load(const std::string& key, const struct stat& st,
                                                                 std::string_view served_as,
                                                                 std::string_view coding) const {
    const Identity now = Identity::of(st);
    {
        std::shared_lock lock(cache_->mutex);
        auto it = cache_->files.find(key);
        if (it != cache_->files.end() && it->second->identity == now) return it->second;
    }
    // First request for this version of the file: the full checks, then read it.
    std::error_code ec;
    fs::path full = fs::canonical(fs::path(root_) / fs::path(key), ec);
    if (ec) return nullptr;
    std::string full_text = full.string();
    // A symlink inside the root must not lead outside it.
    if (full_text.compare(0, root_.size(), root_) != 0 || full_text.size() <= root_.size() ||
        full_text[root_.size()] != '/')
        return nullptr;
    if (!fs::is_regular_file(full, ec) || fs::file_size(full, ec) > kMaxFileBytes) return nullptr;
    std::ifstream in(full, std::ios::binary);
    if (!in) return nullptr;
    std::ostringstream content;
    content << in.rdbuf();
    auto fresh = std::make_shared<CachedFile>();
    fresh->identity = now;
    // Each encoding has a tag of its own: a 304 must never confirm bytes in another encoding.
    fresh->etag = fmt::format("\"{:x}.{:x}-{:x}{}{}\"", now.mtime.tv_sec, now.mtime.tv_nsec, now.size,
                              coding.empty() ? "" : "-", coding);
    fresh->last_modified = http_date(now.mtime.tv_sec);
    // The type is the served name's (lampi.js for lampi.js.br), found by way of the link's target.
    const std::string type_of = coding.empty() ? full_text : std::string(served_as);
    fresh->ok = http::text(200, content.str(), std::string(content_type_for(type_of)));
    fresh->ok.set("Cache-Control",
                  content_hashed(served_as) ? "public, max-age=31536000, immutable" : "public, max-age=300");
    fresh->ok.set("X-Content-Type-Options", "nosniff");
    if (!coding.empty()) fresh->ok.set("Content-Encoding", std::string(coding));
    if (compressible(served_as)) fresh->ok.set("Vary", "Accept-Encoding");
    fresh->ok.set("ETag", fresh->etag);
    fresh->ok.set("Last-Modified", fresh->last_modified);
    std::shared_ptr<const CachedFile> file = fresh;
    std::unique_lock lock(cache_->mutex);
    auto& slot = cache_->files[key];
    std::size_t old = slot ? slot->ok.body.size() : 0;
    if (cache_->bytes - old + file->ok.body.size() <= kMaxCachedBytes) {
        cache_->bytes = cache_->bytes - old + file->ok.body.size();
        slot = file;
    } else if (!slot) {
        cache_->files.erase(key);
    }
    return file;
}

}  // namespace lampi::cloud::pages
