// Mosquitto password files (`password_file`): one `user:hash` line per login,
// hashed the way mosquitto_passwd 2.0 does it (PBKDF2-HMAC-SHA512, 101
// iterations, 12 random salt bytes: "$7$101$<salt>$<hash>", both base64).
//
// lampi-stack writes them itself so no password ever passes through a command
// line (mosquitto_passwd -b would put it in argv, readable by every local user).
#pragma once

#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi::stack {

// One line of a password file, with its line end.
Result<std::string> mosquitto_password_line(std::string_view username, std::string_view password);

}  // namespace lampi::stack
