// lampi-cloud over HTTP on a loopback port, on SQLite and PostgreSQL: the
// Django-compatible login flow, sessions, CSRF, ownership, onboarding codes, the
// JSON API and the broker auth API.
#include <gtest/gtest.h>

#include <algorithm>

#include <boost/json.hpp>

#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http_client.h"
#include "json_reply.h"

namespace lampi::cloud {
namespace {

// Each cloud test file names what it uses, these often the same: a shared header of
// using-declarations would hide where they come from.
namespace json = boost::json;
using testing::BrowserSession;
using testing::CloudServer;
using testing::HttpClient;
using testing::parse_json;

const std::string kLampA = "b827eb74663e";
const std::string kLampB = "b827eb000001";

class ApiTest : public CloudHttpTest {
protected:
    void start(testing::CloudServerOptions options) override {
        options.app.service_accounts.push_back({"platform", "platform-secret", true});
        CloudHttpTest::start(std::move(options));
    }
    // A session-authenticated JSON call with the CSRF header.
    testing::HttpReply api(BrowserSession& s, const std::string& method, const std::string& target,
                           const std::string& body = {}) {
        return s.send(method, target, body, {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    }
    testing::HttpReply auth_call(const std::string& path, const std::string& body,
                                 const std::string& type = "application/json",
                                 std::vector<std::pair<std::string, std::string>> extra = {}) {
        HttpClient c(server_->port());
        extra.emplace_back("Content-Type", type);
        return c.request("POST", path, extra, body);
    }
};

TEST_P(ApiTest, LoginFlowIsDjangos) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id, "Desk");
    BrowserSession s(server_->port());
    auto page = s.get("/accounts/login/?next=/");
    ASSERT_EQ(page.status, 200);
    std::string csrf = s.cookie("csrftoken");
    ASSERT_EQ(csrf.size(), 64u);
    EXPECT_NE(page.body.find("name=\"csrfmiddlewaretoken\" value=\"" + csrf + "\""), std::string::npos);
    auto posted = s.post_form("/accounts/login/?next=/",
                              {{"csrfmiddlewaretoken", csrf}, {"username", "alice"}, {"password", CloudServer::kPassword}});
    ASSERT_EQ(posted.status, 302);
    EXPECT_EQ(posted.header("Location"), "/");
    bool session_cookie = false;
    for (const auto& c : posted.headers_named("Set-Cookie")) {
        if (c.rfind("sessionid=", 0) != 0) continue;
        session_cookie = true;
        EXPECT_NE(c.find("HttpOnly"), std::string::npos);
        EXPECT_NE(c.find("SameSite=Lax"), std::string::npos);
        EXPECT_NE(c.find("Path=/"), std::string::npos);
    }
    EXPECT_TRUE(session_cookie);
    EXPECT_NE(s.cookie("csrftoken"), csrf) << "the CSRF token rotates at login";
    auto index = s.get("/");
    ASSERT_EQ(index.status, 200);
    EXPECT_NE(index.body.find("<div id=\"lamps\""), std::string::npos);
    EXPECT_NE(index.body.find("data-device-id=\"" + kLampA + "\""), std::string::npos);
    EXPECT_NE(index.body.find("Desk"), std::string::npos);
}

TEST_P(ApiTest, IndexWithoutSessionRedirectsToLogin) {
    BrowserSession s(server_->port());
    auto r = s.get("/");
    EXPECT_EQ(r.status, 302);
    EXPECT_EQ(r.header("Location"), "/accounts/login/?next=/");
    s.set_cookie("sessionid", std::string(64, 'a'));
    EXPECT_EQ(s.get("/").status, 302);
    s.set_cookie("sessionid", "garbage'; DROP TABLE users; --");
    EXPECT_EQ(s.get("/").status, 302);
}

TEST_P(ApiTest, WrongPasswordShowsTheFormAgain) {
    server_->add_user("alice");
    BrowserSession s(server_->port());
    s.get("/accounts/login/?next=/");
    auto r = s.post_form("/accounts/login/?next=/",
                         {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"username", "alice"}, {"password", "nope"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Please enter a correct username and password"), std::string::npos);
    EXPECT_TRUE(s.cookie("sessionid").empty());
    auto unknown = s.post_form("/accounts/login/?next=/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")},
                                                           {"username", "mallory"},
                                                           {"password", "whatever1"}});
    EXPECT_EQ(unknown.status, 200);
}

TEST_P(ApiTest, LoginWithoutOrWithWrongCsrfIsForbidden) {
    server_->add_user("alice");
    BrowserSession s(server_->port());
    s.get("/accounts/login/?next=/");
    auto missing = s.post_form("/accounts/login/?next=/", {{"username", "alice"}, {"password", CloudServer::kPassword}});
    EXPECT_EQ(missing.status, 403);
    auto wrong = s.post_form("/accounts/login/?next=/", {{"csrfmiddlewaretoken", std::string(64, 'b')},
                                                         {"username", "alice"},
                                                         {"password", CloudServer::kPassword}});
    EXPECT_EQ(wrong.status, 403);
    s.forget_cookie("csrftoken");
    auto no_cookie = s.post_form("/accounts/login/?next=/", {{"csrfmiddlewaretoken", std::string(64, 'b')},
                                                             {"username", "alice"},
                                                             {"password", CloudServer::kPassword}});
    EXPECT_EQ(no_cookie.status, 403);
    EXPECT_TRUE(s.cookie("sessionid").empty());
}

TEST_P(ApiTest, NextStaysOnThisSite) {
    server_->add_user("alice");
    for (std::string next : {"//evil.example/", "https://evil.example/", "/\\evil.example", "evil"}) {
        BrowserSession s(server_->port());
        std::string q = "/accounts/login/?next=" + testing::form_encode({{"x", next}}).substr(2);
        s.get(q);
        auto r = s.post_form(q, {{"csrfmiddlewaretoken", s.cookie("csrftoken")},
                                 {"username", "alice"},
                                 {"password", CloudServer::kPassword}});
        EXPECT_EQ(r.status, 302);
        EXPECT_EQ(r.header("Location"), "/") << next;
    }
    BrowserSession s(server_->port());
    EXPECT_TRUE(s.login("alice", CloudServer::kPassword, "/api/v1/lamps"));
}

TEST_P(ApiTest, LogoutNeedsCsrfAndEndsTheSession) {
    server_->add_user("alice");
    auto s = logged_in("alice");
    EXPECT_EQ(s.get("/logout/").status, 200);
    EXPECT_EQ(s.get("/").status, 200) << "GET /logout/ only asks";
    EXPECT_EQ(s.post_form("/logout/", {}).status, 403);
    EXPECT_EQ(s.post_form("/logout/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}}).status, 200);
    EXPECT_TRUE(s.cookie("sessionid").empty());
    EXPECT_EQ(s.get("/").status, 302);
}

// The server keeps a session it has just seen in memory: a copy of the cookie (as
// a thief would hold) that was in use a moment ago is still refused the moment the
// session ends, by a logout or by a password change made in another browser.
TEST_P(ApiTest, ASessionInUseAMomentAgoIsRefusedTheMomentItEnds) {
    server_->add_user("alice");
    auto phone = logged_in("alice");
    auto laptop = logged_in("alice");
    auto with_copy_of = [&](const std::string& session) {
        HttpClient c(server_->port());
        return c.request("GET", "/", {{"Cookie", "sessionid=" + session}}).status;
    };
    const std::string phone_session = phone.cookie("sessionid");
    const std::string laptop_session = laptop.cookie("sessionid");
    ASSERT_EQ(with_copy_of(phone_session), 200);
    ASSERT_EQ(with_copy_of(laptop_session), 200);

    ASSERT_EQ(phone.post_form("/logout/", {{"csrfmiddlewaretoken", phone.cookie("csrftoken")}}).status, 200);
    EXPECT_EQ(with_copy_of(phone_session), 302);

    auto fresh = logged_in("alice");
    ASSERT_EQ(with_copy_of(laptop_session), 200);
    ASSERT_EQ(fresh.change_password(CloudServer::kPassword, "new-password-1").status, 200);
    EXPECT_EQ(with_copy_of(laptop_session), 302);
    EXPECT_EQ(fresh.get("/").status, 200);
}

TEST_P(ApiTest, SignupCreatesAndLogsIn) {
    BrowserSession s(server_->port());
    ASSERT_EQ(s.get("/accounts/signup/").status, 200);
    auto mismatch = s.sign_up("carol", "long-enough-1", "long-enough-2");
    EXPECT_EQ(mismatch.status, 400);
    auto short_pw = s.sign_up("carol", "short", "short");
    EXPECT_EQ(short_pw.status, 400);
    EXPECT_NE(short_pw.body.find("too short"), std::string::npos);
    auto lamp_name = s.sign_up(kLampA, "long-enough-1", "long-enough-1");
    EXPECT_EQ(lamp_name.status, 400);
    auto ok = s.sign_up("carol", "long-enough-1", "long-enough-1");
    ASSERT_EQ(ok.status, 302);
    EXPECT_EQ(s.get("/").status, 200);
    BrowserSession again(server_->port());
    again.get("/accounts/signup/");
    auto taken = again.sign_up("carol", "long-enough-1", "long-enough-1");
    EXPECT_EQ(taken.status, 400);
    EXPECT_NE(taken.body.find("already taken"), std::string::npos);
}

TEST_P(ApiTest, SignupCanBeTurnedOff) {
    testing::CloudServerOptions options;
    options.app.signup_enabled = false;
    start(options);
    BrowserSession s(server_->port());
    EXPECT_EQ(s.get("/accounts/signup/").status, 404);
    EXPECT_EQ(s.get("/accounts/login/").body.find("/accounts/signup/"), std::string::npos);
}

TEST_P(ApiTest, PasswordChangeLogsOutOtherSessions) {
    server_->add_user("alice");
    auto mine = logged_in("alice");
    auto other = logged_in("alice");
    auto wrong_old = mine.post_form("/accounts/password_change/", {{"csrfmiddlewaretoken", mine.cookie("csrftoken")},
                                                                   {"old_password", "nope"},
                                                                   {"new_password1", "new-password-1"},
                                                                   {"new_password2", "new-password-1"}});
    EXPECT_EQ(wrong_old.status, 400);
    auto ok = mine.post_form("/accounts/password_change/", {{"csrfmiddlewaretoken", mine.cookie("csrftoken")},
                                                            {"old_password", CloudServer::kPassword},
                                                            {"new_password1", "new-password-1"},
                                                            {"new_password2", "new-password-1"}});
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(mine.get("/").status, 200);
    EXPECT_EQ(other.get("/").status, 302);
    BrowserSession fresh(server_->port());
    EXPECT_FALSE(fresh.login("alice", CloudServer::kPassword));
    EXPECT_TRUE(fresh.login("alice", "new-password-1"));
}

TEST_P(ApiTest, UsersSeeAndTouchOnlyTheirLamps) {
    auto alice = server_->add_user("alice");
    auto bob = server_->add_user("bob");
    server_->add_lamp(kLampA, alice.id, "Alice's");
    server_->add_lamp(kLampB, bob.id, "Bob's");
    auto s = logged_in("bob");
    auto list = parse_json(s.get("/api/v1/lamps").body);
    ASSERT_EQ(list.at("lamps").as_array().size(), 1u);
    EXPECT_EQ(list.at("lamps").at(0).at("device_id").as_string(), kLampB);
    EXPECT_EQ(s.get("/").body.find(kLampA), std::string::npos);
    EXPECT_EQ(s.get("/api/v1/lamps/" + kLampA).status, 404);
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampA, R"({"name":"mine"})").status, 404);
    EXPECT_EQ(api(s, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true})").status, 404);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/lamps/" + kLampA).status, 404);
    EXPECT_EQ(s.post_form("/lamps/" + kLampA + "/remove/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}}).status,
              404);
    EXPECT_EQ((*server_->store().lamp(kLampA))->owner_id, alice.id);
    EXPECT_EQ((*server_->store().lamp(kLampA))->name, "Alice's");
    EXPECT_TRUE(server_->published().empty());
}

