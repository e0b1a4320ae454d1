#include "lampi/errno_text.h"

#include <fmt/core.h>

#include <system_error>

namespace lampi {

std::string errno_text(int error) { return std::generic_category().message(error); }

Status errno_status(std::string_view what, std::string_view subject) {
    return Status::error(fmt::format("cannot {} {}: {}", what, subject, errno_text()));
}

}  // namespace lampi
