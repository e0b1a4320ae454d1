// One HTTPS POST of a JSON body, for the rare calls a lamp makes to the cloud
// itself (enrollment). Blocking, one connection per call, no redirects.
//
// The server must present a certificate that chains to `ca_file` and names the
// host of the URL (a DNS name, or an IP address in its subjectAltName): no
// option turns that off. Failures say what went wrong in words:
//   unavailable        the cloud could not be reached (DNS, refused, timeout)
//   permission_denied  the cloud's certificate is not trusted or not for that host
//   invalid_argument   the URL or the CA file is unusable
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi::lampid {

struct HttpsUrl {
    std::string host;  // without brackets for IPv6
    std::string port;  // "443" when the URL has none
};

// "https://HOST[:PORT][/]"; anything else (http://, a path) is refused.
Result<HttpsUrl> parse_https_url(std::string_view url);

struct HttpAnswer {
    int status = 0;
    std::string body;
};

Result<HttpAnswer> https_post_json(const HttpsUrl& url, const std::string& path, const std::string& body,
                                   const std::string& ca_file, std::chrono::milliseconds timeout);

}  // namespace lampi::lampid
