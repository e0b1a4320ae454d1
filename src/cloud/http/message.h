// The HTTP request and response as the application sees them.
//
// These types are all that handlers, the router and the tests know about HTTP;
// Boost.Beast stays inside server.cpp. Header names are compared without regard
// to case. A Request owns its data; handlers may keep nothing beyond the call.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lampi::cloud::http {

struct Header {
    std::string name;
    std::string value;
};

struct Request {
    std::string method;  // "GET", "POST", ... as sent
    std::string target;  // path and query, as sent
    std::string path;    // decoded path without the query
    std::string query;   // raw query string, without '?'
    std::vector<Header> headers;
    std::string body;
    std::string remote_address;  // peer IP address
    // The client's address: remote_address, or behind a trusted proxy the
    // address it reports (the application fills it in; see forwarded.h).
    std::string client_address;
    bool secure = false;  // arrived over TLS, or over HTTPS at a trusted proxy

    // The first header named `name` (any case), or empty.
    std::string_view header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::vector<Header> headers;
    std::string body;
    // Ask the server to close the connection after this response.
    bool close = false;
    // Set when the answer is computed away from the I/O threads (a password hash
    // on the WorkPool): the server calls it once with a completion, which may run
    // on any thread and must be called exactly once; the connection waits for it
    // without holding an I/O thread. The other fields are then ignored.
    std::function<void(std::function<void(Response)>)> deferred;

    Response& set(std::string name, std::string value);
    Response& add(std::string name, std::string value);  // allows repeats (Set-Cookie)
    std::string_view header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);
// `s` without HTTP's optional whitespace (spaces and tabs) at either end.
std::string_view trim_ows(std::string_view s);

// Canned responses with a short body that says what went wrong.
Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
Response html(int status, std::string body);
Response json(int status, std::string body);
// A JSON error: {"error": "<message>"}.
Response json_error(int status, std::string_view message);
Response redirect(std::string location, int status = 302);

std::string_view reason_phrase(int status);

// The strictest security headers, for answers that are never rendered as a page
// (the server's own 4xx answers, redirects): nothing may load, frame or sniff them.
void add_strict_security_headers(Response& response);

}  // namespace lampi::cloud::http
