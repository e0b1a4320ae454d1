#include "ca_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "key_files.h"
#include "lampi/errno_text.h"
#include "lampi/files.h"
#include "lampi/log.h"

namespace lampi::ca {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr int kIndexFormat = 1;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// The first serial is 01; a counter keeps serials short enough to type in
// `lampi-ca revoke`.
constexpr std::uint64_t kFirstSerial = 1;
constexpr std::uint64_t kFirstCrlNumber = 1;

Result<std::uint64_t> read_counter(const std::string& path, int base) {
    Result<std::string> text = read_text_file(path);
    if (!text) return text.status();
    try {
        size_t used = 0;
        std::uint64_t value = std::stoull(*text, &used, base);
        while (used < text->size() && std::isspace(static_cast<unsigned char>((*text)[used]))) ++used;
        if (used == text->size()) return value;
    } catch (const std::exception&) {
    }
    return Status::error(fmt::format("{} is corrupt (expected one {} number)", path, base == 16 ? "hex" : "decimal"));
}

json::array string_array(const std::vector<std::string>& values) {
    json::array out;
    for (const auto& v : values) out.emplace_back(v);
    return out;
}

json::object to_json(const IndexEntry& e) {
    json::object o;
    o["serial"] = e.serial;
    o["kind"] = std::string(kind_name(e.kind));
    o["cn"] = e.common_name;
    if (!e.dns_names.empty()) o["dns"] = string_array(e.dns_names);
    if (!e.ip_addresses.empty()) o["ip"] = string_array(e.ip_addresses);
    o["not_before"] = format_utc(e.not_before);
    o["not_after"] = format_utc(e.not_after);
    if (e.revoked_at) {
        o["revoked_at"] = format_utc(*e.revoked_at);
        o["reason"] = e.revocation_reason;
    }
    return o;
}

Result<std::string> string_field(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_string()) return Status::error(fmt::format("missing or non-string \"{}\"", key));
    return std::string(v->as_string());
}

Result<std::vector<std::string>> string_list(const json::object& o, const char* key) {
    std::vector<std::string> out;
    const json::value* v = o.if_contains(key);
    if (!v) return out;
    if (!v->is_array()) return Status::error(fmt::format("\"{}\" is not a list", key));
    for (const json::value& item : v->as_array()) {
        if (!item.is_string()) return Status::error(fmt::format("\"{}\" holds a non-string", key));
        out.emplace_back(item.as_string());
    }
    return out;
}

Result<IndexEntry> from_json(const json::value& value) {
    if (!value.is_object()) return Status::error("an entry is not an object");
    const json::object& o = value.as_object();
    IndexEntry e;
    Result<std::string> serial = string_field(o, "serial");
    Result<std::string> kind = string_field(o, "kind");
    Result<std::string> cn = string_field(o, "cn");
    Result<std::string> not_before = string_field(o, "not_before");
    Result<std::string> not_after = string_field(o, "not_after");
    for (const Status* s : {&serial.status(), &kind.status(), &cn.status(), &not_before.status(), &not_after.status()}) {
        if (!s->is_ok()) return *s;
    }
    Result<std::string> canonical = normalize_serial(*serial);
    if (!canonical) return canonical.status();
    e.serial = *canonical;
    Result<CertKind> k = parse_kind(*kind);
    if (!k) return k.status();
    e.kind = *k;
    e.common_name = *cn;
    Result<std::time_t> nb = parse_utc(*not_before);
    Result<std::time_t> na = parse_utc(*not_after);
    if (!nb) return nb.status();
    if (!na) return na.status();
    e.not_before = *nb;
    e.not_after = *na;
    Result<std::vector<std::string>> dns = string_list(o, "dns");
    Result<std::vector<std::string>> ip = string_list(o, "ip");
    if (!dns) return dns.status();
    if (!ip) return ip.status();
    e.dns_names = *dns;
    e.ip_addresses = *ip;
    if (o.contains("revoked_at")) {
        Result<std::string> at = string_field(o, "revoked_at");
        if (!at) return at.status();
        Result<std::time_t> when = parse_utc(*at);
        if (!when) return when.status();
        e.revoked_at = *when;
        Result<std::string> reason = string_field(o, "reason");
        e.revocation_reason = reason ? *reason : "unspecified";
    }
    return e;
}

}  // namespace

