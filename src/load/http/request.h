// What every simulated web user does the same way, whatever its flow: the
// bytes of a request, what a redirect means, and failures named as Locust's
// client (requests) names them, so failure reports read alike.
#pragma once

#include <string>
#include <string_view>

#include "http/cookie_jar.h"
#include "http/response_parser.h"
#include "http/url.h"

namespace lampi::load::http {

// The most redirects one request follows, as requests' default of 30 is more than any page needs.
constexpr int kMaxRedirects = 5;

// One request: the request line, Host, our fixed headers, the user's cookies,
// `extra_headers` ("Name: value\r\n" lines), Content-Length when there is a
// body (or the method sends one), then the body.
std::string format_request(const Url& url, std::string_view method, std::string_view path, const CookieJar& cookies,
                           std::string_view extra_headers, std::string_view body);

// What to do with a response when following redirects.
struct NextHop {
    enum class Kind { done, follow, fail } kind = Kind::done;
    std::string path;          // follow: where to, relative to the base path
    bool keep_method = false;  // follow: 307/308 repeat the method and body
    std::string failure;       // fail: Locust's words
};

// `redirects` counts the hops so far and is increased for each one followed.
NextHop next_hop(const Url& url, const Response& response, int& redirects);

// scheme://host[:port]/base/path
std::string full_url(const Url& url, std::string_view path);

// HTTPError('503 Server Error: Service Unavailable for url: ...'), as requests raises it.
std::string http_error(const Response& response, const std::string& url);
// CatchResponseError('why'), as Locust names a failed check.
std::string check_failed(std::string_view why);
// ConnectionError('why')
std::string connection_error(std::string_view why);

}  // namespace lampi::load::http
