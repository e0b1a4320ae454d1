#include "lampi/files.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "lampi/errno_text.h"

namespace lampi {
namespace {

std::string parent_directory(const std::string& path) {
    std::string::size_type slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// A new file beside `path` with exactly `mode`, its name in `temp`; -1 and errno
// on failure. O_EXCL: a name someone else holds (another writer, a link planted
// by another user) is never opened, only skipped.
int create_temp_beside(const std::string& path, mode_t mode, std::string& temp) {
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
        temp = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter++);
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            return -1;
        }
        // open() applied the umask, which can only narrow the mode; make it exact
        // before the first byte goes in.
        if (::fchmod(fd, mode) != 0) {
            int error = errno;
            ::close(fd);
            ::unlink(temp.c_str());
            errno = error;
            return -1;
        }
        return fd;
    }
    errno = EEXIST;
    return -1;
}

Status write_all(int fd, std::string_view contents) {
    while (!contents.empty()) {
        ssize_t n = ::write(fd, contents.data(), contents.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Status::error(errno_text());
        contents.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::ok();
}

// Up to `max_bytes` (and at most one buffer more) from `fd`, which it closes.
Result<std::string> read_and_close(int fd, std::size_t max_bytes, const std::string& path) {
    std::string content;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            Status s = errno_status("read", path);
            ::close(fd);
            return s;
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
        if (content.size() > max_bytes) break;
    }
    ::explicit_bzero(buffer, sizeof buffer);
    ::close(fd);
    return content;
}

// A secret is a line, not a document: anything longer is not a secret file.
constexpr std::size_t kMaxSecretFileBytes = std::size_t{64} * 1024;

}  // namespace

Status write_file_atomically(const std::string& path, std::string_view contents, mode_t mode, Durability durability) {
    std::string temp;
    int fd = create_temp_beside(path, mode, temp);
    if (fd < 0) {
        return Status::error(
            fmt::format("cannot write {}: {} (does the directory exist and is it writable?)", path, errno_text()));
    }
    auto fail = [&](std::string_view step, const std::string& why) {
        ::unlink(temp.c_str());
        return Status::error(fmt::format("cannot write {}: {}: {}", path, step, why));
    };
    if (Status s = write_all(fd, contents); !s) {
        ::close(fd);
        return fail("write", s.message());
    }
    if (durability != Durability::none && ::fsync(fd) != 0) {
        std::string why = errno_text();
        ::close(fd);
        return fail("fsync", why);
    }
    if (::close(fd) != 0) return fail("close", errno_text());
    if (::rename(temp.c_str(), path.c_str()) != 0) return fail("rename", errno_text());
    // Without this the rename itself may not survive a power loss.
    if (durability == Durability::file_and_directory) return sync_parent_directory(path);
    return Status::ok();
}

Status sync_parent_directory(const std::string& path) {
    std::string dir = parent_directory(path);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_status("open the directory", dir);
    Status s = ::fsync(fd) == 0 ? Status::ok() : errno_status("fsync the directory", dir);
    ::close(fd);
    return s;
}

Result<std::optional<std::string>> read_file_if_exists(const std::string& path, std::size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<std::string>{};
        return errno_status("read", path);
    }
    Result<std::string> content = read_and_close(fd, max_bytes, path);
    if (!content) return content.status();
    return std::optional<std::string>{std::move(content).value()};
}

Result<std::string> read_secret_file(const std::string& path) {
    // fstat the descriptor that is read, so the file checked is the file read.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_status("read the secret file", path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return Status::error(fmt::format("the secret file {} is not a regular file", path));
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        return Status::error(fmt::format("the secret file {} is readable by others (mode {:04o}): run chmod 600 on it",
                                         path, static_cast<unsigned>(st.st_mode & 07777)));
    }
    Result<std::string> content = read_and_close(fd, kMaxSecretFileBytes, path);
    if (!content) return content.status();
    std::string secret = content->substr(0, content->find('\n'));
    // Nothing but `secret` keeps a copy of what was read.
    ::explicit_bzero(content.value().data(), content->size());
    while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' ' || secret.back() == '\t'))
        secret.pop_back();
    if (secret.empty()) return Status::error(fmt::format("the secret file {} has nothing on its first line", path));
    return secret;
}

}  // namespace lampi
