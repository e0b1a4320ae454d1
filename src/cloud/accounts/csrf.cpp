#include "accounts/csrf.h"

#include <fmt/core.h>

#include "accounts/crypto.h"

namespace lampi::cloud::accounts {
namespace {

bool is_token(std::string_view v) {
    if (v.size() != 64) return false;
    for (char c : v)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// "http://host:port" -> "host:port"
std::string_view origin_host(std::string_view origin) {
    std::size_t scheme = origin.find("://");
    if (scheme == std::string_view::npos) return {};
    origin.remove_prefix(scheme + 3);
    return origin.substr(0, origin.find('/'));
}

}  // namespace

std::string csrf_cookie(const http::Fields& cookies) {
    auto v = cookies.get(kCsrfCookie);
    return v && is_token(*v) ? std::string(*v) : std::string();
}

std::string csrf_failure(const http::Request& request, const http::Fields& cookies, std::string_view submitted) {
    std::string_view origin = request.header("Origin");
    if (!origin.empty() && origin != "null" && origin_host(origin) != request.header("Host"))
        return "CSRF check failed: the request comes from another site (Origin does not match Host)";
    std::string cookie = csrf_cookie(cookies);
    if (cookie.empty()) return "CSRF check failed: no csrftoken cookie; reload the page and try again";
    if (submitted.empty())
        return "CSRF check failed: the csrfmiddlewaretoken field (forms) or X-CSRFToken header (API) is missing";
    if (!constant_time_equals(cookie, submitted))
        return "CSRF check failed: the token does not match the csrftoken cookie; reload the page and try again";
    return {};
}

std::string csrf_set_cookie(const std::string& token, bool secure) {
    return fmt::format("{}={}; Path=/; SameSite=Lax; Max-Age=31449600{}", kCsrfCookie, token, secure ? "; Secure" : "");
}

}  // namespace lampi::cloud::accounts
