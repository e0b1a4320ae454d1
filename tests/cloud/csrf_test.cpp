// The CSRF rule on its own (accounts/csrf.h), as Django applies it: the token in
// the form or header must match the csrftoken cookie, and the request must come
// from this site: Origin when the browser sends it, else Referer, which HTTPS
// requires (only a man in the middle strips both there).
#include <gtest/gtest.h>

#include "accounts/csrf.h"
#include "http/form.h"

namespace lampi::cloud::accounts {
namespace {

const std::string kToken(64, 'a');

http::Request post(bool secure, std::vector<http::Header> headers) {
    http::Request request;
    request.method = "POST";
    request.target = request.path = "/accounts/login/";
    request.secure = secure;
    request.headers = {{"Host", "lamps.example:8443"}, {"Cookie", "csrftoken=" + kToken}};
    for (auto& header : headers) request.headers.push_back(std::move(header));
    return request;
}

// Why the request is refused; empty when it passes.
std::string failure(const http::Request& request, std::string_view submitted = kToken) {
    Status s = check_csrf(request, http::parse_cookies(request.header("Cookie")), submitted);
    EXPECT_TRUE(s.is_ok() || s.code() == StatusCode::permission_denied) << s.code_name();
    return s.message();
}

TEST(Csrf, AnHttpsPostWithNeitherOriginNorRefererIsRefused) {
    EXPECT_NE(failure(post(true, {})).find("Referer"), std::string::npos);
    // The same request with the page's Referer or Origin passes.
    EXPECT_EQ(failure(post(true, {{"Referer", "https://lamps.example:8443/accounts/login/"}})), "");
    EXPECT_EQ(failure(post(true, {{"Origin", "https://lamps.example:8443"}})), "");
}

TEST(Csrf, APlainHttpPostMayComeWithoutOriginOrReferer) {
    EXPECT_EQ(failure(post(false, {})), "");
}

TEST(Csrf, AnotherSiteOrAnotherSchemeIsRefused) {
    EXPECT_NE(failure(post(true, {{"Origin", "https://evil.example"}})), "");
    EXPECT_NE(failure(post(true, {{"Origin", "http://lamps.example:8443"}})), "");
    EXPECT_NE(failure(post(true, {{"Referer", "https://lamps.example:8443.evil.example/"}})), "");
    EXPECT_NE(failure(post(true, {{"Referer", "http://lamps.example:8443/accounts/login/"}})), "");
}

TEST(Csrf, TheTokenMustMatchTheCookie) {
    auto same_site = std::vector<http::Header>{{"Origin", "https://lamps.example:8443"}};
    EXPECT_NE(failure(post(true, same_site), std::string(64, 'b')), "");
    EXPECT_NE(failure(post(true, same_site), ""), "");
    http::Request no_cookie = post(true, same_site);
    no_cookie.headers.erase(no_cookie.headers.begin() + 1);
    EXPECT_NE(failure(no_cookie), "");
}

}  // namespace
}  // namespace lampi::cloud::accounts
