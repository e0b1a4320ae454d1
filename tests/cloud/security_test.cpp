// lampi-cloud's web hardening, from the outside: login throttling (on SQLite and
// PostgreSQL), session and CSRF rotation at login, cookie flags, the security
// headers on every answer, pages without inline script or style, trusted
// proxies, the auth API behind a proxy, and the HTTPS redirect listener.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http/forwarded.h"
#include "http/https_redirect.h"
#include "http_client.h"
#include "process.h"

namespace lampi::cloud {
namespace {

// The same names as the other cloud tests on purpose (api_test.cpp): each file
// says what it uses; a shared header of using-declarations would hide where they come from.
using testing::BrowserSession;
using testing::CloudServer;
using testing::HttpClient;
using testing::HttpReply;

const std::string kLampA = "b827eb74663e";
const std::string kTooMany = "Too many failed attempts; try again in";
const std::string kWrong = "Please enter a correct username and password";

// One login attempt from a fresh browser; `from` is sent as X-Forwarded-For.
HttpReply try_login(int port, const std::string& username, const std::string& password, const std::string& from = {}) {
    BrowserSession s(port);
    s.get("/accounts/login/?next=/");
    std::vector<std::pair<std::string, std::string>> headers;
    if (!from.empty()) headers.emplace_back("X-Forwarded-For", from);
    return s.post_form("/accounts/login/?next=/",
                       {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"username", username}, {"password", password}},
                       headers);
}

class ThrottleTest : public CloudHttpTest {
protected:
    void start(testing::CloudServerOptions options) override {
        // The test plays several clients through a "proxy" on loopback.
        options.app.trusted_proxies = *http::TrustedProxies::parse({"127.0.0.1"});
        CloudHttpTest::start(std::move(options));
    }
};

TEST_P(ThrottleTest, AccountsLockAfterFiveFailuresForAGrowingTimeOnTheWebAndTheBroker) {
    server_->add_user("alice");
    int port = server_->port();
    const std::string from = "198.51.100.1";
    for (int i = 0; i < 4; ++i) {
        auto r = try_login(port, "alice", "wrong-password", from);
        ASSERT_EQ(r.status, 200) << i;
        EXPECT_NE(r.body.find(kWrong), std::string::npos);
    }
    auto fifth = try_login(port, "alice", "wrong-password", from);
    EXPECT_EQ(fifth.status, 429);
    EXPECT_EQ(fifth.header("Retry-After"), "60");
    EXPECT_NE(fifth.body.find(kTooMany + " 1 minute."), std::string::npos) << fifth.body;
    // Locked for that address: even the right password from there is refused without a session.
    auto right = try_login(port, "alice", CloudServer::kPassword, from);
    EXPECT_EQ(right.status, 429);
    EXPECT_FALSE(right.header("Retry-After").empty());
    for (const auto& c : right.headers_named("Set-Cookie")) EXPECT_EQ(c.rfind("sessionid=", 0), std::string::npos);
    // The owner from another address is not locked out by someone else's failures.
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "198.51.100.2").status, 302);

    // An unknown username behaves exactly alike: no way to tell which accounts exist.
    std::vector<int> unknown;
    std::string unknown_body;
    for (int i = 0; i < 6; ++i) {
        auto r = try_login(port, "mallory", "wrong-password", "198.51.100.3");
        unknown.push_back(r.status);
        unknown_body = r.body;
    }
    EXPECT_EQ(unknown, (std::vector<int>{200, 200, 200, 200, 429, 429}));
    EXPECT_NE(unknown_body.find(kTooMany), std::string::npos);

    // After the lock the right password works and clears the count.
    server_->advance(61);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, from).status, 302);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(try_login(port, "alice", "wrong-password", from).status, 200);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, from).status, 302);

    // Each further lock of the same account lasts twice as long.
    server_->add_user("bob");
    for (int i = 0; i < 5; ++i) try_login(port, "bob", "wrong-password", "198.51.100.4");
    server_->advance(61);
    HttpReply second;
    for (int i = 0; i < 5; ++i) second = try_login(port, "bob", "wrong-password", "198.51.100.4");
    EXPECT_EQ(second.status, 429);
    EXPECT_EQ(second.header("Retry-After"), "120");
    EXPECT_NE(second.body.find(kTooMany + " 2 minutes."), std::string::npos);
    // Operators' broker logins through the auth API (their web password) are
    // throttled on their own counter: guessing there never locks the web login.
    {
        server_->add_user("olga", true);
        HttpClient c(server_->port());
        auto call = [&](const std::string& password) {
            return c.request("POST", "/auth/v1/user", {{"Content-Type", "application/json"}},
                             "{\"username\":\"olga\",\"password\":\"" + password + "\",\"clientid\":\"x\"}")
                .body;
        };
        for (int i = 0; i < 5; ++i) EXPECT_NE(call("wrong-password").find("\"ok\":false"), std::string::npos);
        EXPECT_NE(call(CloudServer::kPassword).find("too many failed broker logins"), std::string::npos);
        // ... but they do not lock the operator out of the web.
        EXPECT_EQ(try_login(server_->port(), "olga", CloudServer::kPassword, "192.0.2.1").status, 302);
        server_->advance(61);
        EXPECT_NE(call(CloudServer::kPassword).find("\"ok\":true"), std::string::npos);
    }
    // The window is 15 minutes: failures spread wider never lock.
    server_->add_user("carol");
    for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(try_login(port, "carol", "wrong-password", "198.51.100.5").status, 200) << i;
        server_->advance(4 * 60);
    }
}

