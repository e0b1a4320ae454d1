#include "http/form.h"

#include <fmt/core.h>

#include "http/message.h"

namespace lampi::cloud::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string_view> Fields::get(std::string_view name) const {
    for (const Field& f : fields_)
        if (f.name == name) return std::string_view(f.value);
    return std::nullopt;
}

std::string_view Fields::get_or(std::string_view name, std::string_view fallback) const {
    auto v = get(name);
    return v ? *v : fallback;
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {
                return Status::invalid_argument("truncated %-escape");
            }
            int hi = hex_value(text[i + 1]);
            int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return Status::invalid_argument("bad %-escape");
            char decoded = static_cast<char>(hi * 16 + lo);
            if (decoded == '\0') return Status::invalid_argument("encoded NUL");
            out.push_back(decoded);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else if (c == '\0') {
            return Status::invalid_argument("NUL byte");
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                     c == '_' || c == '.' || c == '~' || c == '/';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

Result<Fields> parse_form(std::string_view body, std::size_t max_fields) {
    std::vector<Field> fields;
    while (!body.empty()) {
        std::size_t amp = body.find('&');
        std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        if (fields.size() >= max_fields)
            return Status::invalid_argument(fmt::format("more than {} form fields", max_fields));
        std::size_t eq = pair.find('=');
        auto name = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!name) return Status::invalid_argument("malformed form field name: " + name.status().message());
        if (!value) return Status::invalid_argument("malformed form field value: " + value.status().message());
        fields.push_back({std::move(name).value(), std::move(value).value()});
    }
    return Fields(std::move(fields));
}

Fields parse_cookies(std::string_view header) {
    std::vector<Field> cookies;
    while (!header.empty() && cookies.size() < 64) {
        std::size_t semi = header.find(';');
        std::string_view pair = trim_ows(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        std::string_view value = trim_ows(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        cookies.push_back({std::string(trim_ows(pair.substr(0, eq))), std::string(value)});
    }
    return Fields(std::move(cookies));
}

Result<Target> parse_target(std::string_view target) {
    if (target.empty() || target.front() != '/') return Status::invalid_argument("request target must start with '/'");
    std::size_t q = target.find('?');
    auto path = percent_decode(target.substr(0, q), false);
    if (!path) return Status::invalid_argument("malformed path: " + path.status().message());
    Target t;
    t.path = std::move(path).value();
    if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
    return t;
}

}  // namespace lampi::cloud::http
