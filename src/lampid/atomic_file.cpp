#include "atomic_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lampi/errno_text.h"

namespace lampi::lampid {

Status replace_file(const std::string& path, std::string_view content, bool sync) {
    std::string temp = path + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno_status("create", temp);
    Status written = Status::ok();
    while (!content.empty() && written) {
        ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            written = errno_status("write", temp);
        } else {
            content.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    if (written && sync && ::fsync(fd) != 0) written = errno_status("fsync", temp);
    ::close(fd);
    if (!written) return written;
    if (::rename(temp.c_str(), path.c_str()) != 0) return errno_status("rename into", path);
    return Status::ok();
}

Status sync_parent_directory(const std::string& path) {
    std::string::size_type slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_status("open the directory", dir);
    Status s = ::fsync(fd) == 0 ? Status::ok() : errno_status("fsync the directory", dir);
    ::close(fd);
    return s;
}

}  // namespace lampi::lampid
