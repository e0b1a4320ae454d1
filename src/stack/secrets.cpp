#include "secrets.h"

#include <fmt/core.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "lampi/errno_text.h"
#include "lampi/files.h"

namespace lampi::stack {

Result<std::string> ensure_secret(const std::string& path, int bytes) {
    if (::access(path.c_str(), F_OK) == 0) return read_secret_file(path);

    std::vector<unsigned char> random(static_cast<std::size_t>(bytes));
    if (getrandom(random.data(), random.size(), 0) != static_cast<ssize_t>(random.size())) {
        return Status::error(fmt::format("cannot read random bytes for {}: {}", path, errno_text()));
    }
    std::string secret;
    for (unsigned char b : random) secret += fmt::format("{:02x}", b);
    if (Status s = write_file_atomically(path, secret + "\n", 0600); !s) return s;
    return secret;
}

}  // namespace lampi::stack