TEST_P(ApiTest, ClaimingWithCodes) {
    server_->add_user("alice");
    server_->add_user("bob");
    server_->announce_code(kLampA, "123456");
    auto alice = logged_in("alice");
    auto bob = logged_in("bob");
    auto wrong = api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"999999"})");
    EXPECT_EQ(wrong.status, 404);
    EXPECT_NE(parse_json(wrong.body).at("error").as_string().find("no lamp shows that code"), std::string::npos);
    EXPECT_EQ(api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"12"})").status, 400);
    auto claimed = api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"123 456"})");
    ASSERT_EQ(claimed.status, 201) << claimed.body;
    EXPECT_EQ(parse_json(claimed.body).at("device_id").as_string(), kLampA);
    auto published = server_->published();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0].topic, "devices/" + kLampA + "/lamp/associated");
    EXPECT_EQ(parse_json(published[0].payload).at("claimed").as_bool(), true);
    EXPECT_TRUE(published[0].retain);
    auto reused = api(bob, "POST", "/api/v1/lamps/claim", R"({"code":"123456"})");
    EXPECT_EQ(reused.status, 409);
    EXPECT_NE(parse_json(reused.body).at("error").as_string().find("already used"), std::string::npos);
    // Expiry: the code dies code_seconds after the lamp announced it.
    server_->announce_code(kLampB, "777777");
    server_->advance(601);
    auto expired = bob.post_form("/lamps/claim/", {{"csrfmiddlewaretoken", bob.cookie("csrftoken")}, {"code", "777777"}});
    EXPECT_EQ(expired.status, 410);
    EXPECT_NE(expired.body.find("expired"), std::string::npos);
    // The form flow works too.
    server_->announce_code(kLampB, "888888");
    auto ok = bob.post_form("/lamps/claim/", {{"csrfmiddlewaretoken", bob.cookie("csrftoken")}, {"code", "888888"}});
    EXPECT_EQ(ok.status, 303);
    EXPECT_NE(bob.get("/").body.find(kLampB), std::string::npos);
}

