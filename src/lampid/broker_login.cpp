#include "broker_login.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "lampi/errno_text.h"

namespace lampi::lampid {

Result<std::string> read_password_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Status::error(fmt::format("cannot read the password file {}: {}", path, errno_text()));
    std::string password;
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) return Status::error(fmt::format("the password file {} is empty", path));
    return password;
}

}  // namespace lampi::lampid
