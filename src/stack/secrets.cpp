#include "secrets.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "lampi/errno_text.h"

namespace lampi::stack {

Result<std::string> ensure_secret(const std::string& path, int bytes) {
    std::ifstream in(path);
    std::string existing;
    if (in && std::getline(in, existing) && !existing.empty()) return existing;

    std::vector<unsigned char> random(static_cast<std::size_t>(bytes));
    if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
        return Status::error(fmt::format("cannot read random bytes for {}: {}", path, errno_text()));
    }
    std::string secret;
    for (unsigned char b : random) secret += fmt::format("{:02x}", b);
    std::string temp = path + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::error(fmt::format("cannot create {}: {}", temp, errno_text()));
    std::string line = secret + "\n";
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
        return Status::error(fmt::format("cannot write {}: {}", path, errno_text()));
    }
    return secret;
}

}  // namespace lampi::stack