TEST_P(ApiTest, AClaimedLampIsCalledLampNAndGetsANameAndARoom) {
    server_->add_user("alice");
    auto s = logged_in("alice");
    server_->announce_code(kLampA, "123456");
    auto first = api(s, "POST", "/api/v1/lamps/claim", R"({"code":"123456"})");
    ASSERT_EQ(first.status, 201) << first.body;
    EXPECT_EQ(parse_json(first.body).at("name").as_string(), "Lamp 1");
    EXPECT_EQ(parse_json(first.body).at("room").as_string(), "");
    server_->announce_code(kLampB, "654321");
    auto second = api(s, "POST", "/api/v1/lamps/claim", R"({"code":"654321"})");
    ASSERT_EQ(second.status, 201) << second.body;
    EXPECT_EQ(parse_json(second.body).at("name").as_string(), "Lamp 2");

    auto named = api(s, "PATCH", "/api/v1/lamps/" + kLampB, R"({"name":"Desk","room":"  Study "})");
    ASSERT_EQ(named.status, 200) << named.body;
    EXPECT_EQ(parse_json(named.body).at("name").as_string(), "Desk");
    EXPECT_EQ(parse_json(named.body).at("room").as_string(), "Study");
    auto moved = api(s, "PATCH", "/api/v1/lamps/" + kLampA, R"({"room":"Study"})");
    ASSERT_EQ(moved.status, 200) << moved.body;
    EXPECT_EQ(parse_json(moved.body).at("name").as_string(), "Lamp 1");
    // A bad room changes nothing, not even the name sent with it.
    auto slash = api(s, "PATCH", "/api/v1/lamps/" + kLampB, R"({"name":"Other","room":"a/b"})");
    EXPECT_EQ(slash.status, 400);
    EXPECT_NE(parse_json(slash.body).at("error").as_string().find("room"), std::string::npos);
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampB, "{\"room\":\"" + std::string(61, 'x') + "\"}").status, 400);
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampB, R"({"room":7})").status, 400);
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampB, R"({})").status, 400);
    auto desk = parse_json(s.get("/api/v1/lamps/" + kLampB).body);
    EXPECT_EQ(desk.at("name").as_string(), "Desk");
    EXPECT_EQ(desk.at("room").as_string(), "Study");
    // Lamp 1's number is free again once it has another name.
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampA, R"({"name":"Bed"})").status, 200);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/lamps/" + kLampB).status, 204);
    server_->announce_code(kLampB, "111111");
    auto again = api(s, "POST", "/api/v1/lamps/claim", R"({"code":"111111"})");
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(parse_json(again.body).at("name").as_string(), "Lamp 1");
    EXPECT_EQ(parse_json(again.body).at("room").as_string(), "");
}

TEST_P(ApiTest, TheLampsPageGuidesTheFirstLamp) {
    server_->add_user("alice");
    auto s = logged_in("alice");
    std::string empty = s.get("/").body;
    EXPECT_NE(empty.find("You have no lamps yet"), std::string::npos);
    EXPECT_NE(empty.find("Power on the lamp"), std::string::npos);
    EXPECT_NE(empty.find("Read the code on the lamp's screen"), std::string::npos);
    EXPECT_NE(empty.find("A code works for 10 minutes"), std::string::npos);
    EXPECT_NE(empty.find(R"(class="button add-lamp" href="#add-lamp")"), std::string::npos);
    EXPECT_LT(empty.find(R"(class="button add-lamp")"), empty.find(R"(id="lamps")"));

    // A wrong code: the page says why and keeps what was typed.
    auto wrong = s.post_form("/lamps/claim/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"code", "99 99 99"}});
    EXPECT_EQ(wrong.status, 404);
    EXPECT_NE(wrong.body.find("no lamp shows that code"), std::string::npos);
    EXPECT_NE(wrong.body.find(R"(value="99 99 99")"), std::string::npos);
    auto script = s.post_form("/lamps/claim/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"code", R"("><b>)"}});
    EXPECT_EQ(script.body.find(R"("><b>)"), std::string::npos);

    // A claim leads to the name-and-room form of that lamp, named "Lamp 1" already.
    server_->announce_code(kLampA, "123456");
    auto claimed = s.post_form("/lamps/claim/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"code", "123456"}});
    ASSERT_EQ(claimed.status, 303);
    std::string next = claimed.header("Location");
    EXPECT_EQ(next, "/?done=claimed&lamp=" + kLampA);
    std::string asking = s.get(next).body;
    EXPECT_NE(asking.find("Name your new lamp"), std::string::npos);
    EXPECT_NE(asking.find(R"(id="new-lamp-name" value="Lamp 1")"), std::string::npos);
    EXPECT_NE(asking.find(R"(id="new-lamp-room")"), std::string::npos);
    // Another user's lamp id in the address asks nothing.
    EXPECT_EQ(s.get("/?done=claimed&lamp=" + kLampB).body.find("Name your new lamp"), std::string::npos);

    auto saved =
        s.post_form("/lamps/" + kLampA + "/rename/",
                    {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"name", "Sofa"}, {"room", "Living room"}});
    EXPECT_EQ(saved.status, 303);
    auto lamp = parse_json(s.get("/api/v1/lamps/" + kLampA).body);
    EXPECT_EQ(lamp.at("name").as_string(), "Sofa");
    EXPECT_EQ(lamp.at("room").as_string(), "Living room");
    auto bad_room = s.post_form("/lamps/" + kLampA + "/rename/",
                                {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"name", "X"}, {"room", "a/b"}});
    EXPECT_EQ(bad_room.status, 400);
    EXPECT_EQ(parse_json(s.get("/api/v1/lamps/" + kLampA).body).at("name").as_string(), "Sofa");

    // The device id is in the lamp's details, not beside its name.
    std::string page = s.get("/").body;
    EXPECT_EQ(page.find("You have no lamps yet"), std::string::npos);
    std::size_t details = page.find(R"(<details class="manage">)");
    ASSERT_NE(details, std::string::npos);
    EXPECT_GT(page.find("<code>" + kLampA + "</code>"), details);
    EXPECT_LT(page.find(R"(<span class="lamp-name">Sofa</span>)"), details);
}

TEST_P(ApiTest, GuessingCodesIsRateLimited) {
    server_->add_user("alice");
    auto s = logged_in("alice");
    int last = 0;
    for (int i = 0; i < 12; ++i) last = api(s, "POST", "/api/v1/lamps/claim", R"({"code":"000000"})").status;
    EXPECT_EQ(last, 429);
}

TEST_P(ApiTest, ALiveCodeBelongsToOneLampAndNoLampCanTakeOrExpireAnothersCode) {
    server_->add_user("alice");
    auto alice = logged_in("alice");
    server_->announce_code(kLampA, "123456");
    server_->advance(1);
    // Another lamp announcing the same code later is refused, with or without expires_in.
    server_->announce_code(kLampB, "123456");
    server_->announce_code(kLampB, "123456", 1);
    server_->advance(2);
    auto claimed = api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"123456"})");
    ASSERT_EQ(claimed.status, 201) << claimed.body;
    EXPECT_EQ(parse_json(claimed.body).at("device_id").as_string(), kLampA);

    // A lamp has one live code: a new one ends the one before.
    server_->announce_code(kLampB, "111111");
    server_->announce_code(kLampB, "222222");
    EXPECT_EQ(server_->store().live_code_count(server_->now()).value(), 1);
    EXPECT_EQ(api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"111111"})").status, 410);
    EXPECT_EQ(api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"222222"})").status, 201);
}

