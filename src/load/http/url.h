// Url: the parts of an http:// or https:// base URL a load test needs.
#pragma once

#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi::load::http {

struct Url {
    bool tls = false;
    std::string host;
    int port = 80;
    std::string base_path;  // without the trailing '/', "" for the root

    // "host" or "host:port" as the Host header wants it (the port only when not the default).
    std::string authority() const;
    // scheme://authority
    std::string origin() const;
};

// Parses --host: "http://127.0.0.1:8000", "https://lampi.example", with an optional path prefix.
Result<Url> parse_url(std::string_view text);

// The path (with query) of `location` when it points to the same origin as `base`
// (absolute, or relative to the root); empty when it leaves the site.
std::string same_origin_path(const Url& base, std::string_view location);

// application/x-www-form-urlencoded escaping of one name or value.
std::string form_encode(std::string_view text);

}  // namespace lampi::load::http
