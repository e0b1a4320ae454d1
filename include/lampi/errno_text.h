// Words for a failed system call, for Status messages and log lines.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi {

// The system's words for `error` (errno by default), as strerror gives them but
// safe to call from several threads at once.
std::string errno_text(int error = errno);

// "cannot <what> <subject>: <errno_text()>". Call it right after the failed call,
// before anything else can change errno.
Status errno_status(std::string_view what, std::string_view subject);

}  // namespace lampi