TEST_P(ApiTest, AnnouncementsAreLimitedPerLamp) {
    server_->add_user("alice");
    auto alice = logged_in("alice");
    for (int i = 0; i < 25; ++i) server_->announce_code(kLampA, std::to_string(300000 + i));
    // The first 20 in the hour were recorded (each ending the one before); the rest were ignored.
    EXPECT_EQ(api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"300024"})").status, 404);
    EXPECT_EQ(api(alice, "POST", "/api/v1/lamps/claim", R"({"code":"300019"})").status, 201);
    EXPECT_EQ(server_->store().live_code_count(server_->now()).value(), 0);
}

TEST_P(ApiTest, WrongCodeLimitsLiveInTheDatabasePerUserPerAddressAndGlobally) {
    // A small code space, so the global limit is small: 1e6 / (50 000 x 1 live code) = 20.
    testing::CloudServerOptions options;
    options.lamps.guess_margin = 50'000;
    options.app.trusted_proxies = *http::TrustedProxies::parse({"127.0.0.1"});
    start(options);
    server_->announce_code(kLampA, "424242");
    auto guess = [&](BrowserSession& s, const std::string& from) {
        return s.send("POST", "/api/v1/lamps/claim", R"({"code":"000000"})",
                      {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")},
                       {"X-Forwarded-For", from}})
            .status;
    };
    std::vector<std::unique_ptr<BrowserSession>> users;
    for (int i = 0; i < 5; ++i) {
        server_->add_user("guesser" + std::to_string(i));
        users.push_back(std::make_unique<BrowserSession>(logged_in("guesser" + std::to_string(i))));
    }
    // Per user: 10, then 429 (from a fresh address each time).
    for (int i = 0; i < 10; ++i) ASSERT_EQ(guess(*users[0], "10.0.0." + std::to_string(i + 1)), 404) << i;
    EXPECT_EQ(guess(*users[0], "10.0.1.1"), 429);
    // The limit is in the database: a restarted lampi-cloud still refuses.
    start(options);
    users[0] = std::make_unique<BrowserSession>(logged_in("guesser0"));
    EXPECT_EQ(guess(*users[0], "10.0.1.2"), 429);
    users[1] = std::make_unique<BrowserSession>(logged_in("guesser1"));
    users[2] = std::make_unique<BrowserSession>(logged_in("guesser2"));
    users[3] = std::make_unique<BrowserSession>(logged_in("guesser3"));
    users[4] = std::make_unique<BrowserSession>(logged_in("guesser4"));
    // Globally: 20 in all, whoever and wherever the guessers are.
    int refused_at = -1;
    for (int i = 0; i < 20 && refused_at < 0; ++i)
        if (guess(*users[1 + i % 4], "10.0.2." + std::to_string(i + 1)) == 429) refused_at = i;
    EXPECT_EQ(refused_at, 10) << "guesser0's 10 counted, so the others' 11th is the 21st";
    server_->advance(601);
    EXPECT_EQ(guess(*users[1], "10.0.3.1"), 404);
    // The right code still works once the window has passed.
    auto right = users[2]->send("POST", "/api/v1/lamps/claim", R"({"code":"424242"})",
                                {{"Content-Type", "application/json"}, {"X-CSRFToken", users[2]->cookie("csrftoken")}});
    EXPECT_EQ(right.status, 410) << "the code itself has expired by now";
}

TEST_P(ApiTest, TokensAreListedScopedRevokedAndExpire) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id);
    auto s = logged_in("alice");
    auto read = api(s, "POST", "/api/v1/tokens", R"({"name":"dashboard","scope":"read","expires_in_days":1})");
    ASSERT_EQ(read.status, 201) << read.body;
    auto control = api(s, "POST", "/api/v1/tokens", R"({"name":"script"})");
    ASSERT_EQ(control.status, 201);
    EXPECT_EQ(parse_json(control.body).at("scope").as_string(), "control");
    EXPECT_EQ(api(s, "POST", "/api/v1/tokens", R"({"scope":"admin"})").status, 400);
    EXPECT_EQ(api(s, "POST", "/api/v1/tokens", R"({"expires_in_days":366})").status, 400);
    std::string read_token(parse_json(read.body).at("token").as_string());
    std::string control_token(parse_json(control.body).at("token").as_string());
    auto with = [&](const std::string& token, const std::string& method, const std::string& target,
                    const std::string& body = "") {
        HttpClient c(server_->port());
        return c.request(method, target, {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                         body);
    };
    // Listed without the secrets.
    auto list = api(s, "GET", "/api/v1/tokens");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(parse_json(list.body).at("tokens").as_array().size(), 2u);
    EXPECT_EQ(list.body.find(read_token), std::string::npos);
    // Scoped: a read token reads and changes nothing.
    EXPECT_EQ(with(read_token, "GET", "/api/v1/lamps").status, 200);
    EXPECT_EQ(with(read_token, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true})").status, 403);
    EXPECT_EQ(with(read_token, "DELETE", "/api/v1/lamps/" + kLampA).status, 403);
    EXPECT_EQ(with(control_token, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true})").status, 202);
    // No token makes, lists or revokes tokens, whatever its scope.
    EXPECT_EQ(with(read_token, "POST", "/api/v1/tokens", R"({"scope":"control"})").status, 403);
    EXPECT_EQ(with(control_token, "POST", "/api/v1/tokens", "{}").status, 403);
    EXPECT_EQ(with(control_token, "GET", "/api/v1/tokens").status, 403);
    std::string read_id(parse_json(read.body).at("id").as_string());
    EXPECT_EQ(with(control_token, "DELETE", "/api/v1/tokens/" + read_id).status, 403);
    // Expiry: the day-long token ends after a day.
    server_->advance(86400);
    EXPECT_EQ(with(read_token, "GET", "/api/v1/lamps").status, 401);
    EXPECT_EQ(parse_json(api(s, "GET", "/api/v1/tokens").body).at("tokens").as_array().size(), 1u);
    // Revocation.
    std::string control_id(parse_json(control.body).at("id").as_string());
    EXPECT_EQ(api(s, "DELETE", "/api/v1/tokens/" + control_id).status, 204);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/tokens/" + control_id).status, 404);
    EXPECT_EQ(with(control_token, "GET", "/api/v1/lamps").status, 401);
    auto published = server_->published();
    ASSERT_FALSE(published.empty());
    EXPECT_EQ(published.back().topic, "lampi/control/revoke");
}

