// Attacks on lampi-cloud as `./lampi up` runs it, of the kinds an outside attack
// found at 967397e: lockout used as a weapon, counters reset by someone else's
// success, floods of logins, sign-ups and idle sockets, association codes
// hijacked, expired by another lamp or guessed across accounts, and a cloud that
// says "sent" while its broker is gone. The attacker has a free account, one lamp
// of their own (its certificate) and many loopback addresses (127.0.0.0/8) to
// play many clients from. Every test shows the rightful request working.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <atomic>
#include <filesystem>
#include <thread>

#include "attack_platform.h"
#include "text.h"

namespace lampi::testing {
namespace {

class CloudAttacks : public PlatformSuite<2> {
protected:

    static int port() { return platform_->port_base + stack::kHttpsOffset; }
    static std::string origin() { return platform_->https_url(); }
    static std::string user(const char* who) { return platform_->login(who, "username"); }
    static std::string password(const char* who) { return platform_->login(who, "password"); }

    static HttpReply send(const std::string& method, const std::string& target,
                          const std::vector<std::string>& headers = {}, const std::string& body = "") {
        return http_exchange(port(), server_verified(*platform_), http_request(method, target, port(), headers, body));
    }

    // A complete login POST as the page sends it, from the current source address.
    static HttpReply login(const std::string& username, const std::string& pass,
                           std::vector<std::string> headers = {}) {
        std::string token = send("GET", "/accounts/login/?next=/").set_cookie("csrftoken");
        headers.push_back("Cookie: csrftoken=" + token);
        headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
        headers.push_back("Referer: " + origin() + "/accounts/login/");
        return send("POST", "/accounts/login/?next=/", headers,
                    form_encode({{"csrfmiddlewaretoken", token}, {"username", username}, {"password", pass}}));
    }

    static HttpReply sign_up(const std::string& username, const std::string& pass) {
        std::string token = send("GET", "/accounts/signup/").set_cookie("csrftoken");
        return send("POST", "/accounts/signup/",
                    {"Cookie: csrftoken=" + token, "Content-Type: application/x-www-form-urlencoded",
                     "Referer: " + origin() + "/accounts/signup/"},
                    form_encode({{"csrfmiddlewaretoken", token},
                                 {"username", username},
                                 {"password1", pass},
                                 {"password2", pass}}));
    }

    struct Browser {
        std::string session;
        std::string csrf;
        std::vector<std::string> headers(bool json = true) const {
            std::vector<std::string> h{"Cookie: sessionid=" + session + "; csrftoken=" + csrf, "X-CSRFToken: " + csrf,
                                       "Referer: " + origin() + "/"};
            if (json) h.emplace_back("Content-Type: application/json");
            return h;
        }
    };
    static std::optional<Browser> logged_in(const std::string& name, const std::string& pass) {
        HttpReply answer = login(name, pass);
        if (answer.status != 302) return std::nullopt;
        return Browser{answer.set_cookie("sessionid"), answer.set_cookie("csrftoken")};
    }
    static HttpReply claim(const Browser& b, const std::string& code) {
        return send("POST", "/api/v1/lamps/claim", b.headers(), R"({"code":")" + code + "\"}");
    }
    static std::string claimed_device(const HttpReply& answer) {
        if (answer.status != 201) return "";
        boost::system::error_code ec;
        auto v = boost::json::parse(answer.body, ec);
        return ec ? "" : std::string(v.at("device_id").as_string());
    }

