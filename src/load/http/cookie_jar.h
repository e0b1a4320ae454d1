// CookieJar: one simulated user's cookies, kept as the Cookie header they make
// ("csrftoken=...; sessionid=..."): one string per user instead of a container
// of pairs, since tens of thousands of users each hold one. One site, so
// domains and paths are not kept; a cookie set to an empty value is removed.
#pragma once

#include <string>
#include <string_view>

namespace lampi::load::http {

class CookieJar {
public:
    void set(std::string_view name, std::string_view value);
    // The value, or empty when there is no such cookie.
    std::string_view get(std::string_view name) const;
    // The Cookie header's value; empty without cookies.
    const std::string& header() const { return header_; }

private:
    std::string header_;
};

}  // namespace lampi::load::http