TEST_P(ApiTest, APasswordChangeEndsEveryTokenAndSession) {
    server_->add_user("alice");
    auto mine = logged_in("alice");
    auto other = logged_in("alice");
    auto token = api(mine, "POST", "/api/v1/tokens", "{}");
    ASSERT_EQ(token.status, 201);
    std::string secret(parse_json(token.body).at("token").as_string());
    std::string old_session = mine.cookie("sessionid");
    auto ok = mine.post_form("/accounts/password_change/", {{"csrfmiddlewaretoken", mine.cookie("csrftoken")},
                                                            {"old_password", CloudServer::kPassword},
                                                            {"new_password1", "new-password-1"},
                                                            {"new_password2", "new-password-1"}});
    ASSERT_EQ(ok.status, 200);
    HttpClient script(server_->port());
    EXPECT_EQ(script.request("GET", "/api/v1/lamps", {{"Authorization", "Bearer " + secret}}).status, 401);
    EXPECT_EQ(other.get("/").status, 302);
    // The browser that changed it continues under a new session id; the old id is dead.
    EXPECT_NE(mine.cookie("sessionid"), old_session);
    EXPECT_EQ(mine.get("/").status, 200);
    BrowserSession replay(server_->port());
    replay.set_cookie("sessionid", old_session);
    EXPECT_EQ(replay.get("/").status, 302);
    EXPECT_EQ(server_->published().back().topic, "lampi/control/revoke");
}

TEST_P(ApiTest, SettingStatePublishesSetConfig) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id);
    auto s = logged_in("alice");
    auto r = api(s, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true,"brightness":1.5})");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(parse_json(r.body).at("warnings").as_array().size(), 1u);  // brightness clamped
    auto published = server_->published();
    ASSERT_EQ(published.size(), 1u);
    EXPECT_EQ(published[0].topic, "devices/" + kLampA + "/lamp/set_config");
    EXPECT_EQ(published[0].qos, 1);
    EXPECT_FALSE(published[0].retain);
    auto payload = parse_json(published[0].payload);
    EXPECT_EQ(payload.at("on").as_bool(), true);
    EXPECT_DOUBLE_EQ(payload.at("brightness").to_number<double>(), 1.0);
    EXPECT_EQ(api(s, "PUT", "/api/v1/lamps/" + kLampA + "/state", R"({"color":{"h":0.5,"s":0.25}})").status, 202);
    EXPECT_EQ(api(s, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":"yes"})").status, 400);
    EXPECT_EQ(api(s, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({})").status, 400);
    EXPECT_EQ(api(s, "POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":tru)").status, 400);
    EXPECT_EQ(s.send("POST", "/api/v1/lamps/" + kLampA + "/state", "on=1",
                     {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-CSRFToken", s.cookie("csrftoken")}})
                  .status,
              415);
    EXPECT_EQ(server_->published().size(), 2u);
}

TEST_P(ApiTest, ARoomIsControlledAtOnceAndAllOffReachesEveryLamp) {
    const std::string kLampC = "b827eb000002";
    const std::string kBobsLamp = "b827eb000003";
    auto alice = server_->add_user("alice");
    auto bob = server_->add_user("bob");
    server_->add_lamp(kLampA, alice.id, "Desk");
    server_->add_lamp(kLampB, alice.id, "Shelf");
    server_->add_lamp(kLampC, alice.id, "Sofa");
    server_->add_lamp(kBobsLamp, bob.id, "Bob's");
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampA, alice.id, "Study"));
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampB, alice.id, "Study"));
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampC, alice.id, "Living room"));
    ASSERT_TRUE(*server_->store().set_lamp_room(kBobsLamp, bob.id, "Study"));
    auto s = logged_in("alice");
    auto topics = [&] {
        std::vector<std::string> out;
        for (const auto& m : server_->published()) out.push_back(m.topic);
        return out;
    };
    auto set_config = [](const std::string& id) { return "devices/" + id + "/lamp/set_config"; };

    auto study = api(s, "POST", "/api/v1/rooms/Study/state", R"({"on":true,"brightness":0.4})");
    ASSERT_EQ(study.status, 202) << study.body;
    auto reply = parse_json(study.body);
    EXPECT_EQ(reply.at("room").as_string(), "Study");
    EXPECT_EQ(reply.at("device_ids").as_array().size(), 2u);
    EXPECT_EQ(topics(), (std::vector<std::string>{set_config(kLampA), set_config(kLampB)}));
    auto payload = parse_json(server_->published().at(1).payload);
    EXPECT_EQ(payload.at("on").as_bool(), true);
    EXPECT_DOUBLE_EQ(payload.at("brightness").to_number<double>(), 0.4);

    // Room names travel percent-encoded in the path.
    auto living = api(s, "PUT", "/api/v1/rooms/Living%20room/state", R"({"color":{"h":0.1,"s":0.5}})");
    ASSERT_EQ(living.status, 202) << living.body;
    EXPECT_EQ(topics().back(), set_config(kLampC));

    auto all_off = api(s, "POST", "/api/v1/lamps/state", R"({"on":false})");
    ASSERT_EQ(all_off.status, 202) << all_off.body;
    EXPECT_TRUE(parse_json(all_off.body).at("room").is_null());
    EXPECT_EQ(parse_json(all_off.body).at("device_ids").as_array().size(), 3u);
    auto sent = topics();
    ASSERT_EQ(sent.size(), 6u);
    EXPECT_EQ(std::count(sent.begin(), sent.end(), set_config(kBobsLamp)), 0);
    for (std::size_t i = 3; i < 6; ++i)
        EXPECT_EQ(parse_json(server_->published()[i].payload).at("on").as_bool(), false);

    EXPECT_EQ(api(s, "POST", "/api/v1/rooms/Garage/state", R"({"on":true})").status, 404);
    EXPECT_EQ(api(s, "POST", "/api/v1/rooms/Study/state", R"({})").status, 400);
    EXPECT_EQ(api(s, "POST", "/api/v1/lamps/state", R"({"on":"no"})").status, 400);
    EXPECT_EQ(s.send("POST", "/api/v1/lamps/state", R"({"on":false})", {{"Content-Type", "application/json"}}).status,
              403);
    HttpClient anonymous(server_->port());
    EXPECT_EQ(anonymous
                  .request("POST", "/api/v1/lamps/state", {{"Content-Type", "application/json"}}, R"({"on":false})")
                  .status,
              401);
    auto read_token = api(s, "POST", "/api/v1/tokens", R"({"scope":"read"})");
    ASSERT_EQ(read_token.status, 201);
    std::string token(parse_json(read_token.body).at("token").as_string());
    EXPECT_EQ(anonymous
                  .request("POST", "/api/v1/rooms/Study/state",
                           {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                           R"({"on":false})")
                  .status,
              403);
    EXPECT_EQ(topics().size(), 6u);

    // Bob's "Study" is his own.
    auto b = logged_in("bob");
    auto bobs = api(b, "POST", "/api/v1/rooms/Study/state", R"({"on":true})");
    ASSERT_EQ(bobs.status, 202);
    EXPECT_EQ(topics().back(), set_config(kBobsLamp));
    EXPECT_EQ(topics().size(), 7u);
}

