// The HTTP pieces on their own: the response parser fed as a socket feeds it,
// base URLs, redirects that stay on the site, form encoding, --run-time.
#include <gtest/gtest.h>

#include "http/cookie_jar.h"
#include "http/response_parser.h"
#include "http/url.h"
#include "run/timespan.h"

namespace {

using lampi::load::http::ResponseParser;

// Feeds `bytes` in pieces of `step`, keeping what the parser did not take, as a connection does.
ResponseParser::State feed_in_pieces(ResponseParser& parser, const std::string& bytes, std::size_t step) {
    std::string pending;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        pending += bytes.substr(at, step);
        pending.erase(0, parser.feed(pending));
    }
    return parser.state();
}

TEST(ResponseParser, AResponseArrivingByteByByteParsesAsWhenItArrivesAtOnce) {
    const std::string bytes =
        "HTTP/1.1 302 Found\r\nLocation: /\r\nSet-Cookie: sessionid=abc; HttpOnly; Path=/\r\n"
        "Set-Cookie: csrftoken=\"0123\"; Path=/\r\nContent-Length: 5\r\n\r\nhello";
    for (std::size_t step : {bytes.size(), std::size_t{1}, std::size_t{7}}) {
        ResponseParser parser;
        ASSERT_EQ(feed_in_pieces(parser, bytes, step), ResponseParser::State::complete) << step;
        const auto& r = parser.response();
        EXPECT_EQ(r.status, 302);
        EXPECT_EQ(r.reason, "Found");
        EXPECT_TRUE(r.keep_alive);
        EXPECT_EQ(r.location, "/");
        ASSERT_EQ(r.set_cookies.size(), 2u);
        EXPECT_EQ(r.set_cookies[0], (std::pair<std::string, std::string>{"sessionid", "abc"}));
        EXPECT_EQ(r.set_cookies[1], (std::pair<std::string, std::string>{"csrftoken", "0123"}));
        EXPECT_EQ(r.body_bytes, 5u);
    }
}

TEST(ResponseParser, ChunkedBodiesAreCountedAndABodyUntilCloseEndsWithTheStream) {
    ResponseParser chunked;
    EXPECT_EQ(feed_in_pieces(chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                             3),
              ResponseParser::State::complete);
    EXPECT_EQ(chunked.response().body_bytes, 5u);
    ResponseParser until_close;
    EXPECT_EQ(feed_in_pieces(until_close, "HTTP/1.0 200 OK\r\n\r\nabc", 100), ResponseParser::State::need_more);
    until_close.end_of_stream();
    EXPECT_EQ(until_close.state(), ResponseParser::State::complete);
    EXPECT_FALSE(until_close.response().keep_alive);
    EXPECT_EQ(until_close.response().body_bytes, 3u);
}

TEST(ResponseParser, GarbageIsMalformedWithAReason) {
    ResponseParser parser;
    EXPECT_EQ(feed_in_pieces(parser, "SSH-2.0-OpenSSH_9.2\r\n\r\n", 100), ResponseParser::State::malformed);
    EXPECT_FALSE(parser.error().empty());
}

TEST(Url, BaseUrlsRedirectsAndForms) {
    using namespace lampi::load::http;
    auto url = parse_url("https://lampi.example:8443/app/");
    ASSERT_TRUE(url);
    EXPECT_TRUE(url->tls);
    EXPECT_EQ(url->port, 8443);
    EXPECT_EQ(url->base_path, "/app");
    EXPECT_EQ(url->authority(), "lampi.example:8443");
    EXPECT_EQ(parse_url("http://127.0.0.1")->authority(), "127.0.0.1");
    EXPECT_FALSE(parse_url("127.0.0.1:8000"));
    EXPECT_FALSE(parse_url("http://127.0.0.1:99999"));
    EXPECT_EQ(same_origin_path(*url, "/accounts/login/?next=/"), "/accounts/login/?next=/");
    EXPECT_EQ(same_origin_path(*url, "https://lampi.example:8443/x"), "/x");
    EXPECT_EQ(same_origin_path(*url, "https://elsewhere.example/x"), "");
    EXPECT_EQ(same_origin_path(*url, "//elsewhere.example/x"), "");
    EXPECT_EQ(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
}

TEST(CookieJar, KeepsOneValuePerNameAsTheCookieHeader) {
    lampi::load::http::CookieJar jar;
    jar.set("csrftoken", "aaa");
    jar.set("sessionid", "s1");
    EXPECT_EQ(jar.header(), "csrftoken=aaa; sessionid=s1");
    jar.set("csrftoken", "bbb");  // rotated at login, as Django and our cloud do
    EXPECT_EQ(jar.header(), "sessionid=s1; csrftoken=bbb");
    EXPECT_EQ(jar.get("csrftoken"), "bbb");
    EXPECT_EQ(jar.get("csrf"), "");
    jar.set("csrftoken", "");  // deleted
    jar.set("sessionid", "");
    EXPECT_EQ(jar.header(), "");
    jar.set("a", "1");
    jar.set("b", "2");
    jar.set("c", "3");
    jar.set("b", "");
    EXPECT_EQ(jar.header(), "a=1; c=3");
}

TEST(RunTime, LocustsSyntaxInSeconds) {
    using lampi::load::parse_timespan;
    EXPECT_EQ(parse_timespan("90"), 90);
    EXPECT_EQ(parse_timespan("30s"), 30);
    EXPECT_EQ(parse_timespan("5m"), 300);
    EXPECT_EQ(parse_timespan("1h30m"), 5400);
    EXPECT_LT(parse_timespan("1h30"), 0);
    EXPECT_LT(parse_timespan("soon"), 0);
}

}  // namespace
