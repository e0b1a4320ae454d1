#include "accounts/csrf.h"

#include <fmt/core.h>

#include "accounts/crypto.h"

namespace lampi::cloud::accounts {
namespace {

// Does "scheme://host:port[/path]" name this site: the same host and the scheme
// the request arrived with (an http:// page must not post to the https:// site)?
bool same_site(std::string_view url, const http::Request& request) {
    std::string_view expected_scheme = request.secure ? "https://" : "http://";
    if (url.substr(0, expected_scheme.size()) != expected_scheme) return false;
    url.remove_prefix(expected_scheme.size());
    return url.substr(0, url.find('/')) == request.header("Host");
}

}  // namespace

std::string csrf_cookie(const http::Fields& cookies) {
    auto v = cookies.get(kCsrfCookie);
    return v && looks_like_token(*v) ? std::string(*v) : std::string();
}

Status check_csrf(const http::Request& request, const http::Fields& cookies, std::string_view submitted) {
    std::string_view origin = request.header("Origin");
    std::string_view referer = request.header("Referer");
    if (!origin.empty() && origin != "null") {
        if (!same_site(origin, request))
            return Status::permission_denied(
                "CSRF check failed: the request comes from another site (Origin does not match this site)");
    } else if (!referer.empty() ? !same_site(referer, request) : request.secure) {
        // Without Origin, Referer decides, as Django does: over HTTPS it must be
        // present, since only a man in the middle strips it there.
        return Status::permission_denied(
            "CSRF check failed: the request comes from another site (Referer is missing or does not match this site)");
    }
    std::string cookie = csrf_cookie(cookies);
    if (cookie.empty())
        return Status::permission_denied("CSRF check failed: no csrftoken cookie; reload the page and try again");
    if (submitted.empty())
        return Status::permission_denied(
            "CSRF check failed: the csrfmiddlewaretoken field (forms) or X-CSRFToken header (API) is missing");
    if (!constant_time_equals(cookie, submitted))
        return Status::permission_denied(
            "CSRF check failed: the token does not match the csrftoken cookie; reload the page and try again");
    return Status::ok();
}

std::string csrf_set_cookie(const std::string& token, bool secure) {
    return fmt::format("{}={}; Path=/; SameSite=Lax; Max-Age=31449600{}", kCsrfCookie, token, secure ? "; Secure" : "");
}

}  // namespace lampi::cloud::accounts