TEST_P(ApiTest, TheLampsPageGroupsLampsByRoomInNameOrderWithoutARoomLast) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id, "Desk");
    server_->add_lamp(kLampB, alice.id, "Sofa");
    server_->add_lamp("b827eb000002", alice.id, "Hall light");
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampA, alice.id, "Study"));
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampB, alice.id, "<Living> room"));
    auto s = logged_in("alice");
    std::string page = s.get("/").body;
    std::size_t living = page.find(R"(<section class="room" data-room="&lt;Living&gt; room">)");
    std::size_t study = page.find(R"(<section class="room" data-room="Study">)");
    std::size_t none = page.find(R"(<section class="room" data-room="">)");
    ASSERT_NE(living, std::string::npos);
    ASSERT_NE(study, std::string::npos);
    ASSERT_NE(none, std::string::npos);
    EXPECT_LT(living, study);
    EXPECT_LT(study, none);
    EXPECT_NE(page.find(R"(<h3 class="room-title">No room</h3>)"), std::string::npos);
    std::size_t desk = page.find("data-device-id=\"" + kLampA + "\"");
    std::size_t sofa = page.find("data-device-id=\"" + kLampB + "\"");
    std::size_t hall = page.find(R"(data-device-id="b827eb000002")");
    EXPECT_TRUE(living < sofa && sofa < study);
    EXPECT_TRUE(study < desk && desk < none);
    EXPECT_GT(hall, none);
    // Alone, the lamps without a room need no heading.
    auto bob = server_->add_user("bob");
    server_->add_lamp("b827eb000003", bob.id, "Bob's");
    std::string bobs = logged_in("bob").get("/").body;
    EXPECT_NE(bobs.find(R"(<section class="room" data-room="">)"), std::string::npos);
    EXPECT_EQ(bobs.find("No room"), std::string::npos);
}

TEST_P(ApiTest, ScenesBuiltInAndSavedAreAppliedToARoomInOneCall) {
    auto alice = server_->add_user("alice");
    auto bob = server_->add_user("bob");
    server_->add_lamp(kLampA, alice.id, "Desk");
    server_->add_lamp(kLampB, alice.id, "Shelf");
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampA, alice.id, "Study"));
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampB, alice.id, "Study"));
    auto s = logged_in("alice");

    // The built-ins, with the look their colour temperature gives (include/lampi/color.h).
    auto listed = parse_json(s.get("/api/v1/scenes").body).at("scenes").as_array();
    ASSERT_EQ(listed.size(), 4u);
    std::vector<std::string> names;
    for (const auto& scene : listed) names.emplace_back(scene.at("name").as_string());
    EXPECT_EQ(names, (std::vector<std::string>{"Warm white", "Cool white", "Reading", "Night light"}));
    const auto& warm = listed.at(0);
    EXPECT_EQ(warm.at("id").as_string(), "warm-white");
    EXPECT_TRUE(warm.at("builtin").as_bool());
    EXPECT_DOUBLE_EQ(warm.at("kelvin").to_number<double>(), 2700);
    EXPECT_NEAR(warm.at("look").at("color").at("h").to_number<double>(), 0.0789, 1e-3);
    EXPECT_NEAR(warm.at("look").at("color").at("s").to_number<double>(), 0.657, 1e-3);
    EXPECT_TRUE(warm.at("look").at("on").as_bool());

    auto applied = api(s, "POST", "/api/v1/scenes/night-light/apply", R"({"room":"Study"})");
    ASSERT_EQ(applied.status, 202) << applied.body;
    EXPECT_EQ(parse_json(applied.body).at("device_ids").as_array().size(), 2u);
    auto published = server_->published();
    ASSERT_EQ(published.size(), 2u);
    for (const auto& m : published) {
        auto look = parse_json(m.payload);
        EXPECT_EQ(look.at("on").as_bool(), true);
        EXPECT_NEAR(look.at("brightness").to_number<double>(), 0.05, 1e-9);
        EXPECT_NEAR(look.at("color").at("s").to_number<double>(), 0.9455, 1e-3);
    }
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes/night-light/apply", "").status, 400);  // which room?
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes/night-light/apply", R"({"room":"Attic"})").status, 404);
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes/disco/apply", R"({"room":"Study"})").status, 404);

    // Saving: the room's lamps as the cloud last heard them.
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes", R"({"name":"Evening","room":"Study"})").status, 409);
    server_->lamps().handle_message(
        "devices/" + kLampA + "/lamp/changed",
        R"({"on":true,"color":{"h":0.6,"s":0.5},"brightness":0.25,"client":"x","version":3})");
    server_->lamps().handle_message(
        "devices/" + kLampB + "/lamp/changed",
        R"({"on":false,"color":{"h":0.1,"s":1},"brightness":0.9,"client":"x","version":8})");
    auto saved = api(s, "POST", "/api/v1/scenes", R"({"name":"Evening","room":"Study"})");
    ASSERT_EQ(saved.status, 201) << saved.body;
    auto scene = parse_json(saved.body);
    std::string id(scene.at("id").as_string());
    EXPECT_FALSE(scene.at("builtin").as_bool());
    EXPECT_EQ(scene.at("room").as_string(), "Study");
    EXPECT_DOUBLE_EQ(scene.at("lamps").at(kLampA).at("brightness").to_number<double>(), 0.25);
    EXPECT_EQ(scene.at("lamps").at(kLampB).at("on").as_bool(), false);
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes", R"({"name":"Evening","room":"Study"})").status, 409);
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes", R"({"name":"Reading","room":"Study"})").status, 409);
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes", R"({"name":"","room":"Study"})").status, 400);
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes", R"({"name":"X","room":"Attic"})").status, 404);
    EXPECT_EQ(api(s, "POST", "/api/v1/scenes", R"({"name":"X"})").status, 400);
    EXPECT_EQ(parse_json(s.get("/api/v1/scenes").body).at("scenes").as_array().size(), 5u);

    // Applied (to its own room), each lamp gets its own look back.
    auto before = server_->published().size();
    auto back = api(s, "POST", "/api/v1/scenes/" + id + "/apply", "");
    ASSERT_EQ(back.status, 202) << back.body;
    published = server_->published();
    ASSERT_EQ(published.size(), before + 2);
    for (std::size_t i = before; i < published.size(); ++i) {
        auto look = parse_json(published[i].payload);
        if (published[i].topic == "devices/" + kLampA + "/lamp/set_config") {
            EXPECT_EQ(look.at("on").as_bool(), true);
            EXPECT_DOUBLE_EQ(look.at("color").at("h").to_number<double>(), 0.6);
            EXPECT_DOUBLE_EQ(look.at("brightness").to_number<double>(), 0.25);
        } else {
            EXPECT_EQ(published[i].topic, "devices/" + kLampB + "/lamp/set_config");
            EXPECT_EQ(look.at("on").as_bool(), false);
        }
    }
    // A lamp moved out of the room is left alone.
    ASSERT_TRUE(*server_->store().set_lamp_room(kLampB, alice.id, "Hall"));
    ASSERT_EQ(api(s, "POST", "/api/v1/scenes/" + id + "/apply", R"({"room":"Study"})").status, 202);
    EXPECT_EQ(server_->published().size(), before + 3);
    EXPECT_EQ(server_->published().back().topic, "devices/" + kLampA + "/lamp/set_config");

    // Scenes are the user's own.
    auto b = logged_in("bob");
    EXPECT_EQ(parse_json(b.get("/api/v1/scenes").body).at("scenes").as_array().size(), 4u);
    EXPECT_EQ(api(b, "POST", "/api/v1/scenes/" + id + "/apply", R"({"room":"Study"})").status, 404);
    EXPECT_EQ(api(b, "DELETE", "/api/v1/scenes/" + id).status, 404);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/scenes/warm-white").status, 403);
    EXPECT_EQ(s.send("DELETE", "/api/v1/scenes/" + id, "", {}).status, 403);  // no CSRF header
    EXPECT_EQ(api(s, "DELETE", "/api/v1/scenes/" + id).status, 204);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/scenes/" + id).status, 404);
    EXPECT_EQ(parse_json(s.get("/api/v1/scenes").body).at("scenes").as_array().size(), 4u);
    HttpClient anonymous(server_->port());
    EXPECT_EQ(anonymous.request("GET", "/api/v1/scenes").status, 401);
    (void)bob;
}

