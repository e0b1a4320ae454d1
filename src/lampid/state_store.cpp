#include "state_store.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lampi/lamp_codec.h"

namespace lampi::lampid {
namespace {

Status errno_status(std::string_view what, const std::string& path) {
    return Status::error(fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)));
}

Status write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_status("write", path);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::ok();
}

}  // namespace

StateStore::StateStore(std::string path) : path_(std::move(path)) {}

Result<LampState> StateStore::load(std::string* note) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return LampState{};
        return errno_status("read the state file", path_);
    }
    std::stringstream content;
    content << in.rdbuf();
    Result<LampState> state = decode_changed(content.str());
    if (state) return state;
    std::string aside = path_ + ".corrupt";
    std::error_code ec;
    std::filesystem::rename(path_, aside, ec);
    if (note) {
        *note = fmt::format("state file {} is unreadable ({}); moved it to {} and started from defaults",
                            path_, state.status().message(), aside);
    }
    return LampState{};
}

Status StateStore::save(const LampState& state) {
    std::string temp = path_ + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno_status("create", temp);
    Status written = write_all(fd, encode_changed(state), temp);
    if (written && ::fsync(fd) != 0) written = errno_status("fsync", temp);
    ::close(fd);
    if (!written) return written;
    if (::rename(temp.c_str(), path_.c_str()) != 0) return errno_status("rename into", path_);
    return Status::ok();
}

}  // namespace lampi::lampid
