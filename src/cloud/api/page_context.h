// What the routes of server-rendered pages share: the cookies and CSRF token of
// a request (a new token when the browser has none), the answer headers every
// page gets, the login redirect, and the checks of a form post.
#pragma once

#include <optional>
#include <string>

#include "api/app.h"
#include "api/caller.h"
#include "http/form.h"
#include "http/message.h"

namespace lampi::cloud::api {

// Per-request view of cookies and the CSRF token the page should embed; plain
// fields like app.h's ServiceAccount, which it resembles in form only.
struct PageContext {
    http::Fields cookies;
    std::string csrf;
    bool new_csrf = false;
    bool secure = false;

    explicit PageContext(const http::Request& request);

    // Sets the CSRF cookie if it was new; no caching of a page made for one person.
    http::Response finish(http::Response r, const Deps& deps) const;
    bool cookies_secure(const Deps& deps) const { return deps.options.secure_cookies || secure; }
    // After authentication: a new session id (whatever session cookie came in,
    // perhaps one planted by an attacker, is ended and never becomes logged in)
    // and a new CSRF token, as Django rotates both at login.
    Result<http::Response> logged_in(std::int64_t user_id, std::string location, Deps& deps) const;
};

// 302 to the login page, coming back to this path afterwards.
http::Response login_redirect(const http::Request& request);

// Form body, or the Status saying what is malformed.
Result<http::Fields> form_of(const http::Request& request);

// The answer refusing a form post whose body is malformed or whose CSRF token is
// missing or wrong; nullopt when it passes.
std::optional<http::Response> refuse_form_post(const http::Request& request, const PageContext& page,
                                               const Result<http::Fields>& form);

// Checks session + CSRF for a form post; fills `caller` or returns the answer.
std::optional<http::Response> require_form_post(const http::Request& request, Deps& deps, PageContext& page,
                                                Result<http::Fields>& form, std::optional<Caller>& caller);

}  // namespace lampi::cloud::api
