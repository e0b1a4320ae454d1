#include "api/security_headers.h"

#include <fmt/core.h>

namespace lampi::cloud::api {
namespace {

// A Host header fit to be written into a policy: host name or IP literal and
// port, nothing that could end or add a directive.
bool plain_host(std::string_view host) {
    if (host.empty() || host.size() > 255) return false;
    for (char c : host) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
                  c == ':' || c == '[' || c == ']';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

std::string websocket_origin(std::string_view url) {
    std::string_view scheme;
    if (url.substr(0, 6) == "wss://") {
        scheme = "wss://";
    } else if (url.substr(0, 5) == "ws://") {
        scheme = "ws://";
    } else {
        return {};
    }
    std::string_view rest = url.substr(scheme.size());
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (!plain_host(authority)) return {};
    return std::string(scheme) + std::string(authority);
}

SecurityHeaders::SecurityHeaders(std::string_view mqtt_ws_url) : broker_origin_(websocket_origin(mqtt_ws_url)) {
    same_site_broker_ = broker_origin_.empty() && !mqtt_ws_url.empty() && mqtt_ws_url.front() == '/';
}

std::string SecurityHeaders::content_security_policy(const http::Request& request) const {
    std::string connect = "'self'";
    if (!broker_origin_.empty()) {
        connect += " " + broker_origin_;
    } else if (same_site_broker_ && plain_host(request.header("Host"))) {
        connect += fmt::format(" {}://{}", request.secure ? "wss" : "ws", request.header("Host"));
    }
    // mqtt.js keeps its keepalive timers in a blob: worker so background tabs stay connected;
    // 'self' is the service worker (/sw.js). The manifest is named though default-src covers
    // it, so the policy reads as the list of what the page loads.
    return fmt::format(
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src {}; img-src 'self' data:; "
        "worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'",
        connect);
}

void SecurityHeaders::apply(const http::Request& request, http::Response& response) const {
    auto set_default = [&response](std::string name, std::string value) {
        if (response.header(name).empty()) response.set(std::move(name), std::move(value));
    };
    set_default("Content-Security-Policy", content_security_policy(request));
    set_default("X-Content-Type-Options", "nosniff");
    set_default("X-Frame-Options", "DENY");
    set_default("Referrer-Policy", "same-origin");
    if (request.secure) set_default("Strict-Transport-Security", std::string(kHstsValue));
}

}  // namespace lampi::cloud::api
