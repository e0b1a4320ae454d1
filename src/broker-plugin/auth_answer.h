// Reading the cloud auth API's answer: go-auth's "ok", or EMQX's "result",
// "is_superuser" and "acl" list. Anything malformed is an error, never a grant.
#pragma once

#include <string_view>

#include "client_registry.h"
#include "lampi/status.h"

namespace lampi::broker {

Result<AuthAnswer> parse_auth_answer(std::string_view body);

}  // namespace lampi::broker
