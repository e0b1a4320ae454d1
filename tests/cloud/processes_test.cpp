// Real lampi-cloud processes on one database, SQLite and PostgreSQL, as an
// outsider meets them: two processes behind one proxy, where a session ended on
// one must stop working on the other within the read cache's second, however
// often it is used meanwhile.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "http_client.h"
#include "postgres_server.h"
#include "process.h"

namespace lampi::cloud {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using lampi::testing::BrowserSession;
using lampi::testing::HttpClient;
using lampi::testing::HttpHeaders;
using lampi::testing::HttpReply;
using lampi::testing::Process;
using lampi::testing::TempDir;
using Clock = std::chrono::steady_clock;

const std::string kBinary = LAMPI_CLOUD_BINARY;
const std::string kPassword = "processes-password-1";
// What src/cloud/README.md promises a second process on the same database: a
// change is seen there at most a second late (storage/read_cache.h).
constexpr auto kCacheWindow = 1000ms;

class CloudProcesses : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string why;
        if (!testing::backend_available(GetParam(), why)) GTEST_SKIP() << why;
        db_ = testing::fresh_database_url(GetParam(), dir_.path());
        auto demo = cli({"demo", "--user", "alice", "--password", kPassword});
        ASSERT_EQ(demo.exit_code, 0) << demo.output;
        auto op = testing::run_shell("printf '%s\\n' '" + kPassword + "' | '" + kBinary +
                                     "' user add op --operator --password-stdin --db '" + db_ +
                                     "' --argon2-ops 1 --argon2-memory-kib 8 2>&1");
        ASSERT_EQ(op.exit_code, 0) << op.output;
    }

    testing::RunResult cli(std::vector<std::string> args) {
        std::vector<std::string> argv{kBinary};
        argv.insert(argv.end(), args.begin(), args.end());
        for (std::string a : {"--db", db_.c_str(), "--argon2-ops", "1", "--argon2-memory-kib", "8"}) argv.push_back(a);
        return testing::run(argv, std::chrono::seconds(30));
    }

    // `lampi-cloud serve` on `port`, plain HTTP, no broker; waits until it listens.
    std::unique_ptr<Process> serve(const std::string& name, int port, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{kBinary,
                                      "serve",
                                      "--db",
                                      db_,
                                      "--listen",
                                      "127.0.0.1:" + std::to_string(port),
                                      "--mqtt-host",
                                      "",
                                      "--argon2-ops",
                                      "1",
                                      "--argon2-memory-kib",
                                      "8",
                                      "--log-level",
                                      "warn"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto p = std::make_unique<Process>(argv, dir_ / (name + ".log"));
        p->start();
        EXPECT_TRUE(testing::wait_for_port(port, 20s)) << p->log();
        return p;
    }

    TempDir dir_;
    std::string db_;
};

// One probe of a session or token on the other process: when it was sent, what came back.
struct Probe {
    Clock::time_point sent;
    int status = 0;
};

// Asks `port` for the user's lamps with `headers` as fast as it answers, from
// another thread, until stopped; every answer is kept.
class Prober {
public:
    Prober(int port, HttpHeaders headers) : port_(port), headers_(std::move(headers)) {
        thread_ = std::thread([this] {
            HttpClient client(port_);
            while (!stop_) {
                Probe p{Clock::now(), 0};
                p.status = client.request("GET", "/api/v1/lamps", headers_).status;
                std::lock_guard lock(mutex_);
                probes_.push_back(p);
            }
        });
    }
    ~Prober() { finish(); }
    std::vector<Probe> finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        std::lock_guard lock(mutex_);
        return probes_;
    }

private:
    int port_;
    HttpHeaders headers_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Probe> probes_;
};

// What the probes say about an end that took effect (on the other process) by `ended`:
// how long it was still honoured after, and whether anything sent later than the
// window was honoured or answered other than 401.
struct Verdict {
    std::chrono::milliseconds honoured_after{-1};
    int late_wrong = 0;  // probes sent past the window that were not 401
    int probes_after = 0;
    std::string describe() const {
        return "honoured " + std::to_string(honoured_after.count()) + " ms after it ended; " +
               std::to_string(late_wrong) + " of " + std::to_string(probes_after) +
               " probes sent past the window were not refused with 401";
    }
};

Verdict judge(const std::vector<Probe>& probes, Clock::time_point ended) {
    Verdict v;
    for (const Probe& p : probes) {
        if (p.sent < ended) continue;
        ++v.probes_after;
        auto after = std::chrono::duration_cast<std::chrono::milliseconds>(p.sent - ended);
        if (p.status == 200) v.honoured_after = std::max(v.honoured_after, after);
        if (after > kCacheWindow && p.status != 401) ++v.late_wrong;
    }
    return v;
}

HttpHeaders session_headers(const BrowserSession& s) {
    return {{"Cookie", "sessionid=" + s.cookie("sessionid") + "; csrftoken=" + s.cookie("csrftoken")}};
}

