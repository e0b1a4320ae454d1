// The handler of a plain-HTTP listener that exists only to send browsers to
// HTTPS (`lampi-cloud serve --redirect-listen`).
//
// Every request answers a redirect to https://<host>[:<https_port>]<target>:
// 301 for GET and HEAD, 308 for other methods (which keeps the method; the body
// already crossed the network in clear, but the client learns to use HTTPS).
// The host is the request's Host header without its port, checked to be a plain
// host name or IP literal; without a usable Host the answer is 400. Nothing else
// is ever served over plain HTTP: no page, no API, no cookie.
#pragma once

#include <string>
#include <string_view>

#include "http/server.h"

namespace lampi::cloud::http {

RequestHandler https_redirect_handler(int https_port);

// The Location for `request` (empty when its Host is unusable).
std::string https_location(const Request& request, int https_port);

}  // namespace lampi::cloud::http