std::string format_utc(std::time_t time) {
    std::tm tm{};
    gmtime_r(&time, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

Result<std::time_t> parse_utc(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end != '\0') return Status::error(fmt::format("'{}' is not a UTC time like 2025-01-31T12:00:00Z", text));
    return timegm(&tm);
}

Result<int> CaStore::lock(const std::string& dir, std::chrono::milliseconds wait) {
    std::string path = dir + "/.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Status::error(fmt::format("cannot open {}: {}", path, errno_text()));
    // Polled rather than blocking, so a second handle in the same process (or a
    // stuck run) ends in an error instead of hanging forever.
    auto deadline = std::chrono::steady_clock::now() + wait;
    bool told = false;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            std::string message = fmt::format("cannot lock {}: {}", path, errno_text());
            ::close(fd);
            return Status::error(message);
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::close(fd);
            return Status::error(fmt::format(
                "the CA directory {} is in use by another lampi-ca run (lock {}); try again when it has finished",
                dir, path));
        }
        if (!told) log::info("waiting for another lampi-ca run on {} to finish", dir);
        told = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fd;
}

Result<CaStore> CaStore::create(const std::string& dir, std::chrono::milliseconds lock_wait) {
    if (dir.empty()) return Status::error("no CA directory given (--dir)");
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) return Status::error(fmt::format("{} exists and is not a directory", dir));
        if (exists(dir + "/ca.pem")) {
            return Status::error(fmt::format(
                "{} already holds a CA (ca.pem); refusing to overwrite it. Use another --dir, or remove {} "
                "yourself if you really mean to replace the CA (everything it issued will stop verifying)",
                dir, dir));
        }
        for (const char* name : {"ca.key", "index.json", "serial"}) {
            if (exists(dir + "/" + name)) {
                return Status::error(fmt::format(
                    "{} holds an incomplete CA ({} without ca.pem: an init was interrupted); remove {} and run "
                    "init again",
                    dir, name, dir));
            }
        }
    } else {
        fs::path parent = fs::path(dir).parent_path();
        if (!parent.empty()) fs::create_directories(parent, ec);
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            return Status::error(fmt::format("cannot create the CA directory {}: {}", dir, errno_text()));
        }
    }
    // An existing empty directory may have been made 0755 by someone else.
    if (::chmod(dir.c_str(), 0700) != 0) {
        return Status::error(fmt::format("cannot make {} private (chmod 700): {}", dir, errno_text()));
    }
    std::error_code mk;
    fs::create_directories(dir + "/issued", mk);
    if (mk) return Status::error(fmt::format("cannot create {}/issued: {}", dir, mk.message()));
    Result<int> fd = lock(dir, lock_wait);
    if (!fd) return fd.status();
    CaStore store(dir, *fd);
    // Checked again under the lock: a concurrent init may have won the race.
    if (exists(store.key_path()) || exists(store.cert_path())) {
        return Status::error(fmt::format("{} already holds a CA (created meanwhile by another run)", dir));
    }
    return store;
}

Result<CaStore> CaStore::open(const std::string& dir, std::chrono::milliseconds lock_wait) {
    if (dir.empty()) return Status::error("no CA directory given (--dir)");
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return Status::error(
                fmt::format("no CA directory at {}: create one with `lampi-ca init --dir {}`", dir, dir));
        }
        return Status::error(fmt::format("cannot access the CA directory {}: {}", dir, errno_text()));
    }
    if (!S_ISDIR(st.st_mode)) return Status::error(fmt::format("{} is not a directory", dir));
    if (!exists(dir + "/ca.pem")) {
        if (exists(dir + "/ca.key")) {
            return Status::error(fmt::format(
                "{} holds an incomplete CA (ca.key without ca.pem: an init was interrupted); remove it and run init "
                "again",
                dir));
        }
        return Status::error(
            fmt::format("{} holds no CA (no ca.pem): create one with `lampi-ca init --dir {}`", dir, dir));
    }
    std::string key = dir + "/ca.key";
    struct stat key_st {};
    if (::stat(key.c_str(), &key_st) != 0) {
        return Status::error(fmt::format("cannot access the CA key {}: {}", key, errno_text()));
    }
    if ((key_st.st_mode & 077) != 0) {
        return Status::error(fmt::format("the CA key {} is accessible to other users (mode {:04o}); run `chmod 600 {}`",
                                         key, key_st.st_mode & 07777, key));
    }
    // Search permission alone (a packaged cloud's 0710, group mosquitto) reaches only the
    // public ca.pem and crl.pem by name: the key is owner-only, checked above.
    if ((st.st_mode & 066) != 0) {
        log::warn("the CA directory {} is open to other users (mode {:04o}); consider `chmod 700 {}`", dir,
                  st.st_mode & 07777, dir);
    }
    for (const char* name : {"index.json", "serial", "crlnumber"}) {
        if (!exists(dir + "/" + name)) {
            return Status::error(fmt::format("{}/{} is missing: the CA directory is damaged", dir, name));
        }
    }
    Result<int> fd = lock(dir, lock_wait);
    if (!fd) return fd.status();
    return CaStore(dir, *fd);
}