// A logout, an account disabled by an operator and a revoked API token on process
// A, while the same session or token is used on process B as fast as B answers
// (each answer a chance to keep a cached session alive): anything B is asked more
// than a second after A's answer is refused.
TEST_P(CloudProcesses, WhatOneProcessEndsTheOtherRefusesWithinASecondHoweverOftenItIsUsed) {
    int port_a = testing::free_port();
    int port_b = testing::free_port();
    auto a = serve("a", port_a);
    auto b = serve("b", port_b);

    // Logout.
    BrowserSession alice(port_a);
    ASSERT_TRUE(alice.login("alice", kPassword));
    {
        Prober on_b(port_b, session_headers(alice));
        std::this_thread::sleep_for(300ms);  // B has the session in its cache
        HttpReply out = alice.post_form("/logout/", {{"csrfmiddlewaretoken", alice.cookie("csrftoken")}});
        ASSERT_EQ(out.status, 200) << out.describe() << out.body;
        Clock::time_point ended = Clock::now();
        std::this_thread::sleep_for(kCacheWindow + 1500ms);
        auto probes = on_b.finish();
        ASSERT_GT(probes.size(), 20u);
        ASSERT_EQ(probes.front().status, 200) << "the session worked on B before the logout";
        Verdict v = judge(probes, ended);
        EXPECT_EQ(v.late_wrong, 0) << "logout: " << v.describe();
        std::cout << "[ figures  ] " << GetParam() << ", logout on A: " << v.describe() << "\n";
    }

    // An operator disables the account.
    BrowserSession again(port_a);
    ASSERT_TRUE(again.login("alice", kPassword));
    HttpReply made = again.send_json("POST", "/api/v1/tokens", R"({"name": "script", "scope": "read"})");
    ASSERT_EQ(made.status, 201) << made.body;
    std::string token(json::parse(made.body).at("token").as_string());
    BrowserSession op(port_a);
    ASSERT_TRUE(op.login("op", kPassword));
    {
        Prober session_on_b(port_b, session_headers(again));
        Prober token_on_b(port_b, {{"Authorization", "Bearer " + token}});
        std::this_thread::sleep_for(300ms);
        HttpReply disabled = op.post_form("/operator/admin/users/disable/",
                                          {{"csrfmiddlewaretoken", op.cookie("csrftoken")}, {"username", "alice"}});
        ASSERT_EQ(disabled.status, 303) << disabled.body;
        Clock::time_point ended = Clock::now();
        std::this_thread::sleep_for(kCacheWindow + 1500ms);
        auto sessions = session_on_b.finish();
        auto tokens = token_on_b.finish();
        ASSERT_EQ(sessions.front().status, 200);
        ASSERT_EQ(tokens.front().status, 200);
        Verdict vs = judge(sessions, ended);
        Verdict vt = judge(tokens, ended);
        EXPECT_EQ(vs.late_wrong, 0) << "disabled account's session: " << vs.describe();
        EXPECT_EQ(vt.late_wrong, 0) << "disabled account's token: " << vt.describe();
        std::cout << "[ figures  ] " << GetParam() << ", account disabled on A: session " << vs.describe() << "; token "
                  << vt.describe() << "\n";
    }

    // A revoked token (tokens are never kept: refused at once).
    HttpReply enabled = op.post_form("/operator/admin/users/enable/",
                                     {{"csrfmiddlewaretoken", op.cookie("csrftoken")}, {"username", "alice"}});
    ASSERT_EQ(enabled.status, 303) << enabled.body;
    BrowserSession third(port_a);
    ASSERT_TRUE(third.login("alice", kPassword));
    made = third.send_json("POST", "/api/v1/tokens", R"({"name": "script2", "scope": "read"})");
    ASSERT_EQ(made.status, 201) << made.body;
    json::value t = json::parse(made.body);
    token = std::string(t.at("token").as_string());
    {
        Prober token_on_b(port_b, {{"Authorization", "Bearer " + token}});
        std::this_thread::sleep_for(300ms);
        HttpReply revoked =
            third.send_json("DELETE", "/api/v1/tokens/" + (t.at("id").is_string() ? std::string(t.at("id").as_string())
                                                                                  : json::serialize(t.at("id"))));
        ASSERT_EQ(revoked.status, 204) << revoked.body;
        Clock::time_point ended = Clock::now();
        std::this_thread::sleep_for(kCacheWindow + 1500ms);
        auto tokens = token_on_b.finish();
        ASSERT_EQ(tokens.front().status, 200);
        Verdict v = judge(tokens, ended);
        EXPECT_EQ(v.late_wrong, 0) << "revoked token: " << v.describe();
        EXPECT_LT(v.honoured_after, 1ms) << "tokens are not cached: " << v.describe();
        std::cout << "[ figures  ] " << GetParam() << ", token revoked on A: " << v.describe() << "\n";
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, CloudProcesses, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace lampi::cloud
