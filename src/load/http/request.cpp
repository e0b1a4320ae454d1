#include "http/request.h"

#include <fmt/core.h>

namespace lampi::load::http {

std::string format_request(const Url& url, std::string_view method, std::string_view path, const CookieJar& cookies,
                           std::string_view extra_headers, std::string_view body) {
    std::string request = fmt::format(
        "{} {}{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: lampi-load\r\n"
        "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n",
        method, url.base_path, path, url.authority());
    if (!cookies.header().empty()) request += fmt::format("Cookie: {}\r\n", cookies.header());
    request += extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        request += fmt::format("Content-Length: {}\r\n", body.size());
    request += "\r\n";
    request += body;
    return request;
}

NextHop next_hop(const Url& url, const Response& response, int& redirects) {
    NextHop hop;
    bool redirect = response.status == 301 || response.status == 302 || response.status == 303 ||
                    response.status == 307 || response.status == 308;
    if (!redirect || response.location.empty()) return hop;
    std::string next = same_origin_path(url, response.location);
    if (!next.empty() && !url.base_path.empty() && next.starts_with(url.base_path)) next.erase(0, url.base_path.size());
    hop.kind = NextHop::Kind::fail;
    if (next.empty()) {
        hop.failure = check_failed(fmt::format("redirected off the site, to {}", response.location));
    } else if (++redirects > kMaxRedirects) {
        hop.failure = fmt::format("TooManyRedirects('Exceeded {} redirects.')", kMaxRedirects);
    } else {
        hop.kind = NextHop::Kind::follow;
        hop.path = std::move(next);
        hop.keep_method = response.status == 307 || response.status == 308;
    }
    return hop;
}

std::string full_url(const Url& url, std::string_view path) {
    return fmt::format("{}{}{}", url.origin(), url.base_path, path);
}

std::string http_error(const Response& r, const std::string& url) {
    return fmt::format("HTTPError('{} {} Error: {} for url: {}')", r.status, r.status < 500 ? "Client" : "Server",
                       r.reason, url);
}

std::string check_failed(std::string_view why) { return fmt::format("CatchResponseError('{}')", why); }

std::string connection_error(std::string_view why) { return fmt::format("ConnectionError('{}')", why); }

}  // namespace lampi::load::http