TEST_P(ThrottleTest, AddressesLockAfterTwentyFailuresButSuccessesNeverCount) {
    server_->add_user("alice");
    int port = server_->port();
    // A benchmark's many good logins from one address never lock it.
    for (int i = 0; i < 30; ++i) ASSERT_EQ(try_login(port, "alice", CloudServer::kPassword, "203.0.113.1").status, 302);
    // Twenty failures from one address, spread over many usernames, lock the address.
    const std::string attacker = "203.0.113.66";
    for (int i = 0; i < 19; ++i)
        ASSERT_EQ(try_login(port, "user" + std::to_string(i), "guess", attacker).status, 200) << i;
    auto twentieth = try_login(port, "user19", "guess", attacker);
    EXPECT_EQ(twentieth.status, 429);
    EXPECT_EQ(twentieth.header("Retry-After"), "300");
    EXPECT_NE(twentieth.body.find(kTooMany + " 5 minutes."), std::string::npos);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, attacker).status, 429);
    // Others are not affected, and neither is alice's account.
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "203.0.113.2").status, 302);
    // An IPv6 client is counted by its /64, so hopping addresses inside it does not help.
    for (int i = 0; i < 20; ++i) try_login(port, "v6user" + std::to_string(i), "guess", "2001:db8:1:2::" + std::to_string(i + 1));
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "2001:db8:1:2::ffff").status, 429);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "2001:db8:1:3::1").status, 302);
    server_->advance(301);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, attacker).status, 302);
}

TEST_P(ThrottleTest, OnlyThePairsOwnSuccessResetsItsCount) {
    server_->add_user("alice");
    int port = server_->port();
    const std::string attacker = "198.51.100.66";
    for (int i = 0; i < 4; ++i) ASSERT_EQ(try_login(port, "alice", "guess", attacker).status, 200) << i;
    // The owner logs in from home meanwhile: that resets nothing of the attacker's.
    ASSERT_EQ(try_login(port, "alice", CloudServer::kPassword, "198.51.100.7").status, 302);
    EXPECT_EQ(try_login(port, "alice", "guess", attacker).status, 429);
    // And the owner is still welcome from home.
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "198.51.100.7").status, 302);
}