    // The code lamp `i` shows on its screen (a file for a simulated lamp).
    static std::string shown_code(int i) {
        return trimmed(read_file(platform_->stack_dir() + "/lamps/" + platform_->lamp_id(i) + "/association-code"));
    }
    static bool wait_for_code(int i, const std::string& not_this = "") {
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            std::string code = shown_code(i);
            if (code.size() == 6 && code != not_this) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    // Publishes on lamp `i`'s associated topic as the owner of that lamp can:
    // with a shell on the Pi, through the lamp's own broker (lampid's login) and
    // its bridge. (The certificate's one connection is the bridge's.)
    static bool announce_as_lamp(int i, const std::string& payload) {
        MqttProbe lamp(platform_->lamp_local_client(i), {});
        if (!lamp.wait_connected()) return false;
        return lamp.publish(std::string(topics::kAssociated), payload, 1, false).is_ok();
    }
    // Watches lamp `i`'s lamp/associated on the cloud broker, where lampi-cloud
    // reads it: an announcement seen there has come over the whole path.
    static std::unique_ptr<MqttProbe> watch_announcements(int i) {
        auto watcher = std::make_unique<MqttProbe>(platform_->password_client(user("operator"), password("operator")),
                                                   std::vector<std::string>{
                                                       topics::cloud(platform_->lamp_id(i), topics::kAssociated)});
        EXPECT_TRUE(watcher->wait_connected()) << "the operator could not connect";
        return watcher;
    }
    static bool announced(MqttProbe& watcher, int i, const std::string& part) {
        return watcher
            .wait_for(
                topics::cloud(platform_->lamp_id(i), topics::kAssociated),
                [&](const MqttMessage& m) { return m.payload.find(part) != std::string::npos; }, 20s)
            .has_value();
    }
};


// ---- Credentials that should end (issue 8 item 6) --------------------------
// First in the suite: the revocation watcher logs in to the broker as the
// operator, whose broker login the guessing attacks below may slow down.

TEST_F(CloudAttacks, TokensCannotMintTokensAndEndWithThePasswordOrARevocation) {
    const std::string name = "tokens-" + std::to_string(::getpid());
    const std::string secret = "token owner pw 1";
    ScopedSourceAddress from("127.0.60.1");
    ASSERT_EQ(sign_up(name, secret).status, 302);
    auto owner = logged_in(name, secret);
    ASSERT_TRUE(owner);
    auto make = [&](const std::string& body) { return send("POST", "/api/v1/tokens", owner->headers(), body); };
    auto token_of = [](const HttpReply& a) { return std::string(boost::json::parse(a.body).at("token").as_string()); };
    HttpReply read = make(R"({"scope":"read"})");
    ASSERT_EQ(read.status, 201) << read.describe();
    auto bearer = [](const std::string& token) {
        return std::vector<std::string>{"Authorization: Bearer " + token, "Content-Type: application/json"};
    };
    ASSERT_EQ(send("GET", "/api/v1/lamps", bearer(token_of(read))).status, 200);

    HttpReply minted = send("POST", "/api/v1/tokens", bearer(token_of(read)), R"({"scope":"control"})");
    EXPECT_TRUE(refused_now("a read token asks for a control token", "403", minted.status == 403, minted.describe()));
    HttpReply wrote = send("POST", "/api/v1/lamps/claim", bearer(token_of(read)), R"({"code":"000000"})");
    EXPECT_TRUE(refused_now("a read token tries to claim a lamp", "403", wrote.status == 403, wrote.describe()));

    // Revocation ends the user's broker connections too: the page's, connected
    // with a credential issued before.
    HttpReply issued = send("GET", "/api/v1/mqtt-credential", owner->headers());
    ASSERT_EQ(issued.status, 200) << issued.describe();
    auto credential = boost::json::parse(issued.body);
    std::string broker_user(credential.at("username").as_string());
    MqttAttempt page = mqtt_connect(platform_->client_mqtt_port(), server_verified(*platform_),
                                    MqttConnect{broker_user + "-1", broker_user,
                                                std::string(credential.at("password").as_string())});
    ASSERT_TRUE(page.accepted) << page.observed;
    HttpReply control = make("{}");
    ASSERT_EQ(control.status, 201);
    std::string id(boost::json::parse(control.body).at("id").as_string());
    HttpReply revoked = send("DELETE", "/api/v1/tokens/" + id, owner->headers());
    ASSERT_EQ(revoked.status, 204) << revoked.describe();
    HttpReply after_revoke = send("GET", "/api/v1/lamps", bearer(token_of(control)));
    EXPECT_TRUE(refused_now("an API token used after its owner revoked it", "401", after_revoke.status == 401,
                            after_revoke.describe()));
    bool cut = page.session->closed_by_peer(2000ms);
    EXPECT_TRUE(refused_now("a revoked token's user keeps the broker connections issued before",
                            "the page's broker connection closed within 2 s", cut,
                            cut ? "closed" : "still connected after 2 s"));

    // A password change ends every token and session, the changing one's id too.
    HttpReply kept = make("{}");
    ASSERT_EQ(kept.status, 201);
    std::string form = form_encode({{"csrfmiddlewaretoken", owner->csrf},
                                    {"old_password", secret},
                                    {"new_password1", "token owner pw 2"},
                                    {"new_password2", "token owner pw 2"}});
    HttpReply changed = send("POST", "/accounts/password_change/",
                             {"Cookie: sessionid=" + owner->session + "; csrftoken=" + owner->csrf,
                              "Content-Type: application/x-www-form-urlencoded", "Referer: " + origin() + "/"},
                             form);
    ASSERT_EQ(changed.status, 200) << changed.describe();
    HttpReply token_after = send("GET", "/api/v1/lamps", bearer(token_of(kept)));
    EXPECT_TRUE(refused_now("an API token used after its owner changed the password", "401", token_after.status == 401,
                            token_after.describe()));
    HttpReply session_after = send("GET", "/api/v1/lamps", owner->headers(false));
    EXPECT_TRUE(refused_now("the session id from before a password change", "401", session_after.status == 401,
                            session_after.describe()));
    EXPECT_FALSE(changed.set_cookie("sessionid").empty()) << "the changing browser gets a new session";
}

TEST_F(CloudAttacks, NoSecretInTheCloudsCommandLineOrEnvironment) {
    std::string pid = trimmed(platform_->supervisorctl("pid lampi-cloud"));
    ASSERT_GT(std::atoi(pid.c_str()), 0) << pid;
    std::string cmdline = read_file("/proc/" + pid + "/cmdline");
    std::string environ = read_file("/proc/" + pid + "/environ");
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(platform_->stack_dir() + "/secrets")) {
        std::string secret = trimmed(read_file(entry.path().string()));
        if (secret.size() >= 8 && (contains(cmdline, secret) || contains(environ, secret)))
            found.push_back(entry.path().filename().string());
    }
    EXPECT_TRUE(refused("read lampi-cloud's /proc/<pid>/cmdline and environ for the stack's secrets", "none there",
                        found.empty() && !cmdline.empty(),
                        found.empty() ? "no secret found" : "found " + found.front()));
}

// ---- Lockout as a weapon (issue 8 item 4) ---------------------------------

TEST_F(CloudAttacks, WrongPasswordsFromElsewhereNeverLockTheOwnerOut) {
    const std::string victim = "lockme-" + std::to_string(::getpid());
    const std::string secret = "owner password 1";
    {
        ScopedSourceAddress from("127.0.10.1");
        ASSERT_EQ(sign_up(victim, secret).status, 302);
    }
    std::vector<int> guesses;
    {
        ScopedSourceAddress from("127.0.10.66");
        for (int i = 0; i < 6; ++i) guesses.push_back(login(victim, "guess-" + std::to_string(i)).status);
    }
    ScopedSourceAddress home("127.0.10.1");
    HttpReply owner = login(victim, secret);
    EXPECT_TRUE(refused_now("6 wrong passwords from 127.0.10.66 to lock the owner out", "owner logs in from home (302)",
                            owner.status == 302, "attacker saw " + std::to_string(guesses.back()) + ", owner " +
                                                     owner.describe()));
    // Control: the attacker's own address is locked.
    ScopedSourceAddress attacker("127.0.10.66");
    EXPECT_EQ(login(victim, secret).status, 429);
}

TEST_F(CloudAttacks, TheOwnersSuccessDoesNotResetTheAttackersCount) {
    const std::string victim = "reset-" + std::to_string(::getpid());
    const std::string secret = "owner password 2";
    {
        ScopedSourceAddress from("127.0.11.1");
        ASSERT_EQ(sign_up(victim, secret).status, 302);
    }
    {
        ScopedSourceAddress attacker("127.0.11.66");
        for (int i = 0; i < 4; ++i) ASSERT_EQ(login(victim, "guess-" + std::to_string(i)).status, 200) << i;
    }
    {
        ScopedSourceAddress home("127.0.11.1");
        ASSERT_EQ(login(victim, secret).status, 302);
    }
    ScopedSourceAddress attacker("127.0.11.66");
    HttpReply fifth = login(victim, "guess-4");
    HttpReply sixth = login(victim, "guess-5");
    EXPECT_TRUE(refused_now("4 guesses, the owner logs in elsewhere, 2 more guesses", "the 5th locks (429)",
                            fifth.status == 429 || sixth.status == 429,
                            "5th " + fifth.describe() + ", 6th " + sixth.describe()));
}

TEST_F(CloudAttacks, WrongBrokerLoginsAsTheOperatorDoNotLockItsWebLogin) {
    MqttConnect wrong;
    wrong.client_id = "operator-guess";
    wrong.username = user("operator");
    wrong.password = "not-the-password";
    std::string last;
    for (int i = 0; i < 6; ++i) last = mqtt_connect(platform_->client_mqtt_port(), server_verified(*platform_), wrong).observed;
    ScopedSourceAddress office("127.0.12.1");
    HttpReply web = login(user("operator"), password("operator"));
    EXPECT_TRUE(refused_now("6 wrong broker logins as operator, then the operator's web login",
                            "web login works (302)", web.status == 302, "broker: " + last + "; web " + web.describe()));
}

TEST_F(CloudAttacks, ABotnetGuessingOnePasswordIsSlowedButTheOwnerIsNot) {
    const std::string victim = "botnet-" + std::to_string(::getpid());
    const std::string secret = "owner password 3";
    {
        ScopedSourceAddress home("127.0.13.1");
        ASSERT_EQ(sign_up(victim, secret).status, 302);
    }
    // 100 addresses, one guess each: under every per-address limit.
    int judged = 0;
    for (int i = 0; i < 100; ++i) {
        ScopedSourceAddress bot("127.0.14." + std::to_string(i + 1));
        judged += login(victim, "guess").status == 200 ? 1 : 0;
    }
    std::vector<int> more;
    for (int i = 0; i < 4; ++i) {
        ScopedSourceAddress bot("127.0.15." + std::to_string(i + 1));
        more.push_back(login(victim, "guess").status);
    }
    bool slowed = std::count(more.begin(), more.end(), 429) >= 2;
    // (At 967397e the account was locked after 5 guesses: refused, but see the owner below.)
    EXPECT_TRUE(refused("101st-104th guess on one account from new addresses", "slowed: 429 with Retry-After",
                        slowed, std::to_string(judged) + " of 100 judged, then " + std::to_string(more[0]) + " " +
                                    std::to_string(more[1]) + " " + std::to_string(more[2]) + " " +
                                    std::to_string(more[3])));
    ScopedSourceAddress home("127.0.13.1");
    HttpReply owner = login(victim, secret);
    EXPECT_TRUE(refused_now("104 addresses guess one account; its owner logs in from home meanwhile",
                            "the owner is not slowed (302)", owner.status == 302, owner.describe()));
}

// ---- Floods (issue 8 items 2 and 3) ----------------------------------------

TEST_F(CloudAttacks, ASignUpFloodFromOneAddressIsCut) {
    ScopedSourceAddress from("127.0.20.1");
    std::vector<int> statuses;
    statuses.reserve(8);
    for (int i = 0; i < 8; ++i)
        statuses.push_back(sign_up("flood-" + std::to_string(::getpid()) + "-" + std::to_string(i), "long enough 1").status);
    EXPECT_TRUE(refused_now("8 sign-ups from one address in a minute", "429 after 5", statuses[5] == 429 && statuses[7] == 429,
                            "6th " + std::to_string(statuses[5]) + ", 8th " + std::to_string(statuses[7])));
    EXPECT_EQ(statuses[0], 302) << "the first sign-up must work";
}

TEST_F(CloudAttacks, ALoginFloodWithForgedForwardedForIsCutPerRealAddress) {
    // The rate counts every login form before any password is checked, so an
    // over-long username (refused without a hash) keeps each login cheap: 70
    // hashes took longer than the minute the limit counts on a loaded machine.
    const std::string token = send("GET", "/accounts/login/?next=/").set_cookie("csrftoken");
    const std::string nobody(151, 'x');
    for (const char* from : {"127.0.21.1", "127.0.21.2"}) {
        ScopedSourceAddress address(from);
        const auto start = std::chrono::steady_clock::now();
        int first_refused = -1;
        for (int i = 0; i < 70 && first_refused < 0; ++i) {
            // A forged X-Forwarded-For from a peer that is no trusted proxy changes nothing.
            HttpReply a = send("POST", "/accounts/login/?next=/",
                               {"Cookie: csrftoken=" + token, "Content-Type: application/x-www-form-urlencoded",
                                "Referer: " + origin() + "/accounts/login/",
                                "X-Forwarded-For: 203.0.113." + std::to_string(i + 1)},
                               form_encode({{"csrfmiddlewaretoken", token}, {"username", nobody}, {"password", "x"}}));
            if (a.status == 429) first_refused = i;
        }
        // The window is whole seconds from the first login: within 59 s, the 61st is in it.
        const bool judged = std::chrono::steady_clock::now() - start < std::chrono::seconds(59);
        if (!judged && first_refused < 0 && std::string(from) == "127.0.21.1") continue;  // too slow: again, afresh
        EXPECT_TRUE(refused_now("70 logins from one address, each claiming another in X-Forwarded-For",
                                "429 after 60 a minute", first_refused == 60,
                                first_refused < 0 ? "never refused"
                                                  : "refused from login " + std::to_string(first_refused + 1)));
        break;
    }
}

TEST_F(CloudAttacks, SilentSocketsPastTheCapDoNotLockOutTheLoginPage) {
    // At 967397e newcomers past the connection cap were refused. A lampi-cloud of
    // its own with a cap of 100, so that the silent sockets are all accepted long
    // before any of them times out even on a loaded machine (10 000 of them were
    // not, and then the cap was never reached and the test proved nothing).
    constexpr int kCap = 100;
    constexpr int kSilent = kCap + 50;
    const int capped_port = free_port();
    const std::string pki = platform_->stack_dir() + "/pki";
    Process cloud(std::vector<std::string>{LAMPI_CLOUD_BINARY, "serve", "--db",
                                           "sqlite://" + (platform_->dir / "capped.sqlite3"), "--listen",
                                           "127.0.0.1:" + std::to_string(capped_port), "--tls-cert",
                                           pki + "/server.pem", "--tls-key", pki + "/server.key", "--mqtt-host", "",
                                           "--max-connections", std::to_string(kCap), "--log-level", "warn"},
                  platform_->dir / "capped-cloud.log");
    cloud.start();
    ASSERT_TRUE(wait_for_port(capped_port, 20s)) << cloud.log();
    std::vector<std::unique_ptr<WireConnection>> silent;
    for (int i = 0; i < kSilent; ++i) {
        std::string error;
        if (auto connection = WireConnection::open(capped_port, std::nullopt, error))
            silent.push_back(std::move(connection));
    }
    // A server that locks newcomers out refuses the ones past the cap (and says
    // so in its log) until silent ones time out; one that sheds the oldest
    // silent socket refuses nobody and answers the page at once.
    HttpReply page = http_exchange(capped_port, server_verified(*platform_),
                                   http_request("GET", "/accounts/login/", capped_port, {}, ""), 20s);
    std::size_t opened = silent.size();
    silent.clear();
    const std::string log = cloud.log();
    std::size_t refusals = 0;
    for (auto at = log.find("refusing a connection"); at != std::string::npos;
         at = log.find("refusing a connection", at + 1))
        ++refusals;
    EXPECT_TRUE(refused_now(std::to_string(opened) + " silent TCP connections past a cap of 100, then the login page",
                            "200, no connection refused", page.status == 200 && refusals == 0,
                            page.describe() + " after " + std::to_string(page.connecting.count()) + " ms connecting, " +
                                std::to_string(refusals) + " connection(s) refused"));
}

TEST_F(CloudAttacks, APasswordHashFloodLeavesTheOtherPagesFast) {
    // 48 clients on 48 addresses post logins at once, each costing an argon2id
    // hash, while someone loads the login page.
    // What one hash costs on this machine now: the page must take less than two
    // (or 1.5 s, whichever is more) however loaded the machine is. The page
    // comes on a connection opened before the flood, as an open tab keeps one: a new
    // one's TLS handshake queues behind the flood's own (two for each login), which
    // under ASan with four suites at once took 1159 ms of a 1165 ms page and, in one
    // CI run, past the bound. That is the machine's CPU, not the server's threads.
    // This is the attacker's view, not the oracle for where hashes run: a server
    // hashing on its HTTP threads served this tab's pages in 0-1190 ms (its threads
    // are not all busy with a flood this size);
    // SecurityTest.AFullHashPoolAnswers503AtOnceAndTheOtherPagesStillAnswer catches
    // that server every time, without a clock.
    std::chrono::milliseconds one_hash{0};
    {
        ScopedSourceAddress from("127.0.71.1");
        auto started = std::chrono::steady_clock::now();
        ASSERT_EQ(login("hashflood-probe", "guess").status, 200);
        one_hash = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    }
    const std::chrono::milliseconds bound = std::max<std::chrono::milliseconds>(1500ms, 2 * one_hash);
    HttpClient open_tab(port(), "127.0.0.1", server_verified(*platform_));
    ASSERT_EQ(open_tab.request("GET", "/accounts/login/").status, 200);
    std::atomic<bool> flooding{true};
    std::atomic<int> busy{0}, judged{0};
    std::vector<std::thread> flood;
    flood.reserve(48);
    for (int i = 0; i < 48; ++i) {
        flood.emplace_back([&, i] {
            // The attackers' CPU is not the server's: 48 client threads doing TLS
            // handshakes in this process would otherwise starve the page's own
            // client, and the test would time the test rather than the server.
            setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
            ScopedSourceAddress from("127.0.70." + std::to_string(i + 1));
            for (int k = 0; k < 4 && flooding; ++k) {
                int status = login("hashflood-" + std::to_string(i), "guess-" + std::to_string(k)).status;
                if (status == 503) ++busy;
                if (status == 200) ++judged;
            }
        });
    }
    // The flood is in full swing once a quarter of its 192 logins are answered (each
    // client sends 4 in a row): from its first answer on, a server hashing on its HTTP
    // threads still served the page in 33 ms once in three.
    // The tab asks for a page each second meanwhile, so its connection is never idle long
    // enough to be closed (a reconnect would time a handshake again).
    auto next_touch = std::chrono::steady_clock::now();
    for (auto until = std::chrono::steady_clock::now() + 20s;
         judged + busy < 48 && std::chrono::steady_clock::now() < until;) {
        if (std::chrono::steady_clock::now() >= next_touch) {
            open_tab.request("GET", "/accounts/login/");
            next_touch = std::chrono::steady_clock::now() + 1s;
        }
        std::this_thread::sleep_for(5ms);
    }
    std::chrono::milliseconds slowest{0};
    int pages_failed = 0;
    for (int i = 0; i < 10; ++i) {
        auto asked = std::chrono::steady_clock::now();
        HttpReply page = open_tab.request("GET", "/accounts/login/");
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
        if (page.status != 200) ++pages_failed;
        slowest = std::max(slowest, took);
    }
    flooding = false;
    for (auto& t : flood) t.join();
    // At 967397e the hashes ran on the HTTP threads: the page took 1.2 s.
    EXPECT_TRUE(refused_now("48 concurrent login floods (argon2id each) against the login page",
                            "10 pages within 1.5 s or 2 hashes each", pages_failed == 0 && slowest < bound,
                            "slowest page " + std::to_string(slowest.count()) + " ms (bound " +
                                std::to_string(bound.count()) + " ms), " + std::to_string(pages_failed) + " not 200; " +
                                std::to_string(judged.load()) + " logins judged, " + std::to_string(busy.load()) +
                                " answered 503"));
}

// ---- Association codes (issue 8 item 5) ------------------------------------

// Lamp 1 is the victim's new lamp showing a code; lamp 0 is the attacker's,
// whose certificate announces codes of its choosing.
TEST_F(CloudAttacks, AnotherLampCannotHijackOrExpireALiveCode) {
    auto demo = logged_in(user("demo"), password("demo"));
    ASSERT_TRUE(demo);
    std::string old_victim_code = shown_code(1);
    auto victims_announcements = watch_announcements(1);
    auto attackers_announcements = watch_announcements(0);
    for (int i : {0, 1}) {
        HttpReply released = send("DELETE", "/api/v1/lamps/" + platform_->lamp_id(i), demo->headers());
        ASSERT_EQ(released.status, 204) << released.describe();
    }
    ASSERT_TRUE(wait_for_code(1, old_victim_code)) << "the released lamp shows no new code";
    std::string code = shown_code(1);
    ASSERT_TRUE(announced(*victims_announcements, 1, code)) << "the victim's code never reached the cloud";
    // The attacker's lamp announces the victim's code, once to take it and once to expire it.
    ASSERT_TRUE(announce_as_lamp(0, "{\"code\":\"" + code + "\",\"claimed\":false}"));
    ASSERT_TRUE(announce_as_lamp(0, "{\"code\":\"" + code + "\",\"claimed\":false,\"expires_in\":1}"));
    auto expiring = std::chrono::steady_clock::now();
    ASSERT_TRUE(announced(*attackers_announcements, 0, "expires_in")) << "the attack never reached the cloud";
    // Had the cloud taken the expiry, the code would be dead by now (whole seconds).
    std::this_thread::sleep_until(expiring + 2s);
    ScopedSourceAddress victim_home("127.0.30.1");
    auto guest = logged_in(user("second_user"), password("second_user"));
    ASSERT_TRUE(guest);
    HttpReply claimed = claim(*guest, code);
    std::string got = claimed_device(claimed);
    EXPECT_TRUE(refused_now("attacker's lamp announces the victim's live code; the victim claims it",
                            "the victim gets their own lamp", got == platform_->lamp_id(1),
                            claimed.describe() + (got.empty() ? "" : " lamp " + got)));
    EXPECT_TRUE(refused_now("attacker's lamp announces the victim's code with expires_in 1",
                            "the victim's code still works", claimed.status == 201, claimed.describe()));

    // A flood of announcements: the cloud stops listening after 20 an hour.
    MqttProbe lamp(platform_->lamp_local_client(0), {});
    ASSERT_TRUE(lamp.wait_connected());
    for (int i = 0; i < 60; ++i)
        ASSERT_TRUE(lamp.publish(std::string(topics::kAssociated),
                                 "{\"code\":\"" + std::to_string(900000 + i) + "\",\"claimed\":false}", 1, false));
    // The marker that the cloud has the whole flood: the last one on its broker.
    ASSERT_TRUE(announced(*attackers_announcements, 0, "900059")) << "the flood never reached the cloud";
    HttpReply last = claim(*guest, std::to_string(900059));
    EXPECT_TRUE(refused_now("one lamp announces 60 codes in a second; the last is claimed", "ignored: 404",
                            last.status == 404, last.describe()));
}

TEST_F(CloudAttacks, GuessingCodesAcrossAccountsIsLimitedPerAddress) {
    // Three free accounts, each made from its own address, all guessing from one.
    std::vector<Browser> accounts;
    for (int i = 0; i < 3; ++i) {
        std::string name = "guesser-" + std::to_string(::getpid()) + "-" + std::to_string(i);
        ScopedSourceAddress from("127.0.40." + std::to_string(i + 1));
        ASSERT_EQ(sign_up(name, "long enough 2").status, 302);
        auto b = logged_in(name, "long enough 2");
        ASSERT_TRUE(b);
        accounts.push_back(*b);
    }
    ScopedSourceAddress from("127.0.41.1");
    std::vector<int> statuses;
    statuses.reserve(24);
    for (int i = 0; i < 24; ++i) statuses.push_back(claim(accounts[i % 3], std::to_string(100000 + i)).status);
    int wrong = static_cast<int>(std::count(statuses.begin(), statuses.end(), 404));
    EXPECT_TRUE(refused_now("24 wrong codes from one address through 3 accounts", "429 after 20",
                            wrong == 20 && statuses.back() == 429,
                            std::to_string(wrong) + " judged, last " + std::to_string(statuses.back())));
}

// ---- The broker link (issue 9 item 2) --------------------------------------

TEST_F(CloudAttacks, WithTheBrokerKilledTheApiNeverSaysSent) {
    // The operator gives demo a lamp (the code attack above may have moved them).
    std::string device = platform_->lamp_id(0);
    ASSERT_EQ(platform_->run({LAMPI_CLOUD_BINARY, "lamp", "assign", device, user("demo"), "--db",
                              platform_->database_url(), "--log-level", "warn"},
                             "assign"),
              "");
    auto demo = logged_in(user("demo"), password("demo"));
    ASSERT_TRUE(demo);
    auto& who = *demo;
    auto command = [&] { return send("POST", "/api/v1/lamps/" + device + "/state", who.headers(), "{\"on\":true}"); };
    ASSERT_EQ(command().status, 202);

    std::string pid = trimmed(platform_->supervisorctl("pid cloud-broker"));
    ASSERT_GT(std::atoi(pid.c_str()), 0) << pid;
    ::kill(std::atoi(pid.c_str()), SIGKILL);
    // Kept down until the checks below are done: supervisord would otherwise start
    // it again at once, and under load it could be back before lampi-cloud had
    // noticed it gone (the test then saw only 202s and failed, 1 run in 3).
    platform_->supervisorctl("stop cloud-broker");
    HttpReply during;
    HttpReply health;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    do {
        during = command();
        health = send("GET", "/healthz");
    } while (during.status == 202 && std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(refused_now("a lamp command while the cloud broker is dead (kill -9)", "503 with a reason, never 202",
                            during.status == 503 && contains(during.body, "broker"), during.describe()));
    EXPECT_TRUE(refused_now("/healthz while the cloud broker is dead", "503 naming the broker",
                            health.status == 503 && contains(health.body, "\"connected\":false"), health.describe()));
    platform_->supervisorctl("start cloud-broker");
    // And lampi-cloud comes back by itself: a command is answered 202 and really goes out.
    const std::string topic = topics::cloud(device, topics::kSetConfig);
    std::optional<MqttMessage> delivered;
    HttpReply after;
    deadline = std::chrono::steady_clock::now() + 30s;
    while (!delivered && std::chrono::steady_clock::now() < deadline) {
        // The operator watches (broker login failures never lock anyone out).
        MqttOptions options = platform_->password_client(user("operator"), password("operator"));
        options.client_id = "operator-watch";
        options.reconnect_min = 200ms;
        MqttProbe watcher(options, {topic});
        if (!watcher.wait_connected(3s)) continue;  // subscribed, once connected
        after = command();
        if (after.status == 202) delivered = watcher.wait_for(topic, nullptr, 2s);
    }
    EXPECT_TRUE(refused_now("lamp commands after the killed broker was restarted",
                            "202 and delivered on set_config within 30 s", delivered.has_value(),
                            after.describe() + (delivered ? ", delivered" : ", never delivered")));
}

// ---- Odd input that was already refused -------------------------------------

TEST_F(CloudAttacks, OddUsernamesAndBodiesAreRefused) {
    ScopedSourceAddress from("127.0.50.1");
    HttpReply unicode = sign_up("d\xD0\xB5mo", "long enough 3");  // Cyrillic "e": a look-alike of demo
    EXPECT_TRUE(refused("sign-up as a Unicode look-alike of demo", "400", unicode.status == 400, unicode.describe()));
    HttpReply control = sign_up("evil\nuser", "long enough 3");
    EXPECT_TRUE(refused("sign-up with a newline in the username", "400", control.status == 400, control.describe()));
    auto guest = logged_in(user("second_user"), password("second_user"));
    ASSERT_TRUE(guest);
    HttpReply deep =
        send("POST", "/api/v1/lamps/claim", guest->headers(), std::string(5000, '[') + std::string(5000, ']'));
    EXPECT_TRUE(refused("claim with 5 000 nested JSON arrays", "400", deep.status == 400, deep.describe()));
    HttpReply huge = send("POST", "/api/v1/tokens", guest->headers(),
                          R"({"name":")" + std::string(std::size_t{100} * 1024, 'x') + "\"}");
    EXPECT_TRUE(refused("a 100 KiB JSON body", "413", huge.status == 413 || (huge.status == 0 && contains(huge.error, "reset")),
                        huge.describe()));
}

}  // namespace
}  // namespace lampi::testing
