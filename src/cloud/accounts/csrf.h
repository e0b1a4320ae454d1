// CSRF protection in Django's shape, so the course's Locust script and any
// Django-trained client work unchanged.
//
// A `csrftoken` cookie holds a random token; a state-changing request proves it
// comes from our own page by echoing the token in the form field
// `csrfmiddlewaretoken` or the `X-CSRFToken` header. A cross-site page can make
// the browser send the cookie but cannot read it to echo it. In addition an
// Origin header, when present, must name this host.
#pragma once

#include <string>
#include <string_view>

#include "http/form.h"
#include "http/message.h"
#include "lampi/status.h"

namespace lampi::cloud::accounts {

inline constexpr std::string_view kCsrfCookie = "csrftoken";
inline constexpr std::string_view kCsrfField = "csrfmiddlewaretoken";
inline constexpr std::string_view kCsrfHeader = "X-CSRFToken";

// The csrftoken cookie value, if it is well formed (64 hex digits).
std::string csrf_cookie(const http::Fields& cookies);

// Ok when the request passes; otherwise permission_denied saying why. `submitted`
// is the form field or header value.
Status check_csrf(const http::Request& request, const http::Fields& cookies, std::string_view submitted);

// Set-Cookie value for a (new) CSRF token; readable by scripts on purpose so the
// control page can echo it in X-CSRFToken.
std::string csrf_set_cookie(const std::string& token, bool secure);

}  // namespace lampi::cloud::accounts
