// Attacks on lampi-cloud's HTTPS side, as `./lampi up` runs it: forged and
// cross-site form posts, session fixation, password guessing, SQL injection,
// path traversal, oversized and slow requests. Requests an ordinary client
// would clean up (`../` in a path, a header that never ends) are written on the
// wire (wire.h). Every test shows the rightful request working first.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <strings.h>

#include <boost/json.hpp>
#include <cctype>
#include <thread>

#include "attack_platform.h"
#include "text.h"

namespace lampi::testing {
namespace {

const std::vector<std::string> kInjections = {
    "' OR '1'='1",
    "admin'--",
    "x'); DROP TABLE users; --",
    "\" OR 1=1 --",
    "1 UNION SELECT username, password_hash FROM users --",
};

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
    return out;
}

// The request was not served: the expected refusal, or the connection reset
// before it arrived (the server closes with the rest of the request unread, and
// the kernel answers those bytes with a reset that can overtake the status).
bool refused_or_reset(const HttpReply& answer, int status) {
    return answer.status == status || (answer.status == 0 && contains(answer.error, "reset"));
}

// What a database error leaking into a page would look like.
bool leaks_sql(const std::string& body) {
    return contains(body, "SQLITE") || contains(body, "sqlite") || contains(body, "syntax error") ||
           contains(body, "SQL logic");
}

class WebAttacks : public PlatformSuite<1> {
protected:

    static int port() { return platform_->port_base + stack::kHttpsOffset; }
    static std::string origin() { return platform_->https_url(); }
    static std::string lamp() { return platform_->lamp_id(0); }
    static std::string user(const char* who) { return platform_->login(who, "username"); }
    static std::string password(const char* who) { return platform_->login(who, "password"); }

    // One request written as given, on a fresh TLS connection.
    static HttpReply send(const std::string& method, const std::string& target,
                          const std::vector<std::string>& headers = {}, const std::string& body = "") {
        return http_exchange(port(), server_verified(*platform_), http_request(method, target, port(), headers, body));
    }

    // The login form's csrftoken, for a browser holding `cookies` (may be empty).
    static std::string login_page_token(const std::string& cookies = "") {
        std::vector<std::string> headers;
        if (!cookies.empty()) headers.push_back("Cookie: " + cookies);
        return send("GET", "/accounts/login/?next=/", headers).set_cookie("csrftoken");
    }

    // A complete, well-formed login POST as the page sends it.
    static HttpReply login(const std::string& username, const std::string& pass,
                           std::vector<std::string> extra_headers = {}) {
        std::string token = login_page_token();
        extra_headers.push_back("Cookie: csrftoken=" + token);
        extra_headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
        extra_headers.push_back("Referer: " + origin() + "/accounts/login/");
        return send("POST", "/accounts/login/?next=/", extra_headers,
                    form_encode({{"csrfmiddlewaretoken", token}, {"username", username}, {"password", pass}}));
    }

    // A logged-in browser: its cookies and the CSRF token its page would echo.
    struct Browser {
        std::string session;
        std::string csrf;
        std::string cookies() const { return "sessionid=" + session + "; csrftoken=" + csrf; }
    };
    static std::optional<Browser> logged_in(const char* who) {
        HttpReply answer = login(user(who), password(who));
        if (answer.status != 302) return std::nullopt;
        return Browser{answer.set_cookie("sessionid"), answer.set_cookie("csrftoken")};
    }

    static std::string auth_secret() { return trimmed(read_file(platform_->stack_dir() + "/secrets/auth-secret")); }

    static std::string lamp_name(const Browser& browser) {
        HttpReply answer = send("GET", "/api/v1/lamps/" + lamp(), {"Cookie: " + browser.cookies()});
        if (answer.status != 200) return "<" + answer.describe() + ">";
        return std::string(boost::json::parse(answer.body).at("name").as_string());
    }

