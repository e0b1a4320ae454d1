// The password lampid logs in to its local broker with. It comes from a file
// (mode 0600 in the stack), never from the command line, where every local user
// could read it in /proc.
#pragma once

#include <string>

#include "lampi/status.h"

namespace lampi::lampid {

// The file's first line, without its line end.
Result<std::string> read_password_file(const std::string& path);

}  // namespace lampi::lampid