TEST_P(ThrottleTest, AGuessingBotnetSlowsAnAccountForNewAddressesButNeverForItsOwners) {
    server_->add_user("alice");
    int port = server_->port();
    const std::string home = "192.0.2.10";
    ASSERT_EQ(try_login(port, "alice", CloudServer::kPassword, home).status, 302);
    // 100 addresses, one guess each: no lock anywhere, the per-account ceiling is reached.
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(try_login(port, "alice", "guess", "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1))
                      .status,
                  200)
            << i;
    // From here new addresses share one attempt per 15 s: slowed, not locked.
    EXPECT_EQ(try_login(port, "alice", "guess", "10.2.0.1").status, 200);
    auto slowed = try_login(port, "alice", "guess", "10.2.0.2");
    EXPECT_EQ(slowed.status, 429);
    auto wait = std::stoi(slowed.header("Retry-After"));
    EXPECT_GE(wait, 1);
    EXPECT_LE(wait, 15);
    // The owner's own address is never slowed, even mid-attack.
    for (int i = 0; i < 3; ++i) EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, home).status, 302);
    server_->advance(16);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "10.2.0.3").status, 302);
}

TEST_P(ThrottleTest, LoginsAndSignUpsAreLimitedPerAddress) {
    server_->add_user("alice");
    int port = server_->port();
    const std::string from = "203.0.113.9";
    for (int i = 0; i < 60; ++i) ASSERT_EQ(try_login(port, "alice", CloudServer::kPassword, from).status, 302) << i;
    auto over = try_login(port, "alice", CloudServer::kPassword, from);
    EXPECT_EQ(over.status, 429);
    EXPECT_FALSE(over.header("Retry-After").empty());
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, "203.0.113.10").status, 302);
    server_->advance(61);
    EXPECT_EQ(try_login(port, "alice", CloudServer::kPassword, from).status, 302);

    auto sign_up = [&](int i, const std::string& address) {
        BrowserSession s(port);
        s.get("/accounts/signup/");
        std::string password = "long-enough-" + std::to_string(i);
        return s.sign_up("new" + std::to_string(i), password, password, {{"X-Forwarded-For", address}});
    };
    for (int i = 0; i < 5; ++i) ASSERT_EQ(sign_up(i, from).status, 302) << i;
    auto sixth = sign_up(5, from);
    EXPECT_EQ(sixth.status, 429);
    EXPECT_FALSE(sixth.header("Retry-After").empty());
    EXPECT_EQ(sign_up(6, "203.0.113.11").status, 302);
    server_->advance(3601);
    EXPECT_EQ(sign_up(7, from).status, 302);
}

INSTANTIATE_TEST_SUITE_P(Backends, ThrottleTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

// Everything below keeps no state worth a second backend.
class SecurityTest : public ::testing::Test {
protected:
    void start(testing::CloudServerOptions options = {}) {
        server_.reset();
        server_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / ("db" + std::to_string(++n_) + ".sqlite3")),
                                                options);
    }
    void SetUp() override { start(); }
    lampi::testing::TempDir dir_;
    int n_ = 0;
    std::unique_ptr<CloudServer> server_;
};

TEST_F(SecurityTest, AFullHashPoolAnswers503AtOnceAndTheOtherPagesStillAnswer) {
    testing::CloudServerOptions options;
    options.hash_threads = 1;
    options.hash_queue = 1;
    start(options);
    server_->add_user("alice");
    // The one hashing thread is busy and one job waits: the pool is full.
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    auto block = [&] {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return release; });
    };
    ASSERT_TRUE(server_->hash_pool().try_submit(block));
    ASSERT_TRUE(server_->hash_pool().try_submit([] {}));
    auto begin = std::chrono::steady_clock::now();
    auto busy = try_login(server_->port(), "alice", CloudServer::kPassword);
    EXPECT_EQ(busy.status, 503);
    EXPECT_EQ(busy.header("Retry-After"), "1");
    EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
    // Pages that hash nothing are served meanwhile.
    EXPECT_EQ(HttpClient(server_->port()).request("GET", "/accounts/login/").status, 200);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    // Once the pool has drained (the released jobs finish on its thread, not at
    // once), logins hash again.
    HttpReply after;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
        after = try_login(server_->port(), "alice", CloudServer::kPassword);
    } while (after.status == 503 && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(after.status, 302);
}

