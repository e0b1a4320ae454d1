#include "http/url.h"

#include <fmt/core.h>

#include <charconv>

namespace lampi::load::http {

std::string Url::authority() const {
    bool default_port = port == (tls ? 443 : 80);
    bool ipv6 = host.find(':') != std::string::npos;
    std::string h = ipv6 ? "[" + host + "]" : host;
    return default_port ? h : fmt::format("{}:{}", h, port);
}

std::string Url::origin() const { return fmt::format("{}://{}", tls ? "https" : "http", authority()); }

Result<Url> parse_url(std::string_view text) {
    Url url;
    auto bad = [&](std::string_view why) {
        return Status::invalid_argument(
            fmt::format("--host '{}': {}: give a URL such as http://127.0.0.1:8000 or https://host", text, why));
    };
    std::string_view rest = text;
    if (rest.starts_with("https://")) {
        url.tls = true;
        url.port = 443;
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else {
        return bad("the scheme must be http:// or https://");
    }
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    while (path.ends_with('/')) path.remove_suffix(1);
    url.base_path = std::string(path);
    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad("unclosed '[' in the host");
        host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') return bad("junk after the IPv6 address");
            port = authority.substr(close + 2);
        }
    } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty()) return bad("no host name");
    url.host = std::string(host);
    if (!port.empty()) {
        int p = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535)
            return bad("the port is not a number from 1 to 65535");
        url.port = p;
    }
    return url;
}

std::string same_origin_path(const Url& base, std::string_view location) {
    if (location.starts_with("//")) return {};
    if (location.starts_with('/')) return std::string(location);
    std::string origin = base.origin();
    if (location.starts_with(origin) &&
        (location.size() == origin.size() || location[origin.size()] == '/' || location[origin.size()] == '?')) {
        std::string path(location.substr(origin.size()));
        return path.empty() || path[0] != '/' ? "/" + path : path;
    }
    return {};
}

std::string form_encode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '*') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    return out;
}

}  // namespace lampi::load::http
