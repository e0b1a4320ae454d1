// Who is calling: the logged-in user behind a session cookie or an API token.
// Shared by the route files.
#pragma once

#include <optional>
#include <string>

#include "api/app.h"
#include "http/form.h"

namespace lampi::cloud::api {

inline constexpr std::string_view kSessionCookie = "sessionid";

struct Caller {
    storage::User user;
    std::string session_key;  // empty when authenticated by token
    bool via_token = false;
    std::string token_scope;  // "read" or "control" when via_token
};

// Looks at "Authorization: Bearer <token>" first, then the sessionid cookie.
// Database failures come back as a Status (the route answers 500).
Result<std::optional<Caller>> identify(const http::Request& request, const http::Fields& cookies, Deps& deps,
                                       bool allow_token);

std::string session_set_cookie(const std::string& key, std::int64_t max_age, bool secure);
std::string session_clear_cookie(bool secure);

// A same-site path to go to after login; "/" for anything else.
std::string safe_next(std::string_view next);

}  // namespace lampi::cloud::api