TEST_F(SecurityTest, LoginRotatesThePlantedSessionAndTheCsrfToken) {
    auto alice = server_->add_user("alice");
    server_->add_user("mallory");
    // The attacker logs in and plants their own (valid) session id in alice's browser.
    BrowserSession attacker(server_->port());
    ASSERT_TRUE(attacker.login("mallory", CloudServer::kPassword));
    std::string planted = attacker.cookie("sessionid");
    BrowserSession victim(server_->port());
    victim.set_cookie("sessionid", planted);
    victim.get("/accounts/login/?next=/");
    std::string csrf_before = victim.cookie("csrftoken");
    ASSERT_TRUE(victim.login("alice", CloudServer::kPassword));
    EXPECT_NE(victim.cookie("sessionid"), planted);
    EXPECT_NE(victim.cookie("csrftoken"), csrf_before);
    auto page = victim.get("/");
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("alice"), std::string::npos);
    // The planted id did not become alice's session; it was ended.
    EXPECT_EQ(attacker.get("/").status, 302);
    // An invented id is never adopted either.
    BrowserSession invented(server_->port());
    std::string made_up(64, 'c');
    invented.set_cookie("sessionid", made_up);
    ASSERT_TRUE(invented.login("alice", CloudServer::kPassword));
    EXPECT_NE(invented.cookie("sessionid"), made_up);
    BrowserSession replay(server_->port());
    replay.set_cookie("sessionid", made_up);
    EXPECT_EQ(replay.get("/").status, 302);
    (void)alice;
}

TEST_F(SecurityTest, SignupAlsoRotatesSessionAndCsrf) {
    BrowserSession s(server_->port());
    s.get("/accounts/signup/");
    std::string csrf = s.cookie("csrftoken");
    auto r = s.post_form("/accounts/signup/", {{"csrfmiddlewaretoken", csrf},
                                               {"username", "dora"},
                                               {"password1", "long-enough-1"},
                                               {"password2", "long-enough-1"}});
    ASSERT_EQ(r.status, 302);
    EXPECT_NE(s.cookie("csrftoken"), csrf);
    EXPECT_EQ(s.cookie("sessionid").size(), 64u);
}

bool has_attribute(const std::string& cookie, const std::string& attribute) {
    return cookie.find("; " + attribute) != std::string::npos;
}

