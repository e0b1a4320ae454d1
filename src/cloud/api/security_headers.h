// The security headers on every answer of the application.
//
// The Content-Security-Policy allows exactly what the control page needs: its
// own scripts, styles and images from this origin (no inline script or style;
// the page's script sets styles through the CSSOM, which CSP does not restrict),
// fetches to this origin, and the broker's WebSocket origin from --mqtt-ws-url.
// When that URL is a path ("/mqtt", a WebSocket proxied by nginx on this site),
// the broker is this site's own host over ws(s), named explicitly because not
// every browser lets 'self' cover WebSocket schemes. HSTS goes only on answers
// the client received over HTTPS (directly or through a trusted proxy), as a
// browser ignores it over plain HTTP anyway.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace lampi::cloud::api {

class SecurityHeaders {
public:
    explicit SecurityHeaders(std::string_view mqtt_ws_url);
    // Sets the headers; headers a route already set (its own policy) stay.
    void apply(const http::Request& request, http::Response& response) const;
    std::string content_security_policy(const http::Request& request) const;

private:
    std::string broker_origin_;  // "wss://host:port"; empty when the URL is a path
    bool same_site_broker_ = false;
};

// "wss://host:9001/mqtt" -> "wss://host:9001"; empty when `url` is not an
// absolute ws:// or wss:// URL.
std::string websocket_origin(std::string_view url);

inline constexpr std::string_view kHstsValue = "max-age=31536000";

}  // namespace lampi::cloud::api
