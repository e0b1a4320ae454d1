// Raising the open-file limit so one process can hold tens of thousands of sockets.
#pragma once

#include <cstdint>
#include <string>

#include "lampi/status.h"

namespace lampi::load {

// Descriptors one connection costs: its socket.
inline constexpr std::uint64_t kDescriptorsPerConnection = 1;

// Raises RLIMIT_NOFILE to at least `needed` (soft limit first, then the hard limit
// when the process may). The error says exactly which limit to change and how.
Status raise_fd_limit(std::uint64_t needed);

}  // namespace lampi::load