TEST_F(SecurityTest, CookieFlagsAndHstsFollowHttps) {
    testing::CloudServerOptions options;
    options.app.trusted_proxies = *http::TrustedProxies::parse({"127.0.0.0/8"});
    start(options);
    server_->add_user("alice");
    auto login_cookies = [&](std::vector<std::pair<std::string, std::string>> headers) {
        BrowserSession s(server_->port());
        auto page = s.get("/accounts/login/", headers);
        auto r = s.post_form("/accounts/login/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")},
                                                  {"username", "alice"},
                                                  {"password", CloudServer::kPassword}},
                             headers);
        EXPECT_EQ(r.status, 302);
        auto cookies = page.headers_named("Set-Cookie");
        for (auto& c : r.headers_named("Set-Cookie")) cookies.push_back(c);
        return std::make_pair(cookies, r.header("Strict-Transport-Security"));
    };
    auto [plain, plain_hsts] = login_cookies({});
    ASSERT_EQ(plain.size(), 3u);  // csrftoken, then sessionid + the rotated csrftoken
    for (const auto& c : plain) {
        EXPECT_FALSE(has_attribute(c, "Secure")) << c;
        EXPECT_TRUE(has_attribute(c, "SameSite=Lax")) << c;
        EXPECT_TRUE(has_attribute(c, "Path=/")) << c;
        // The session is never readable by scripts; the CSRF token must be (the page echoes it).
        EXPECT_EQ(has_attribute(c, "HttpOnly"), c.rfind("sessionid=", 0) == 0) << c;
    }
    EXPECT_TRUE(plain_hsts.empty());
    // HTTPS at a trusted proxy: Secure cookies and HSTS.
    // A browser posting over HTTPS sends its Referer (or Origin); the CSRF check needs one there.
    auto [https, https_hsts] = login_cookies(
        {{"X-Forwarded-Proto", "https"},
         {"Referer", "https://127.0.0.1:" + std::to_string(server_->port()) + "/accounts/login/"}});
    ASSERT_EQ(https.size(), 3u);
    for (const auto& c : https) EXPECT_TRUE(has_attribute(c, "Secure")) << c;
    EXPECT_EQ(https_hsts, "max-age=31536000");

    // The same header from a client that is not a trusted proxy changes nothing.
    start({});
    server_->add_user("alice");
    auto [spoofed, spoofed_hsts] = login_cookies({{"X-Forwarded-Proto", "https"}});
    for (const auto& c : spoofed) EXPECT_FALSE(has_attribute(c, "Secure")) << c;
    EXPECT_TRUE(spoofed_hsts.empty());
}

// A Content-Security-Policy as directive -> its sources, so tests check what
// each directive allows rather than the header's exact wording.
std::map<std::string, std::vector<std::string>> csp_directives(const std::string& policy) {
    std::map<std::string, std::vector<std::string>> out;
    std::istringstream directives(policy);
    for (std::string directive; std::getline(directives, directive, ';');) {
        std::istringstream words(directive);
        std::string name;
        if (!(words >> name)) continue;
        auto& sources = out[name];
        for (std::string source; words >> source;) sources.push_back(source);
    }
    return out;
}

using Sources = std::vector<std::string>;

void expect_security_headers(const HttpReply& r, const std::string& what) {
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << what;
    EXPECT_EQ(r.header("X-Frame-Options"), "DENY") << what;
    EXPECT_FALSE(r.header("Referrer-Policy").empty()) << what;
    std::string csp = r.header("Content-Security-Policy");
    auto policy = csp_directives(csp);
    EXPECT_EQ(policy["frame-ancestors"], Sources{"'none'"}) << what << ": " << csp;
    EXPECT_EQ(policy["base-uri"], Sources{"'none'"}) << what << ": " << csp;
}

// What makes the page's policy strict: everything from this origin by default,
// scripts and styles only from files here (no inline code, no eval), no plugins,
// no framing, and connections only here and to the broker.
void expect_strict_page_policy(const std::string& csp, const std::string& broker_origin) {
    auto policy = csp_directives(csp);
    EXPECT_EQ(policy["default-src"], Sources{"'self'"}) << csp;
    EXPECT_EQ(policy["script-src"], Sources{"'self'"}) << "no 'unsafe-inline', 'unsafe-eval' or other hosts: " << csp;
    EXPECT_EQ(policy["style-src"], Sources{"'self'"}) << csp;
    EXPECT_EQ(policy["object-src"], Sources{"'none'"}) << csp;
    EXPECT_EQ(policy["frame-ancestors"], Sources{"'none'"}) << csp;
    EXPECT_EQ(policy["form-action"], Sources{"'self'"}) << csp;
    // The service worker (/sw.js) and mqtt.js's blob: timer worker; the web app manifest.
    EXPECT_EQ(policy["worker-src"], (Sources{"'self'", "blob:"})) << csp;
    EXPECT_EQ(policy["manifest-src"], Sources{"'self'"}) << csp;
    const Sources& connect = policy["connect-src"];
    EXPECT_NE(std::find(connect.begin(), connect.end(), broker_origin), connect.end()) << csp;
    for (const auto& source : connect)
        EXPECT_TRUE(source == "'self'" || source == broker_origin) << "connect-src allows " << source << ": " << csp;
    for (const auto& [name, sources] : policy)
        for (const auto& source : sources)
            EXPECT_TRUE(source != "*" && source.find("unsafe") == std::string::npos)
                << name << " allows " << source << ": " << csp;
}

