#include "http/response_wire.h"

#include <boost/beast/http/status.hpp>

#include <charconv>

namespace lampi::cloud::http {
namespace {

bool has_no_body(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

void append_number(std::string& out, std::size_t n) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
}

}  // namespace

std::string to_wire(Response&& response, unsigned version, bool keep_alive) {
    namespace bhttp = boost::beast::http;
    const bool bodiless = has_no_body(response.status);
    std::string_view reason = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(response.status)));
    std::size_t size = 64 + reason.size() + (bodiless ? 0 : response.body.size());
    for (const Header& h : response.headers) size += h.name.size() + h.value.size() + 4;

    std::string out;
    out.reserve(size);
    out += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
    append_number(out, static_cast<std::size_t>(response.status));
    out += ' ';
    out += reason;
    out += "\r\n";
    // What the handler set, except the two fields the server owns (as Beast's
    // keep_alive() and prepare_payload() replace them).
    for (const Header& h : response.headers) {
        if (iequals(h.name, "Content-Length") || iequals(h.name, "Connection")) continue;
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
    if (version < 11 && keep_alive) out += "Connection: keep-alive\r\n";
    if (!bodiless) {
        out += "Content-Length: ";
        append_number(out, response.body.size());
        out += "\r\n";
    }
    out += "\r\n";
    if (!bodiless) out += response.body;
    return out;
}

}  // namespace lampi::cloud::http
