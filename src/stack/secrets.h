// Platform secrets of a one-machine stack (the broker's auth-API secret, the
// cloud service's broker password, the operator's and demo users' passwords):
// made once from the system's random source and kept in files only their owner
// can read, so a restarted stack keeps its logins.
#pragma once

#include <string>

#include "lampi/status.h"

namespace lampi::stack {

// Returns the secret stored in `path`, creating it (mode 0600) with `bytes`
// random bytes as lowercase hex when the file does not exist yet.
Result<std::string> ensure_secret(const std::string& path, int bytes = 16);

}  // namespace lampi::stack