TEST_F(SecurityTest, EveryAnswerCarriesTheSecurityHeaders) {
    testing::CloudServerOptions options;
    options.app.mqtt_ws_url = "wss://broker.example:9001/mqtt";
    options.app.static_dir = dir_.path();
    start(options);
    server_->add_user("alice");
    auto s = BrowserSession(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    auto index = s.get("/");
    ASSERT_EQ(index.status, 200);
    expect_strict_page_policy(index.header("Content-Security-Policy"), "wss://broker.example:9001");
    expect_security_headers(index, "/");
    expect_security_headers(s.get("/accounts/login/"), "login page");
    expect_security_headers(s.get("/api/v1/lamps"), "API");
    expect_security_headers(s.get("/api/v1/mqtt-credential"), "credential");
    expect_security_headers(s.get("/nothing-here"), "404");
    expect_security_headers(s.get("/static/missing.js"), "static 404");
    expect_security_headers(s.get("/sw.js"), "service worker");
    auto offline = s.get("/offline/");
    expect_strict_page_policy(offline.header("Content-Security-Policy"), "wss://broker.example:9001");
    expect_security_headers(offline, "offline page");
    HttpClient c(server_->port());
    expect_security_headers(c.request("GET", "/api/v1/lamps"), "401");
    expect_security_headers(c.request("POST", "/auth/v1/user", {{"Content-Type", "application/json"}}, "{}"), "auth");
    // Answers the server makes itself, before any route.
    expect_security_headers(c.raw("GARBAGE\r\n\r\n"), "400");
    expect_security_headers(c.raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16000, 'a') + "\r\n\r\n"), "431");

    // A broker behind this site's own proxy (a path): its origin is this host.
    options.app.mqtt_ws_url = "/mqtt";
    start(options);
    auto relative = HttpClient(server_->port()).request("GET", "/accounts/login/");
    EXPECT_NE(relative.header("Content-Security-Policy")
                  .find("connect-src 'self' ws://127.0.0.1:" + std::to_string(server_->port()) + ";"),
              std::string::npos)
        << relative.header("Content-Security-Policy");
    // A Host header cannot smuggle directives into the policy.
    auto smuggled = HttpClient(server_->port()).raw("GET /accounts/login/ HTTP/1.1\r\nHost: x; script-src *\r\n\r\n");
    EXPECT_EQ(smuggled.header("Content-Security-Policy").find("script-src *"), std::string::npos);
}

// A page passes a strict CSP only without inline script or style.
void expect_no_inline_code(const std::string& html, const std::string& what) {
    EXPECT_EQ(html.find("<style"), std::string::npos) << what;
    EXPECT_FALSE(std::regex_search(html, std::regex(R"(\sstyle\s*=)", std::regex::icase))) << what;
    EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase))) << what;
    EXPECT_FALSE(std::regex_search(html, std::regex(R"(javascript:)", std::regex::icase))) << what;
    std::regex script(R"(<script\b([^>]*)>([\s\S]*?)</script>)", std::regex::icase);
    for (auto it = std::sregex_iterator(html.begin(), html.end(), script); it != std::sregex_iterator(); ++it) {
        EXPECT_NE((*it)[1].str().find("src=\"/static/"), std::string::npos) << what << ": " << it->str();
        EXPECT_TRUE((*it)[2].str().empty()) << what << ": " << it->str();
    }
}