CaStore::CaStore(CaStore&& other) noexcept : dir_(std::move(other.dir_)), lock_fd_(other.lock_fd_) {
    other.lock_fd_ = -1;
}

CaStore& CaStore::operator=(CaStore&& other) noexcept {
    if (this != &other) {
        if (lock_fd_ >= 0) ::close(lock_fd_);
        dir_ = std::move(other.dir_);
        lock_fd_ = other.lock_fd_;
        other.lock_fd_ = -1;
    }
    return *this;
}

CaStore::~CaStore() {
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Status CaStore::initialize_counters() {
    if (Status s = write_file_atomically(serial_path(), fmt::format("{:02X}\n", kFirstSerial), 0600); !s) return s;
    if (Status s = write_file_atomically(crl_number_path(), fmt::format("{}\n", kFirstCrlNumber), 0600); !s) return s;
    return save_index({});
}

Result<std::string> CaStore::take_serial() {
    Result<std::uint64_t> next = read_counter(serial_path(), 16);
    if (!next) return next.status();
    if (*next == 0) return Status::error(fmt::format("{} is corrupt (serial 0)", serial_path()));
    Status s = write_file_atomically(serial_path(), fmt::format("{:02X}\n", *next + 1), 0600);
    if (!s) return s;
    return normalize_serial(fmt::format("{:X}", *next));
}

Result<std::uint64_t> CaStore::take_crl_number() {
    Result<std::uint64_t> next = read_counter(crl_number_path(), 10);
    if (!next) return next.status();
    Status s = write_file_atomically(crl_number_path(), fmt::format("{}\n", *next + 1), 0600);
    if (!s) return s;
    return *next;
}

Result<std::vector<IndexEntry>> CaStore::load_index() const {
    Result<std::string> text = read_text_file(index_path());
    if (!text) return text.status();
    boost::system::error_code ec;
    json::value doc = json::parse(*text, ec);
    auto corrupt = [&](const std::string& why) {
        return Status::error(fmt::format("{} is corrupt ({}); restore it from a backup", index_path(), why));
    };
    if (ec) return corrupt(ec.message());
    if (!doc.is_object()) return corrupt("not a JSON object");
    const json::value* format = doc.as_object().if_contains("format");
    if (!format || !format->is_int64() || format->as_int64() != kIndexFormat) {
        return corrupt(fmt::format("expected \"format\": {}", kIndexFormat));
    }
    const json::value* list = doc.as_object().if_contains("certificates");
    if (!list || !list->is_array()) return corrupt("no \"certificates\" list");
    std::vector<IndexEntry> entries;
    for (const json::value& item : list->as_array()) {
        Result<IndexEntry> entry = from_json(item);
        if (!entry) return corrupt(entry.status().message());
        entries.push_back(std::move(entry).value());
    }
    return entries;
}

Status CaStore::save_index(const std::vector<IndexEntry>& entries) {
    // One certificate per line keeps the file readable and diff-able.
    std::string text = "{\"format\": " + std::to_string(kIndexFormat) + ", \"certificates\": [";
    for (size_t i = 0; i < entries.size(); ++i) {
        text += i == 0 ? "\n  " : ",\n  ";
        text += json::serialize(to_json(entries[i]));
    }
    text += entries.empty() ? "]}\n" : "\n]}\n";
    return write_file_atomically(index_path(), text, 0600);
}

}  // namespace lampi::ca
