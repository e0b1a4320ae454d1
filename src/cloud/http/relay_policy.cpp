#include "http/relay_policy.h"

#include <fmt/core.h>

#include <charconv>

namespace lampi::cloud::http {
namespace {

// Does any `name` header hold `token` in its comma-separated list?
bool has_token(const Request& request, std::string_view name, std::string_view token, bool ignore_case) {
    for (const Header& h : request.headers) {
        if (!iequals(h.name, name)) continue;
        std::string_view rest = h.value;
        while (!rest.empty()) {
            std::size_t comma = rest.find(',');
            std::string_view item = trim_ows(rest.substr(0, comma));
            if (ignore_case ? iequals(item, token) : item == token) return true;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

bool origin_allowed(const Request& request, const RelayOptions& options, std::string_view origin) {
    if (!options.allowed_origins.empty()) {
        for (const std::string& allowed : options.allowed_origins)
            if (origin == allowed) return true;
        return false;
    }
    std::string_view host = request.header("Host");
    if (host.empty()) return false;
    std::string_view scheme = request.secure ? "https://" : "http://";
    return origin.size() == scheme.size() + host.size() && origin.substr(0, scheme.size()) == scheme &&
           origin.substr(scheme.size()) == host;
}

}  // namespace

bool is_relay_request(const Request& request, const RelayOptions& options) {
    return options.enabled() && request.path == options.path;
}

RelayVerdict check_relay_request(const Request& request, const RelayOptions& options, std::size_t open_connections) {
    if (request.method != "GET") return {405, "the MQTT relay takes only a WebSocket upgrade (GET)"};
    if (!has_token(request, "Upgrade", "websocket", true) || !has_token(request, "Connection", "upgrade", true))
        return {426, "the MQTT relay speaks only WebSocket (Upgrade: websocket)"};
    if (request.header("Sec-WebSocket-Version") != "13") return {426, "WebSocket version 13 only"};
    if (request.header("Sec-WebSocket-Key").empty()) return {400, "no Sec-WebSocket-Key"};
    // Browsers always send Origin on a WebSocket; a page on another site must not
    // open the relay. Programs (no Origin) still need a broker credential.
    if (request.has_header("Origin")) {
        std::string_view origin = request.header("Origin");
        if (!origin_allowed(request, options, origin))
            return {403, fmt::format("Origin '{}' may not use the MQTT relay", origin.substr(0, 200))};
    }
    if (!has_token(request, "Sec-WebSocket-Protocol", kMqttSubprotocol, false))
        return {400, fmt::format("the WebSocket must ask for subprotocol '{}'", kMqttSubprotocol)};
    if (open_connections >= options.max_connections)
        return {503, fmt::format("the MQTT relay is at its limit of {} connections", options.max_connections)};
    return {};
}

Result<BrokerEndpoint> parse_broker_endpoint(std::string_view text) {
    BrokerEndpoint out;
    if (text.substr(0, 5) == "unix:") {
        out.unix_socket = true;
        out.path = std::string(text.substr(5));
        // sockaddr_un holds 107 characters and a NUL.
        if (out.path.empty() || out.path.size() > 107)
            return Status::error(fmt::format("'{}' is not a unix socket path of 1..107 characters", text));
        return out;
    }
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        return Status::error(fmt::format("broker '{}' is neither unix:/path nor ADDRESS:PORT", text));
    out.address = std::string(text.substr(0, colon));
    std::string_view port = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || end != port.data() + port.size() || out.port < 1 || out.port > 65535)
        return Status::error(fmt::format("broker '{}' has no valid port", text));
    return out;
}

}  // namespace lampi::cloud::http
