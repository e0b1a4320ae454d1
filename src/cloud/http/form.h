// Parsing of the untrusted text inside requests: percent-encoding, query strings,
// url-encoded forms and Cookie headers.
//
// Every function accepts any bytes without crashing. Malformed input comes back
// as a Status (forms) or is skipped (cookies, as browsers do), never thrown.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"

namespace lampi::cloud::http {

struct Field {
    std::string name;
    std::string value;
};

class Fields {
public:
    Fields() = default;
    explicit Fields(std::vector<Field> fields) : fields_(std::move(fields)) {}
    // The first value named `name`, if any.
    std::optional<std::string_view> get(std::string_view name) const;
    std::string_view get_or(std::string_view name, std::string_view fallback = {}) const;
    const std::vector<Field>& all() const { return fields_; }

private:
    std::vector<Field> fields_;
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`). Fails on a bad
// escape or an encoded NUL.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);
std::string percent_encode(std::string_view text);

// application/x-www-form-urlencoded (also query strings). At most `max_fields`.
Result<Fields> parse_form(std::string_view body, std::size_t max_fields = 64);

// Cookie: a=b; c=d. Malformed pairs are skipped; at most 64 cookies.
Fields parse_cookies(std::string_view header);

// Splits "path?query" and decodes the path. Fails on a path that does not start
// with '/', has a bad escape, or holds a NUL.
struct Target {
    std::string path;
    std::string query;
};
Result<Target> parse_target(std::string_view target);

}  // namespace lampi::cloud::http