    static HttpReply rename_form(const Browser& browser, const std::string& name, std::vector<std::string> headers) {
        headers.push_back("Cookie: " + browser.cookies());
        headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
        return send("POST", "/lamps/" + lamp() + "/rename/", headers,
                    form_encode({{"csrfmiddlewaretoken", browser.csrf}, {"name", name}}));
    }
};


TEST_F(WebAttacks, ALoginWithoutAMatchingCsrfTokenIsForbidden) {
    ASSERT_EQ(login(user("demo"), password("demo")).status, 302) << "the page's own login failed";

    // The right password each time: only the missing or wrong token can refuse it.
    const std::string credentials = form_encode({{"username", user("demo")}, {"password", password("demo")}});
    const std::string form = "Content-Type: application/x-www-form-urlencoded";
    const std::string some_token(64, 'a');
    const std::string other_token(64, 'b');
    struct Case {
        std::string attack;
        std::vector<std::string> headers;
        std::string body;
    };
    for (const Case& c : std::vector<Case>{
             {"login POST without csrftoken cookie or field", {form}, credentials},
             {"login POST with the cookie but no field", {form, "Cookie: csrftoken=" + some_token}, credentials},
             {"login POST with a field that differs from the cookie",
              {form, "Cookie: csrftoken=" + some_token},
              credentials + "&csrfmiddlewaretoken=" + other_token},
         }) {
        HttpReply answer = send("POST", "/accounts/login/?next=/", c.headers, c.body);
        bool no_session = answer.set_cookie("sessionid").empty();
        EXPECT_TRUE(refused(c.attack, "403, no session", answer.status == 403 && no_session,
                            answer.describe() + (no_session ? "" : ", session cookie set")));
    }
}

TEST_F(WebAttacks, ACrossSitePostIsForbiddenEvenWithTheToken) {
    auto browser = logged_in("demo");
    ASSERT_TRUE(browser);
    HttpReply control = rename_form(*browser, "Desk", {"Origin: " + origin()});
    ASSERT_EQ(control.status, 303) << "a same-site rename failed: " << control.body;
    ASSERT_EQ(lamp_name(*browser), "Desk");

    // Refused means: 403, and the lamp still has the name the owner gave it.
    auto expect_refused = [&](const std::string& attack, const HttpReply& answer) {
        std::string name = lamp_name(*browser);
        EXPECT_TRUE(refused(attack, "403, nothing changed", answer.status == 403 && name == "Desk",
                            answer.describe() + (name == "Desk" ? "" : ", lamp renamed to " + name)));
        rename_form(*browser, "Desk", {"Origin: " + origin()});
    };
    // A forged form on another site: the browser would send the cookies, the
    // attacker cannot read the token.
    expect_refused("cross-site form POST (foreign Origin, no token)",
                   send("POST", "/lamps/" + lamp() + "/rename/",
                        {"Origin: https://evil.example", "Cookie: " + browser->cookies(),
                         "Content-Type: application/x-www-form-urlencoded"},
                        form_encode({{"name", "forged-no-token"}})));
    // Even a leaked token does not make another site's request acceptable.
    expect_refused("cross-site form POST (foreign Origin, valid token)",
                   rename_form(*browser, "forged-origin", {"Origin: https://evil.example"}));
    // Without Origin (older browsers, some privacy settings) the Referer is the
    // evidence; over HTTPS Django refuses a foreign one.
    expect_refused("cross-site form POST (foreign Referer, no Origin, valid token)",
                   rename_form(*browser, "forged-referer", {"Referer: https://evil.example/page"}));
    expect_refused("cross-site API PATCH (foreign Origin, valid X-CSRFToken)",
                   send("PATCH", "/api/v1/lamps/" + lamp(),
                        {"Origin: https://evil.example", "Cookie: " + browser->cookies(),
                         "X-CSRFToken: " + browser->csrf, "Content-Type: application/json"},
                        R"({"name": "forged-api"})"));
}

TEST_F(WebAttacks, ASessionIdPlantedBeforeLoginIsNeverTheAuthenticatedOne) {
    // Two plants: an id the attacker made up, and the attacker's own live session.
    auto attacker = logged_in("second_user");
    ASSERT_TRUE(attacker);
    for (const auto& [attack, planted] : std::vector<std::pair<std::string, std::string>>{
             {"session fixation: made-up sessionid planted before login", std::string(64, 'f')},
             {"session fixation: attacker's own live session planted before login", attacker->session}}) {
        std::string token = login_page_token("sessionid=" + planted);
        ASSERT_FALSE(token.empty());
        HttpReply victim =
            send("POST", "/accounts/login/?next=/",
                 {fmt::format("Cookie: sessionid={}; csrftoken={}", planted, token),
                  "Content-Type: application/x-www-form-urlencoded", "Referer: " + origin() + "/accounts/login/"},
                 form_encode(
                     {{"csrfmiddlewaretoken", token}, {"username", user("demo")}, {"password", password("demo")}}));
        ASSERT_EQ(victim.status, 302) << "the victim's login failed";
        std::string issued = victim.set_cookie("sessionid");
        // Control: the session the server issued is the victim's.
        HttpReply own = send("GET", "/api/v1/lamps", {"Cookie: sessionid=" + issued});
        ASSERT_TRUE(own.status == 200 && contains(own.body, lamp())) << own.describe();
        HttpReply with_planted = send("GET", "/api/v1/lamps", {"Cookie: sessionid=" + planted});
        bool sees_victim = with_planted.status == 200 && contains(with_planted.body, lamp());
        EXPECT_TRUE(refused(attack, "new id; planted id not the victim's", issued != planted && !sees_victim,
                            std::string(issued == planted ? "same id kept" : "new id issued") +
                                ", planted id answers " + with_planted.describe() +
                                (sees_victim ? " with the victim's lamps" : " without the victim's lamps")));
    }
}

// The documented policy: after 5 failed logins for an account within 15 minutes
// the account is locked and the login answers 429 / "try again in N minutes",
// even to the right password. Each guess claims a different client address in
// X-Forwarded-For, as a guesser would to dodge a per-address limit.
TEST_F(WebAttacks, PasswordGuessingPastTheLimitLocksTheAccount) {
    const std::string victim = "brute-" + std::to_string(::getpid());
    const std::string secret = "correct horse battery staple";
    {
        BrowserSession web = BrowserSession::at(origin(), platform_->ca_file());
        ASSERT_EQ(web.get("/accounts/signup/").status, 200);
        auto signed_up = web.sign_up(victim, secret, secret, {{"Referer", origin() + "/accounts/signup/"}});
        ASSERT_EQ(signed_up.status, 302) << signed_up.body;
    }
    ASSERT_EQ(login(victim, secret).status, 302) << "the right password must work before any guessing";

    std::vector<std::string> guesses;
    for (int i = 0; i < 5; ++i) {
        HttpReply guess =
            login(victim, "guess-" + std::to_string(i), {"X-Forwarded-For: 198.51.100." + std::to_string(i + 1)});
        ASSERT_NE(guess.status, 302) << "a wrong password logged in";
        guesses.push_back(std::to_string(guess.status));
    }
    HttpReply right = login(victim, secret, {"X-Forwarded-For: 198.51.100.99"});
    bool locked = (right.status == 429 || contains(right.body, "try again in")) && right.set_cookie("sessionid").empty();
    EXPECT_TRUE(refused("6th login after 5 wrong passwords (rotating X-Forwarded-For)", "429, locked",
                        locked, "guesses " + join(guesses) + ", then the right password: " + right.describe() +
                                    (right.set_cookie("sessionid").empty() ? "" : " and logged in")));
    // Control: the lock is the account's, not everyone's.
    EXPECT_EQ(login(user("demo"), password("demo")).status, 302) << "another account was locked too";
}

TEST_F(WebAttacks, SqlInjectionInEveryFieldChangesNothing) {
    auto browser = logged_in("demo");
    ASSERT_TRUE(browser);
    const std::string json = "Content-Type: application/json";
    const std::string form = "Content-Type: application/x-www-form-urlencoded";
    const std::string session_cookie = "Cookie: " + browser->cookies();
    const std::string csrf_header = "X-CSRFToken: " + browser->csrf;

    // Each field group: the statuses seen, whether any was a 500, leaked SQL or logged in.
    auto attack = [&](const std::string& field, const std::function<HttpReply(const std::string&)>& send_one,
                      const std::function<bool(const HttpReply&)>& bad = nullptr, std::size_t payloads = 5) {
        std::vector<std::string> statuses;
        bool broken = false;
        for (std::size_t i = 0; i < payloads && i < kInjections.size(); ++i) {
            HttpReply answer = send_one(kInjections[i]);
            statuses.push_back(answer.status ? std::to_string(answer.status) : answer.describe());
            broken = broken || answer.status == 0 || answer.status >= 500 || leaks_sql(answer.body) ||
                     !answer.set_cookie("sessionid").empty() || (bad && bad(answer));
        }
        EXPECT_TRUE(refused("SQL injection: " + field, "no 500, no login, data intact", !broken,
                            "HTTP " + join(statuses)));
    };

    // Logins: only three payloads each, so the suite stays under the per-address
    // failed-login limit that later controls depend on.
    attack("login username", [&](const std::string& p) { return login(p, "whatever"); }, nullptr, 3);
    attack("login password", [&](const std::string& p) { return login(user("demo"), p); }, nullptr, 3);
    // Sign-ups are limited to 5 an hour per address: each comes from its own.
    int signup_address = 0;
    auto next_address = [&] { return "127.0.2." + std::to_string(++signup_address); };
    attack("sign-up username", [&](const std::string& p) {
        ScopedSourceAddress from(next_address());
        std::string token = login_page_token();
        return send("POST", "/accounts/signup/",
                    {form, "Cookie: csrftoken=" + token, "Referer: " + origin() + "/accounts/signup/"},
                    form_encode({{"csrfmiddlewaretoken", token}, {"username", p}, {"password1", "long enough pw 1"},
                                 {"password2", "long enough pw 1"}}));
    });
    int signup = 0;
    attack("sign-up password", [&](const std::string& p) {
        std::string token = login_page_token();
        std::string padded = p + " (padded)";  // past the minimum length, so it is stored
        std::string name = "inject-" + std::to_string(::getpid()) + "-" + std::to_string(signup++);
        std::optional<ScopedSourceAddress> from(next_address());
        HttpReply answer = send(
            "POST", "/accounts/signup/",
            {form, "Cookie: csrftoken=" + token, "Referer: " + origin() + "/accounts/signup/"},
            form_encode(
                {{"csrfmiddlewaretoken", token}, {"username", name}, {"password1", padded}, {"password2", padded}}));
        from.reset();
        // A sign-up logs its new user in; that session is the rightful one. The
        // payload must have been stored as text: it logs that user in again.
        if (answer.status == 302 && login(name, padded).status == 302) {
            std::erase_if(answer.headers,
                          [](const auto& header) { return ::strcasecmp(header.first.c_str(), "set-cookie") == 0; });
        } else {
            answer.status = 0;
            answer.error = "the new account does not log in with the password it was given";
        }
        return answer;
    });
    // Renames store the text as it is: read back, it must be exactly the payload.
    attack("lamp rename (form)", [&](const std::string& p) {
        HttpReply answer = rename_form(*browser, p, {"Origin: " + origin()});
        if (lamp_name(*browser) != p) {
            answer.status = 0;
            answer.error = "the name read back differs";
        }
        return answer;
    });
    attack("claim code (form)", [&](const std::string& p) {
        return send("POST", "/lamps/claim/", {form, session_cookie, "Origin: " + origin()},
                    form_encode({{"csrfmiddlewaretoken", browser->csrf}, {"code", p}}));
    });
    auto json_string = [](const std::string& p) { return boost::json::serialize(boost::json::value(p)); };
    attack("API lamp name (PATCH JSON)", [&](const std::string& p) {
        HttpReply answer = send("PATCH", "/api/v1/lamps/" + lamp(),
                                {json, session_cookie, csrf_header, "Origin: " + origin()},
                                "{\"name\": " + json_string(p) + "}");
        if (lamp_name(*browser) != p) {
            answer.status = 0;
            answer.error = "the name read back differs";
        }
        return answer;
    });
    attack("API claim code (JSON)", [&](const std::string& p) {
        return send("POST", "/api/v1/lamps/claim", {json, session_cookie, csrf_header, "Origin: " + origin()},
                    "{\"code\": " + json_string(p) + "}");
    });
    attack("API token name (JSON)", [&](const std::string& p) {
        return send("POST", "/api/v1/tokens", {json, session_cookie, csrf_header, "Origin: " + origin()}, "{\"name\": " + json_string(p) + "}");
    });
    attack("API lamp state (JSON)", [&](const std::string& p) {
        return send("POST", "/api/v1/lamps/" + lamp() + "/state", {json, session_cookie, csrf_header, "Origin: " + origin()},
                    "{\"on\": " + json_string(p) + "}");
    });
    auto escaped = [](const std::string& p) {
        std::string e = form_encode({{"x", p}});
        return e.substr(2);
    };
    attack("query: lamp id in the API path", [&](const std::string& p) {
        return send("GET", "/api/v1/lamps/" + escaped(p), {session_cookie});
    });
    attack("query string: ?next= and unknown parameters", [&](const std::string& p) {
        HttpReply login_page = send("GET", "/accounts/login/?next=" + escaped(p) + "&id=" + escaped(p));
        return login_page.status == 200 ? send("GET", "/api/v1/lamps?owner=" + escaped(p), {session_cookie})
                                        : login_page;
    });
    // The broker's auth API, with its secret: as if the payload came in MQTT CONNECT.
    const std::string secret = "X-Lampi-Auth-Secret: " + auth_secret();
    attack(
        "broker auth API username/password",
        [&](const std::string& p) {
            return send("POST", "/auth/v1/user", {json, secret},
                        "{\"username\": " + json_string(p) + ", \"password\": " + json_string(p) +
                            R"(, "clientid": "x"})");
        },
        [](const HttpReply& a) { return !contains(a.body, "\"ok\":false"); });
    attack(
        "broker ACL API username/topic",
        [&](const std::string& p) {
            return send("POST", "/auth/v1/acl", {json, secret},
                        "{\"username\": " + json_string(p) + R"(, "clientid": "x", "topic": )" +
                            json_string("devices/" + p) + ", \"acc\": 4}");
        },
        [](const HttpReply& a) { return !contains(a.body, "\"ok\":false"); });

    // The data is intact: every user and the lamp's owner are still there.
    Process list({LAMPI_CLOUD_BINARY, "user", "list", "--db", platform_->database_url()},
                 platform_->dir / "user-list.log");
    list.start();
    ASSERT_EQ(list.wait(20s), 0) << list.log();
    std::string users = list.log();
    bool intact = contains(users, user("demo") + "\tuser\t1 lamp") && contains(users, user("second_user")) &&
                  contains(users, "operator\toperator");
    EXPECT_TRUE(refused("SQL injection: the users table afterwards", "all users, demo still owns the lamp", intact,
                        intact ? "demo, guest, operator all present" : users));
    EXPECT_TRUE(logged_in("demo")) << "demo can no longer log in";
    rename_form(*browser, "Desk", {"Origin: " + origin()});
}

TEST_F(WebAttacks, PathTraversalNeverLeavesTheStaticDirectory) {
    HttpReply control = send("GET", "/static/lampi.css");
    ASSERT_EQ(control.status, 200);
    ASSERT_FALSE(control.body.empty());

    for (const std::string target : {
             "/static/../../../../../../etc/passwd",
             "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
             "/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
             "/static/%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd",
             "/static/..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
             "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
             "/static//etc/passwd",
             "/static/%2fetc%2fpasswd",
             "/static/./.././.././.././.././../etc/passwd",
             "/static/lampi.css/../../../../../../etc/passwd",
             "/static/....//....//....//....//etc/passwd",
             "/static/../../../../../../proc/self/environ",
             "/../../../../../../etc/passwd",
         }) {
        HttpReply answer = send("GET", target);
        bool leaked = contains(answer.body, "root:x:0:0") || contains(answer.body, "PATH=");
        EXPECT_TRUE(refused("path traversal GET " + target, "400/404, no file",
                            (answer.status == 400 || answer.status == 404) && !leaked,
                            answer.describe() + (leaked ? " WITH FILE CONTENTS" : "")));
    }
}

TEST_F(WebAttacks, OversizedRequestsAreRefusedAndTheServerKeepsServing) {
    auto serving = [] {
        HttpReply answer = send("GET", "/accounts/login/");
        return answer.status == 200 && answer.elapsed < 2s;
    };
    ASSERT_TRUE(serving());

    const std::string big(20 * 1024, 'a');
    HttpReply header = send("GET", "/accounts/login/", {"X-Padding: " + big});
    EXPECT_TRUE(refused("20 KiB request header", "431", refused_or_reset(header, 431), header.describe()));
    EXPECT_TRUE(serving()) << "the server stopped serving after a huge header";

    std::vector<std::string> many;
    many.reserve(2000);
    for (int i = 0; i < 2000; ++i) many.push_back("X-H" + std::to_string(i) + ": x");
    HttpReply headers = send("GET", "/accounts/login/", many);
    EXPECT_TRUE(refused("2000 request header fields", "431", headers.status == 431, headers.describe()));

    HttpReply target = send("GET", "/static/" + big);
    EXPECT_TRUE(refused("20 KiB request target", "431", refused_or_reset(target, 431), target.describe()));

    // A body announced at 1 GiB: refused from the header, before any of it is read.
    std::string announced = "POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1073741824\r\n\r\n" +
                            std::string(1024, 'a');
    HttpReply huge = http_exchange(port(), server_verified(*platform_), announced);
    EXPECT_TRUE(refused("request body announced at 1 GiB", "413", huge.status == 413, huge.describe()));

    // 1 MiB sent chunked (no length to judge by): refused once past the limit.
    std::string chunked = "POST /api/v1/lamps/claim HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 64; ++i) chunked += "4000\r\n" + std::string(0x4000, 'a') + "\r\n";
    chunked += "0\r\n\r\n";
    HttpReply streamed = http_exchange(port(), server_verified(*platform_), chunked);
    EXPECT_TRUE(refused("1 MiB chunked request body", "413", refused_or_reset(streamed, 413), streamed.describe()));
    EXPECT_TRUE(serving()) << "the server stopped serving after oversized requests";
}

// Slowloris: many connections that start a request and never finish it (or
// never even finish the TLS handshake) must not starve anyone else, and the
// server must cut them off (lampi-cloud's deadlines: 10 s for a request header
// once it has started, 15 s for a TLS handshake).
TEST_F(WebAttacks, SlowClientsDoNotStarveOthersAndAreCutOff) {
    constexpr int kDribblers = 100;
    constexpr int kSilent = 50;
    std::vector<std::unique_ptr<WireConnection>> dribblers;
    std::vector<std::unique_ptr<WireConnection>> silent;
    std::string error;
    for (int i = 0; i < kDribblers; ++i) {
        auto c = WireConnection::open(port(), server_verified(*platform_), error);
        ASSERT_TRUE(c) << error;
        ASSERT_TRUE(c->send("GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n", error));
        dribblers.push_back(std::move(c));
    }
    for (int i = 0; i < kSilent; ++i) {
        auto c = WireConnection::open(port(), std::nullopt, error);  // TCP only: no ClientHello, ever
        ASSERT_TRUE(c) << error;
        silent.push_back(std::move(c));
    }

    // Starved, a normal client would wait for the slow ones' 10 s deadline, or for
    // ever: 3 s tells that apart from a new TLS connection on a loaded machine
    // (1046 ms under bench/stress.sh).
    constexpr auto kNormalBound = 3s;
    std::chrono::milliseconds slowest{0};
    int served = 0;
    int rounds = 0;
    auto until = std::chrono::steady_clock::now() + 17s;
    while (std::chrono::steady_clock::now() < until) {
        for (auto& c : dribblers) c->send("X-Dribble: " + std::to_string(rounds) + "\r\n", error);
        HttpReply answer = send("GET", "/accounts/login/");
        if (answer.status == 200) ++served;
        slowest = std::max(slowest, answer.elapsed);
        ++rounds;
        std::this_thread::sleep_for(1s);
    }
    EXPECT_TRUE(refused("slowloris: " + std::to_string(kDribblers) + " dribbling + " + std::to_string(kSilent) +
                            " silent connections vs a normal client",
                        "normal requests < 3 s", served == rounds && slowest < kNormalBound,
                        std::to_string(served) + "/" + std::to_string(rounds) + " served, slowest " +
                            std::to_string(slowest.count()) + " ms"));
    int cut = 0;
    for (auto& c : dribblers) cut += c->closed_by_peer(5ms) ? 1 : 0;
    int silent_cut = 0;
    for (auto& c : silent) silent_cut += c->closed_by_peer(5ms) ? 1 : 0;
    EXPECT_TRUE(refused("slowloris: connections held past the header/handshake deadlines", "all cut off",
                        cut == kDribblers && silent_cut == kSilent,
                        std::to_string(cut) + "/" + std::to_string(kDribblers) + " dribbling and " +
                            std::to_string(silent_cut) + "/" + std::to_string(kSilent) + " silent cut after 17 s"));
}

}  // namespace
}  // namespace lampi::testing