TEST_F(SecurityTest, PagesHaveNoInlineScriptOrStyle) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLampA, alice.id, "Desk <style>b{}</style><script>x()</script>");
    server_->lamps().handle_message("devices/" + kLampA + "/lamp/changed",
                                    R"({"on":true,"color":{"h":0.5,"s":1},"brightness":0.5,"client":"x","version":1})");
    BrowserSession anonymous(server_->port());
    expect_no_inline_code(anonymous.get("/accounts/login/").body, "login");
    expect_no_inline_code(anonymous.get("/accounts/signup/").body, "signup");
    expect_no_inline_code(anonymous.get("/logout/").body, "logged out");
    expect_no_inline_code(anonymous.get("/offline/").body, "offline");
    BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    auto index = s.get("/");
    ASSERT_EQ(index.status, 200);
    EXPECT_NE(index.body.find("<script src=\"/static/lampi.js\""), std::string::npos);
    expect_no_inline_code(index.body, "index");
    expect_no_inline_code(s.get("/accounts/password_change/").body, "password change");
    expect_no_inline_code(s.get("/logout/").body, "logout");
    expect_no_inline_code(s.post_form("/lamps/claim/", {{"code", "1"}}).body, "CSRF error page");
}

TEST_F(SecurityTest, AuthApiRefusesRequestsThatCameThroughAProxy) {
    testing::CloudServerOptions options;
    options.app.service_accounts.push_back({"platform", "platform-secret", true});
    start(options);
    HttpClient c(server_->port());
    std::string body = R"({"username":"platform","password":"platform-secret"})";
    auto direct = c.request("POST", "/auth/v1/user", {{"Content-Type", "application/json"}}, body);
    EXPECT_NE(direct.body.find("\"ok\":true"), std::string::npos);
    for (const char* header : {"X-Forwarded-For", "Forwarded", "X-Real-IP"}) {
        auto proxied = c.request("POST", "/auth/v1/user", {{"Content-Type", "application/json"}, {header, "127.0.0.1"}},
                                 body);
        EXPECT_EQ(proxied.status, 403) << header;
    }
}

// An IPv4 address of this machine outside 127.0.0.0/8, or empty.
std::string non_loopback_address() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return {};
    std::string found;
    for (ifaddrs* i = list; i && found.empty(); i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
        if (std::string_view(text).rfind("127.", 0) != 0) found = text;
    }
    ::freeifaddrs(list);
    return found;
}

// The server listens on every address and the test calls it on this machine's
// own non-loopback address, so the peer the server sees is not on loopback.
TEST_F(SecurityTest, AuthApiRefusesCallersThatAreNotOnLoopback) {
    const std::string outside = non_loopback_address();
    if (outside.empty()) GTEST_SKIP() << "this machine has no address outside loopback";
    const std::string body = R"({"username":"platform","password":"platform-secret"})";
    const std::vector<std::pair<std::string, std::string>> json = {{"Content-Type", "application/json"}};
    for (bool allow_remote : {false, true}) {
        testing::CloudServerOptions options;
        options.server.address = "0.0.0.0";
        options.app.service_accounts.push_back({"platform", "platform-secret", true});
        options.app.auth_allow_remote = allow_remote;
        start(options);
        auto local = HttpClient(server_->port()).request("POST", "/auth/v1/user", json, body);
        EXPECT_NE(local.body.find("\"ok\":true"), std::string::npos) << local.body;
        auto remote = HttpClient(server_->port(), outside).request("POST", "/auth/v1/user", json, body);
        if (allow_remote) {
            EXPECT_NE(remote.body.find("\"ok\":true"), std::string::npos) << "--auth-allow-remote: " << remote.body;
        } else {
            EXPECT_EQ(remote.status, 403) << "from " << outside << ": " << remote.body;
            EXPECT_NE(remote.body.find("loopback"), std::string::npos) << remote.body;
        }
    }
}

