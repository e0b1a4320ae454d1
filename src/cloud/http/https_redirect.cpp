#include "http/https_redirect.h"

#include <fmt/core.h>

namespace lampi::cloud::http {
namespace {

// "host", "host:80", "[::1]:80" -> "host", "[::1]"; empty if not a plain host.
std::string host_without_port(std::string_view host) {
    if (host.empty() || host.size() > 255) return {};
    std::string_view name;
    if (host.front() == '[') {
        std::size_t close = host.find(']');
        if (close == std::string_view::npos) return {};
        name = host.substr(0, close + 1);
        for (char c : name.substr(1, name.size() - 2)) {
            bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
            if (!ok) return {};
        }
        host.remove_prefix(close + 1);
    } else {
        std::size_t colon = host.find(':');
        name = host.substr(0, colon);
        for (char c : name) {
            bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
            if (!ok) return {};
        }
        host.remove_prefix(name.size());
    }
    if (name.empty() || name == "[]") return {};
    // What may follow is only ":digits".
    if (!host.empty()) {
        if (host.front() != ':') return {};
        for (char c : host.substr(1))
            if (c < '0' || c > '9') return {};
    }
    return std::string(name);
}

}  // namespace

std::string https_location(const Request& request, int https_port) {
    std::string host = host_without_port(request.header("Host"));
    if (host.empty()) return {};
    std::string target = request.target.empty() || request.target.front() != '/' ? "/" : request.target;
    if (https_port == 443) return fmt::format("https://{}{}", host, target);
    return fmt::format("https://{}:{}{}", host, https_port, target);
}

RequestHandler https_redirect_handler(int https_port) {
    return [https_port](Request& request) {
        std::string location = https_location(request, https_port);
        Response r = location.empty() ? text(400, "this address serves only redirects to HTTPS; send a Host header\n")
                                      : redirect(location, request.method == "GET" || request.method == "HEAD" ? 301 : 308);
        add_strict_security_headers(r);
        r.set("Cache-Control", "no-store");
        return r;
    };
}

}  // namespace lampi::cloud::http
