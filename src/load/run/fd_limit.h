// Raising the open-file limit so one process can hold tens of thousands of sockets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "lampi/status.h"

namespace lampi::load {

// Descriptors one connection costs: its socket.
inline constexpr std::uint64_t kDescriptorsPerConnection = 1;
// Descriptors kept for the process's own files, pipes and event loops beside its connections.
inline constexpr std::uint64_t kOwnDescriptors = 64;

// Raises RLIMIT_NOFILE to at least `needed` (soft limit first, then the hard limit
// when the process may). The error says exactly which limit to change and how.
Status raise_fd_limit(std::uint64_t needed);

// The hard RLIMIT_NOFILE: the most this process may raise its own limit to without
// CAP_SYS_RESOURCE. Nothing when it cannot be read.
std::optional<std::uint64_t> fd_hard_limit();

}  // namespace lampi::load
