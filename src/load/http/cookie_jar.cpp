#include "http/cookie_jar.h"

namespace lampi::load::http {
namespace {

constexpr std::string_view kSeparator = "; ";

// Where "name=value" starts and ends in `header`, or npos.
std::pair<std::size_t, std::size_t> find_cookie(const std::string& header, std::string_view name) {
    std::size_t at = 0;
    while (at < header.size()) {
        std::size_t end = header.find(kSeparator, at);
        if (end == std::string::npos) end = header.size();
        std::string_view cookie(header.data() + at, end - at);
        if (cookie.size() > name.size() && cookie.starts_with(name) && cookie[name.size()] == '=') return {at, end};
        at = end + kSeparator.size();
    }
    return {std::string::npos, std::string::npos};
}

}  // namespace

void CookieJar::set(std::string_view name, std::string_view value) {
    auto [start, end] = find_cookie(header_, name);
    if (start != std::string::npos) {
        // Drop the old one with one of its separators.
        if (end < header_.size()) {
            header_.erase(start, end - start + kSeparator.size());
        } else {
            header_.erase(start >= kSeparator.size() ? start - kSeparator.size() : start);
        }
    }
    if (value.empty()) {
        header_.shrink_to_fit();
        return;
    }
    // Built at its exact size: a user keeps its jar for the whole run, and
    // appending would leave it up to twice as large.
    std::string grown;
    grown.reserve(header_.size() + kSeparator.size() + name.size() + 1 + value.size());
    grown.append(header_);
    if (!header_.empty()) grown.append(kSeparator);
    grown.append(name).append("=").append(value);
    header_ = std::move(grown);
}

std::string_view CookieJar::get(std::string_view name) const {
    auto [start, end] = find_cookie(header_, name);
    if (start == std::string::npos) return {};
    return std::string_view(header_).substr(start + name.size() + 1, end - start - name.size() - 1);
}

}  // namespace lampi::load::http
