#include "http/message.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace lampi::cloud::http {

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view Request::header(std::string_view name) const {
    for (const Header& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

bool Request::has_header(std::string_view name) const {
    for (const Header& h : headers)
        if (iequals(h.name, name)) return true;
    return false;
}

Response& Response::set(std::string name, std::string value) {
    for (Header& h : headers) {
        if (iequals(h.name, name)) {
            h.value = std::move(value);
            return *this;
        }
    }
    headers.push_back({std::move(name), std::move(value)});
    return *this;
}

Response& Response::add(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
}

std::string_view Response::header(std::string_view name) const {
    for (const Header& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

Response text(int status, std::string body, std::string content_type) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.set("Content-Type", std::move(content_type));
    return r;
}

Response html(int status, std::string body) { return text(status, std::move(body), "text/html; charset=utf-8"); }

Response json(int status, std::string body) { return text(status, std::move(body), "application/json"); }

Response json_error(int status, std::string_view message) {
    boost::json::object o;
    o["error"] = message;
    return json(status, boost::json::serialize(o));
}

Response redirect(std::string location, int status) {
    Response r;
    r.status = status;
    r.set("Location", std::move(location));
    return r;
}

void add_strict_security_headers(Response& response) {
    response.set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    response.set("X-Content-Type-Options", "nosniff");
    response.set("X-Frame-Options", "DENY");
    response.set("Referrer-Policy", "no-referrer");
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 413: return "Payload Too Large";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Entity";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "";
    }
}

}  // namespace lampi::cloud::http