TEST_P(ApiTest, SessionApiCallsNeedTheCsrfHeaderTokensDoNot) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id);
    auto s = logged_in("alice");
    auto no_header = s.send("POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true})",
                            {{"Content-Type", "application/json"}});
    EXPECT_EQ(no_header.status, 403);
    auto wrong = s.send("POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true})",
                        {{"Content-Type", "application/json"}, {"X-CSRFToken", std::string(64, '0')}});
    EXPECT_EQ(wrong.status, 403);
    auto cross_site = s.send("POST", "/api/v1/lamps/" + kLampA + "/state", R"({"on":true})",
                             {{"Content-Type", "application/json"},
                              {"X-CSRFToken", s.cookie("csrftoken")},
                              {"Origin", "http://evil.example"}});
    EXPECT_EQ(cross_site.status, 403);
    EXPECT_TRUE(server_->published().empty());

    auto token_reply = api(s, "POST", "/api/v1/tokens", R"({"name":"script"})");
    ASSERT_EQ(token_reply.status, 201);
    std::string token(parse_json(token_reply.body).at("token").as_string());
    HttpClient script(server_->port());
    auto by_token = script.request("POST", "/api/v1/lamps/" + kLampA + "/state",
                                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                                   R"({"on":false})");
    EXPECT_EQ(by_token.status, 202);
    EXPECT_EQ(script.request("GET", "/api/v1/lamps", {{"Authorization", "Bearer " + token}}).status, 200);
    EXPECT_EQ(script.request("GET", "/api/v1/lamps", {{"Authorization", "Bearer " + std::string(64, 'f')}}).status, 401);
    EXPECT_EQ(script.request("GET", "/api/v1/lamps").status, 401);
}

TEST_P(ApiTest, RenameAndRemove) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id, "Old");
    auto s = logged_in("alice");
    auto renamed = api(s, "PATCH", "/api/v1/lamps/" + kLampA, R"({"name":"Reading lamp"})");
    ASSERT_EQ(renamed.status, 200);
    EXPECT_EQ(parse_json(renamed.body).at("name").as_string(), "Reading lamp");
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampA, R"({"name":5})").status, 400);
    EXPECT_EQ(api(s, "PATCH", "/api/v1/lamps/" + kLampA, "{\"name\":\"" + std::string(101, 'x') + "\"}").status, 400);
    auto form = s.post_form("/lamps/" + kLampA + "/rename/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")},
                                                              {"name", "<script>x</script>"}});
    EXPECT_EQ(form.status, 303);
    std::string page = s.get("/").body;
    EXPECT_EQ(page.find("<script>x</script>"), std::string::npos);
    EXPECT_NE(page.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/lamps/" + kLampA).status, 204);
    EXPECT_EQ(api(s, "DELETE", "/api/v1/lamps/" + kLampA).status, 404);
    auto published = server_->published();
    ASSERT_EQ(published.size(), 2u);
    EXPECT_EQ(parse_json(published[0].payload).at("claimed").as_bool(), false);
    // The owner's open pages lose the lamp at once: their broker connections end.
    EXPECT_EQ(published[1].topic, "lampi/control/revoke");
    EXPECT_EQ(parse_json(s.get("/api/v1/lamps").body).at("lamps").as_array().size(), 0u);
}

TEST_P(ApiTest, LampStateFromMqttShowsInTheApi) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id);
    server_->lamps().handle_message("devices/" + kLampA + "/lamp/changed",
                                    R"({"on":true,"color":{"h":0.25,"s":0.5},"brightness":0.75,"client":"x","version":7})");
    server_->lamps().handle_message("devices/" + kLampA + "/lamp/connection/lamp_service/state", "1");
    server_->lamps().handle_message("devices/" + kLampA + "/lamp/changed", "not json");
    auto s = logged_in("alice");
    auto lamp = parse_json(s.get("/api/v1/lamps/" + kLampA).body);
    EXPECT_EQ(lamp.at("online").as_bool(), true);
    EXPECT_EQ(lamp.at("state").at("version").to_number<int>(), 7);
    EXPECT_DOUBLE_EQ(lamp.at("state").at("brightness").to_number<double>(), 0.75);
    server_->lamps().handle_message("devices/" + kLampA + "/lamp/connection/bridge/state", "0");
    EXPECT_EQ(parse_json(s.get("/api/v1/lamps/" + kLampA).body).at("online").as_bool(), false);
}

