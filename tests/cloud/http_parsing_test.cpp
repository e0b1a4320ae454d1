// Request parsing (forms, cookies, targets) and the router, without a server.
#include <gtest/gtest.h>

#include "http/form.h"
#include "http/router.h"

namespace lampi::cloud::http {
namespace {

TEST(Form, DecodesFieldsAndEscapes) {
    auto form = parse_form("csrfmiddlewaretoken=abc&username=user%201&password=a+b%26c&empty=&flag");
    ASSERT_TRUE(form) << form.status().message();
    EXPECT_EQ(form->get_or("username"), "user 1");
    EXPECT_EQ(form->get_or("password"), "a b&c");
    EXPECT_EQ(form->get_or("empty", "x"), "");
    EXPECT_TRUE(form->get("flag"));
    EXPECT_FALSE(form->get("missing"));
}

TEST(Form, RejectsBadEscapesAndTooManyFields) {
    EXPECT_FALSE(parse_form("a=%zz"));
    EXPECT_FALSE(parse_form("a=%4"));
    EXPECT_FALSE(parse_form("a=%"));
    EXPECT_FALSE(parse_form("a=%00"));
    std::string many;
    for (int i = 0; i < 100; ++i) many += "f" + std::to_string(i) + "=1&";
    auto form = parse_form(many);
    ASSERT_FALSE(form);
    EXPECT_NE(form.status().message().find("more than"), std::string::npos);
}

TEST(Cookies, ParsesLikeABrowserSends) {
    Fields c = parse_cookies("csrftoken=abc; sessionid=\"def\";junk; =x;  spaced = v ");
    EXPECT_EQ(c.get_or("csrftoken"), "abc");
    EXPECT_EQ(c.get_or("sessionid"), "def");
    EXPECT_EQ(c.get_or("spaced"), "v");
    EXPECT_FALSE(c.get("junk"));
}

TEST(Target, SplitsAndDecodesThePath) {
    auto t = parse_target("/static/a%20b.css?x=1&next=/");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/static/a b.css");
    EXPECT_EQ(t->query, "x=1&next=/");
    EXPECT_FALSE(parse_target("http://example.com/"));
    EXPECT_FALSE(parse_target("/a%00b"));
    EXPECT_FALSE(parse_target("*"));
}

TEST(Router, CapturesSegmentsAndAnswers404And405) {
    Router router;
    router.add("GET", "/lamps/{id}", [](const Request&, const Params& p) { return text(200, std::string(p.get("id"))); });
    router.add("DELETE", "/lamps/{id}", [](const Request&, const Params&) { return text(204, ""); });
    Request r;
    r.method = "GET";
    r.path = "/lamps/abc";
    EXPECT_EQ(router.dispatch(r).body, "abc");
    r.method = "POST";
    Response not_allowed = router.dispatch(r);
    EXPECT_EQ(not_allowed.status, 405);
    EXPECT_EQ(not_allowed.header("Allow"), "GET, DELETE");
    r.method = "GET";
    r.path = "/lamps/";
    EXPECT_EQ(router.dispatch(r).status, 404);
    r.path = "/lamps/a/b";
    EXPECT_EQ(router.dispatch(r).status, 404);
}

}  // namespace
}  // namespace lampi::cloud::http
