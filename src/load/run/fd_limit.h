// Raising the open-file limit so one process can hold tens of thousands of sockets.
#pragma once

#include <cstdint>
#include <string>

#include "lampi/status.h"

namespace lampi::load {

// Descriptors one connection costs: its socket, and the socketpair every
// libmosquitto handle opens for waking its own loop (unused in external-loop mode).
inline constexpr std::uint64_t kDescriptorsPerConnection = 3;

// Raises RLIMIT_NOFILE to at least `needed` (soft limit first, then the hard limit
// when the process may). The error says exactly which limit to change and how.
Status raise_fd_limit(std::uint64_t needed);

}  // namespace lampi::load