// last_seen: when the lamp last reported anything, ISO 8601 in UTC; null until it has.
TEST_P(ApiTest, ALampSaysWhenItWasLastSeenOrNull) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id);
    auto s = logged_in("alice");
    auto never = parse_json(s.get("/api/v1/lamps").body).at("lamps").at(0);
    ASSERT_TRUE(never.as_object().contains("last_seen")) << json::serialize(never);
    EXPECT_TRUE(never.at("last_seen").is_null());
    ASSERT_TRUE(server_->store().record_online(kLampA, true, 1'764'520'805));
    EXPECT_EQ(parse_json(s.get("/api/v1/lamps").body).at("lamps").at(0).at("last_seen"), "2025-11-30T16:40:05Z");
    EXPECT_EQ(parse_json(s.get("/api/v1/lamps/" + kLampA).body).at("last_seen"), "2025-11-30T16:40:05Z");
}

TEST_P(ApiTest, BrokerCredentialAndAuthApi) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id);
    server_->add_lamp(kLampB, std::nullopt);
    auto s = logged_in("alice");
    auto issued = s.get("/api/v1/mqtt-credential");
    ASSERT_EQ(issued.status, 200);
    auto cred = parse_json(issued.body);
    std::string user(cred.at("username").as_string()), pass(cred.at("password").as_string());
    EXPECT_GT(cred.at("expires_at").to_number<std::int64_t>(), server_->now());
    EXPECT_TRUE(cred.as_object().contains("ws_url"));

    // go-auth, JSON mode.
    auto login = parse_json(
        auth_call("/auth/v1/user",
                  json::serialize(json::object{{"username", user}, {"password", pass}, {"clientid", "page"}}))
            .body);
    EXPECT_EQ(login.at("ok").as_bool(), true);
    EXPECT_EQ(login.at("result").as_string(), "allow");
    EXPECT_EQ(login.at("is_superuser").as_bool(), false);
    EXPECT_EQ(login.at("acl").as_array().size(), 5u);  // changed, health, connection states, set_config + final deny
    auto bad = parse_json(
        auth_call("/auth/v1/user", json::serialize(json::object{{"username", user}, {"password", "x"}})).body);
    EXPECT_EQ(bad.at("ok").as_bool(), false);
    EXPECT_EQ(bad.at("result").as_string(), "deny");

    auto acl = [&](const std::string& username, const std::string& topic, const std::string& acc) {
        auto r = auth_call("/auth/v1/acl", "username=" + username + "&clientid=c&topic=" + topic + "&acc=" + acc,
                           "application/x-www-form-urlencoded");
        EXPECT_EQ(r.status, 200);
        return parse_json(r.body).at("ok").as_bool();
    };
    EXPECT_TRUE(acl(user, "devices/" + kLampA + "/lamp/changed", "4"));
    EXPECT_TRUE(acl(user, "devices/" + kLampA + "/lamp/set_config", "2"));
    EXPECT_FALSE(acl(user, "devices/" + kLampB + "/lamp/changed", "4"));
    EXPECT_FALSE(acl(user, "devices/%2B/lamp/changed", "4"));
    EXPECT_FALSE(acl(user, "%24SYS/%23", "4"));
    // Lamps by certificate CN, the platform as superuser.
    EXPECT_TRUE(acl(kLampB, "devices/" + kLampB + "/lamp/changed", "2"));
    EXPECT_FALSE(acl(kLampB, "devices/" + kLampA + "/lamp/changed", "2"));
    EXPECT_TRUE(acl("platform", "devices/%2B/lamp/changed", "4"));
    EXPECT_FALSE(acl("stranger", "devices/" + kLampA + "/lamp/changed", "1"));
    // EMQX's shape: "action" instead of "acc".
    auto emqx = parse_json(
        auth_call("/auth/v1/acl", json::serialize(json::object{{"username", user},
                                                               {"topic", "devices/" + kLampA + "/lamp/set_config"},
                                                               {"action", "publish"}}))
            .body);
    EXPECT_EQ(emqx.at("result").as_string(), "allow");
    auto super = parse_json(auth_call("/auth/v1/superuser", R"({"username":"platform"})").body);
    EXPECT_EQ(super.at("ok").as_bool(), true);
    EXPECT_EQ(super.at("is_superuser").as_bool(), true);
    EXPECT_EQ(parse_json(auth_call("/auth/v1/superuser", "{\"username\":\"" + user + "\"}").body).at("ok").as_bool(),
              false);
    EXPECT_EQ(parse_json(auth_call("/auth/v1/user", R"({"username":"platform","password":"platform-secret"})").body)
                  .at("is_superuser")
                  .as_bool(),
              true);
    EXPECT_EQ(parse_json(auth_call("/auth/v1/user", "{\"username\":\"" + kLampA + "\",\"password\":\"x\"}").body)
                  .at("ok")
                  .as_bool(),
              false);

    // Ownership changes show at the next check; credentials expire.
    ASSERT_EQ(api(s, "DELETE", "/api/v1/lamps/" + kLampA).status, 204);
    EXPECT_FALSE(acl(user, "devices/" + kLampA + "/lamp/changed", "4"));
    server_->advance(16 * 60);
    EXPECT_EQ(
        parse_json(
            auth_call("/auth/v1/user", json::serialize(json::object{{"username", user}, {"password", pass}})).body)
            .at("ok")
            .as_bool(),
        false);
}

TEST_P(ApiTest, AuthApiNeedsTheSharedSecretWhenSet) {
    testing::CloudServerOptions options;
    options.app.auth_secret = "s3cret";
    start(options);
    auto without = auth_call("/auth/v1/superuser", R"({"username":"platform"})");
    EXPECT_EQ(without.status, 403);
    auto wrong = auth_call("/auth/v1/superuser", R"({"username":"platform"})", "application/json",
                           {{"X-Lampi-Auth-Secret", "nope"}});
    EXPECT_EQ(wrong.status, 403);
    auto right = auth_call("/auth/v1/superuser", R"({"username":"platform"})", "application/json",
                           {{"X-Lampi-Auth-Secret", "s3cret"}});
    EXPECT_EQ(right.status, 200);
    EXPECT_EQ(parse_json(right.body).at("ok").as_bool(), true);
    auto malformed = auth_call("/auth/v1/acl", "{not json", "application/json", {{"X-Lampi-Auth-Secret", "s3cret"}});
    EXPECT_EQ(malformed.status, 200);
    EXPECT_EQ(parse_json(malformed.body).at("result").as_string(), "deny");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lampi::cloud