TEST(TrustedProxies, FollowsForwardedForOnlyThroughTrustedHops) {
    auto proxies = http::TrustedProxies::parse({"127.0.0.1", "10.0.0.0/8", "fd00::/8"});
    ASSERT_TRUE(proxies) << proxies.status().message();
    EXPECT_FALSE(http::TrustedProxies::parse({"nginx"}));
    EXPECT_FALSE(http::TrustedProxies::parse({"10.0.0.0/33"}));
    EXPECT_FALSE(http::TrustedProxies::parse({"10.0.0.0/x"}));
    EXPECT_TRUE(proxies->contains("10.200.3.4"));
    EXPECT_TRUE(proxies->contains("::ffff:10.1.1.1"));
    EXPECT_TRUE(proxies->contains("fd12::1"));
    EXPECT_FALSE(proxies->contains("11.0.0.1"));
    EXPECT_FALSE(proxies->contains("fe80::1"));
    auto client = [&](const std::string& remote, std::vector<std::string> xff) {
        http::Request r;
        r.remote_address = remote;
        for (auto& v : xff) r.headers.push_back({"X-Forwarded-For", v});
        return http::client_address(r, *proxies);
    };
    EXPECT_EQ(client("192.0.2.9", {"203.0.113.5"}), "192.0.2.9") << "untrusted peers cannot pick their address";
    EXPECT_EQ(client("127.0.0.1", {"203.0.113.5"}), "203.0.113.5");
    // The client wrote a fake first entry; the proxies appended the real ones.
    EXPECT_EQ(client("127.0.0.1", {"1.2.3.4, 203.0.113.5, 10.0.0.7"}), "203.0.113.5");
    EXPECT_EQ(client("127.0.0.1", {"1.2.3.4", "203.0.113.5"}), "203.0.113.5");
    EXPECT_EQ(client("127.0.0.1", {"not-an-address"}), "127.0.0.1");
    EXPECT_EQ(client("127.0.0.1", {}), "127.0.0.1");
    http::Request proto;
    proto.remote_address = "192.0.2.9";
    proto.headers.push_back({"X-Forwarded-Proto", "https"});
    EXPECT_FALSE(http::client_secure(proto, *proxies));
    proto.remote_address = "127.0.0.1";
    EXPECT_TRUE(http::client_secure(proto, *proxies));
}

TEST(HttpsRedirect, SendsEveryRequestToHttpsAndServesNothingElse) {
    http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    http::HttpServer server(options, http::https_redirect_handler(8443));
    ASSERT_TRUE(server.listen());
    std::thread runner([&server] { server.run(); });
    HttpClient c(server.port());
    auto get = c.raw("GET /accounts/login/?next=/ HTTP/1.1\r\nHost: lampi.example:8080\r\n\r\n");
    EXPECT_EQ(get.status, 301);
    EXPECT_EQ(get.header("Location"), "https://lampi.example:8443/accounts/login/?next=/");
    EXPECT_EQ(get.body, "");
    EXPECT_EQ(get.header("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(get.headers_named("Set-Cookie").empty());
    auto post = c.raw("POST /api/v1/lamps HTTP/1.1\r\nHost: lampi.example\r\nContent-Length: 2\r\n\r\n{}");
    EXPECT_EQ(post.status, 308);
    EXPECT_EQ(post.header("Location"), "https://lampi.example:8443/api/v1/lamps");
    EXPECT_EQ(c.raw("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").header("Location"), "https://[::1]:8443/");
    EXPECT_EQ(c.raw("GET / HTTP/1.1\r\nHost: evil/x\r\n\r\n").status, 400);
    EXPECT_EQ(c.raw("GET / HTTP/1.1\r\nHost: a b\r\n\r\n").status, 400);
    EXPECT_EQ(c.raw("GET / HTTP/1.0\r\n\r\n").status, 400);
    http::Request r;
    r.target = "/x";
    r.headers.push_back({"Host", "lampi.example"});
    EXPECT_EQ(http::https_location(r, 443), "https://lampi.example/x");
    server.stop();
    runner.join();
}

}  // namespace
}  // namespace lampi::cloud
