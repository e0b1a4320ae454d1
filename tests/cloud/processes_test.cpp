// Real lampi-cloud processes on one database, SQLite and PostgreSQL, as an
// outsider meets them: two processes behind one proxy, where a session ended on
// one must stop working on the other within the read cache's second, however
// often it is used meanwhile; and a process killed with SIGKILL in the middle of
// analytics batches, which must leave the events and their daily counts in step
// and lose nothing it acknowledged; and a database whose disk fills up mid-flood.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>

#include "analytics/event_store.h"
#include "database_test.h"
#include "http_client.h"
#include "process.h"
#include "small_disk.h"
#include "storage/sql.h"
#include "storage/store.h"

namespace lampi::cloud {
namespace {

// The same names as the other cloud tests on purpose (api_test.cpp): each file
// says what it uses; a shared header of using-declarations would hide where they come from.
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

class CloudProcesses : public testing::DatabaseTest {
protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped()) return;
        auto demo = cli({"demo", "--user", "alice", "--password", kPassword});
        ASSERT_EQ(demo.exit_code, 0) << demo.output;
        auto op = testing::run_shell("printf '%s\\n' '" + kPassword + "' | '" + kBinary +
                                     "' user add op --operator --password-stdin --db '" + url_ +
                                     "' --argon2-ops 1 --argon2-memory-kib 8 2>&1");
        ASSERT_EQ(op.exit_code, 0) << op.output;
    }

    testing::RunResult cli(std::vector<std::string> args) {
        std::vector<std::string> argv{kBinary};
        argv.insert(argv.end(), args.begin(), args.end());
        for (std::string a : {"--db", url_.c_str(), "--argon2-ops", "1", "--argon2-memory-kib", "8"}) argv.push_back(a);
        return testing::run(argv, std::chrono::seconds(30));
    }

    // `lampi-cloud serve` on `port`, plain HTTP, no broker; waits until it listens.
    std::unique_ptr<Process> serve(const std::string& name, int port, std::vector<std::string> extra = {}) {
        std::vector<std::string> argv{kBinary,
                                      "serve",
                                      "--db",
                                      url_,
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
};

// One probe of a session or token on the other process: when it was sent, what came back.
struct Probe {
    Clock::time_point sent;
    int status = 0;
    Clock::time_point answered;
};

// Asks `port` for the user's lamps with `headers` as fast as it answers, from
// another thread, until stopped; every answer is kept.
class Prober {
public:
    Prober(int port, HttpHeaders headers) : port_(port), headers_(std::move(headers)) {
        thread_ = std::thread([this] {
            HttpClient client(port_);
            while (!stop_) {
                Probe p{Clock::now(), 0, {}};
                p.status = client.request("GET", "/api/v1/lamps", headers_).status;
                p.answered = Clock::now();
                std::lock_guard lock(mutex_);
                probes_.push_back(p);
            }
        });
    }
    ~Prober() { finish(); }
    // True once B has answered a probe with 200 (a loaded machine may start the
    // thread late: a fixed sleep was not enough once).
    bool worked_within(std::chrono::milliseconds timeout) {
        for (auto until = Clock::now() + timeout; Clock::now() < until; std::this_thread::sleep_for(10ms)) {
            std::lock_guard lock(mutex_);
            for (const Probe& p : probes_)
                if (p.status == 200) return true;
        }
        return false;
    }
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

// Probes answered other than 200 before the request that makes the change was
// even sent (`changing`): there must be none. (A probe sent just before it may be
// answered after the change took effect, and rightly refused.)
int refused_before(const std::vector<Probe>& probes, Clock::time_point changing) {
    int refused = 0;
    for (const Probe& p : probes)
        if (p.answered < changing && p.status != 200) ++refused;
    return refused;
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
        ASSERT_TRUE(on_b.worked_within(10s)) << "the session works on B (and B keeps it)";
        Clock::time_point changing = Clock::now();
        HttpReply out = alice.post_form("/logout/", {{"csrfmiddlewaretoken", alice.cookie("csrftoken")}});
        ASSERT_EQ(out.status, 200) << out.describe() << out.body;
        Clock::time_point ended = Clock::now();
        std::this_thread::sleep_for(kCacheWindow + 1500ms);
        auto probes = on_b.finish();
        ASSERT_GT(probes.size(), 20u);
        EXPECT_EQ(refused_before(probes, changing), 0) << "the session worked on B before the logout";
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
        ASSERT_TRUE(session_on_b.worked_within(10s) && token_on_b.worked_within(10s));
        Clock::time_point changing = Clock::now();
        HttpReply disabled = op.post_form("/operator/admin/users/disable/",
                                          {{"csrfmiddlewaretoken", op.cookie("csrftoken")}, {"username", "alice"}});
        ASSERT_EQ(disabled.status, 303) << disabled.body;
        Clock::time_point ended = Clock::now();
        std::this_thread::sleep_for(kCacheWindow + 1500ms);
        auto sessions = session_on_b.finish();
        auto tokens = token_on_b.finish();
        EXPECT_EQ(refused_before(sessions, changing), 0);
        EXPECT_EQ(refused_before(tokens, changing), 0);
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
        ASSERT_TRUE(token_on_b.worked_within(10s));
        Clock::time_point changing = Clock::now();
        HttpReply revoked =
            third.send_json("DELETE", "/api/v1/tokens/" + (t.at("id").is_string() ? std::string(t.at("id").as_string())
                                                                                  : json::serialize(t.at("id"))));
        ASSERT_EQ(revoked.status, 204) << revoked.body;
        Clock::time_point ended = Clock::now();
        std::this_thread::sleep_for(kCacheWindow + 1500ms);
        auto tokens = token_on_b.finish();
        EXPECT_EQ(refused_before(tokens, changing), 0);
        Verdict v = judge(tokens, ended);
        EXPECT_EQ(v.late_wrong, 0) << "revoked token: " << v.describe();
        EXPECT_LT(v.honoured_after, 1ms) << "tokens are not cached: " << v.describe();
        std::cout << "[ figures  ] " << GetParam() << ", token revoked on A: " << v.describe() << "\n";
    }
}

// The events and the daily counts as the database holds them, per (collection, UTC day).
using DailyCounts = std::map<std::pair<std::string, std::int64_t>, std::int64_t>;

DailyCounts counts(storage::Database& db, const std::string& sql) {
    DailyCounts out;
    auto rows = db.lease()->query(sql, {});
    EXPECT_TRUE(rows) << rows.status().message();
    if (!rows) return out;
    for (const auto& r : *rows) out[{storage::as_text(r[0]), storage::as_int(r[1])}] = storage::as_int(r[2]);
    return out;
}

std::int64_t total(const DailyCounts& counts) {
    std::int64_t n = 0;
    for (const auto& [key, events] : counts) n += events;
    return n;
}

// Batches of 4000 events over three collections and three UTC days, written by two
// clients as fast as lampi-cloud takes them, and lampi-cloud killed with SIGKILL
// at a random moment, five times: after each restart the events and the daily
// rollup agree, every acknowledged event is there, and nothing unacknowledged
// beyond the batches in flight.
TEST_P(CloudProcesses, AKillMidAnalyticsBatchLeavesNothingHalfWritten) {
    auto keys = cli({"analytics", "keys"});
    ASSERT_EQ(keys.exit_code, 0) << keys.output;
    json::value k = json::parse(keys.output.substr(keys.output.find('{')));
    const std::string project(k.at("project_id").as_string());
    const std::string write_key(k.at("write_key").as_string());
    constexpr int kEvents = 4000;
    auto batch = [&](std::mt19937& random) {
        static const char* kCollections[] = {"clicks", "views", "buys"};
        static const char* kDays[] = {"2026-11-27T10:00:00Z", "2026-11-28T23:59:59.999Z", "2026-11-29T00:00:00Z"};
        std::map<std::string, std::string> by_collection;
        for (int i = 0; i < kEvents; ++i) {
            std::string& events = by_collection[kCollections[random() % 3]];
            events += events.empty() ? "" : ",";
            events += R"({"n":)" + std::to_string(random() % 1000) + R"(,"keen":{"timestamp":")" + kDays[random() % 3] +
                      "\"}}";
        }
        std::string body = "{";
        for (const auto& [collection, events] : by_collection) {
            body += body.size() > 1 ? ",\"" : "\"";
            body += collection;
            body += "\":[";
            body += events;
            body += "]";
        }
        return body + "}";
    };

    int port = testing::free_port();
    std::int64_t acknowledged = 0, unanswered = 0;
    std::mt19937 random(20261130);
    for (int round = 0; round < 5; ++round) {
        auto cloud =
            serve("cloud-" + std::to_string(round), port, {"--analytics-write-rate", "0", "--body-limit", "1048576"});
        std::atomic<bool> stop{false};
        std::atomic<std::int64_t> acked{0}, in_flight{0};
        std::vector<std::thread> writers;
        writers.reserve(2);
        for (int w = 0; w < 2; ++w) {
            writers.emplace_back([&, w] {
                std::mt19937 mine(static_cast<unsigned>(round * 10 + w));
                HttpClient client(port);
                while (!stop) {
                    std::string body = batch(mine);
                    in_flight += kEvents;
                    HttpReply r = client.request("POST", "/3.0/projects/" + project + "/events",
                                                 {{"Authorization", write_key}, {"Content-Type", "application/json"}},
                                                 body);
                    if (r.status != 200) break;  // the kill: this batch may or may not be stored
                    in_flight -= kEvents;
                    acked += kEvents;
                }
            });
        }
        // Into the flood, at a moment a batch is most likely half done.
        bool flowing = testing::eventually([&] { return acked >= std::int64_t{2} * kEvents; }, 60s);
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 400));
        cloud->kill9();
        stop = true;
        for (auto& t : writers) t.join();
        ASSERT_TRUE(flowing) << cloud->log();
        acknowledged += acked;
        unanswered += in_flight;
    }

    auto db = storage::Database::open(url_, 1);
    ASSERT_TRUE(db) << db.status().message();
    DailyCounts events =
        counts(**db,
               "SELECT collection, ts_ms - ((ts_ms % 86400000) + 86400000) % 86400000 AS day_ms, COUNT(*) "
               "FROM analytics_events GROUP BY collection, day_ms");
    DailyCounts rollup = counts(**db, "SELECT collection, day_ms, events FROM analytics_daily");
    EXPECT_EQ(events, rollup) << "the daily rollup and the events it counts differ after a kill -9";
    EXPECT_GE(total(events), acknowledged) << "acknowledged events were lost";
    EXPECT_LE(total(events), acknowledged + unanswered);
    EXPECT_EQ(total(events) % kEvents, 0) << "a batch was stored in part: " << total(events) << " events";
    std::cout << "[ figures  ] " << GetParam() << ": " << acknowledged << " events acknowledged, " << unanswered
              << " in flight at the kills, " << total(events) << " stored, rollup "
              << (events == rollup ? "equal" : "DIFFERENT") << "\n";

    // And it starts again on what the kills left.
    auto cloud = serve("cloud-after", port);
    EXPECT_EQ(HttpClient(port).request("GET", "/livez").status, 200) << cloud->log();
}

// The database's disk fills up in the middle of a flood of analytics batches
// (SQLite on an 8 MiB tmpfs): the batches that do not fit are refused whole
// with 500 and nothing of them stored, every acknowledged one is there, the
// rollup still equals the events, lampi-cloud stays up, and once space is freed
// it stores batches again.
TEST(CloudFullDisk, AnalyticsBatchesOnAFullDiskAreRefusedWholeAndTheServerStaysUp) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small file system for the database needs root";
    TempDir dir;
    testing::SmallDisk disk(dir / "disk", 8);
    ASSERT_TRUE(disk.mounted()) << "cannot mount a tmpfs: " << std::strerror(errno);
    const std::string db = "sqlite://" + (dir / "disk") + "/lampi.sqlite3";
    auto keys = testing::run({kBinary, "analytics", "keys", "--db", db}, std::chrono::seconds(30));
    ASSERT_EQ(keys.exit_code, 0) << keys.output;
    json::value k = json::parse(keys.output.substr(keys.output.find('{')));
    const std::string project(k.at("project_id").as_string());
    const std::string write_key(k.at("write_key").as_string());
    // Room for the database to grow into, given back later.
    testing::write_file(dir / "disk/filler", std::string(2 << 20, 'x'));

    int port = testing::free_port();
    Process cloud({kBinary, "serve", "--db", db, "--listen", "127.0.0.1:" + std::to_string(port), "--mqtt-host", "",
                   "--analytics-write-rate", "0", "--body-limit", "1048576", "--log-level", "warn"},
                  dir / "serve.log");
    cloud.start();
    ASSERT_TRUE(testing::wait_for_port(port, 20s)) << cloud.log();
    constexpr int kEvents = 2000;
    std::string batch = R"({"clicks":[)";
    for (int i = 0; i < kEvents; ++i)
        batch += (i ? "," : "") + std::string(R"({"padding":")") + std::string(200, 'p') + R"(","n":)" +
                 std::to_string(i) + "}";
    batch += "]}";
    HttpClient client(port);
    auto post = [&] {
        return client.request("POST", "/3.0/projects/" + project + "/events",
                              {{"Authorization", write_key}, {"Content-Type", "application/json"}}, batch);
    };
    std::int64_t acknowledged = 0;
    int refused = 0;
    for (int i = 0; i < 200 && refused < 5; ++i) {
        HttpReply r = post();
        if (r.status == 200) {
            acknowledged += kEvents;
        } else {
            ASSERT_EQ(r.status, 500) << r.describe() << r.body;
            ++refused;
        }
    }
    ASSERT_EQ(refused, 5) << "the disk never filled up";
    ASSERT_GT(acknowledged, 0);
    EXPECT_TRUE(cloud.running()) << cloud.log();
    EXPECT_EQ(HttpClient(port).request("GET", "/livez").status, 200);

    auto count = [&]() -> std::pair<DailyCounts, DailyCounts> {
        auto opened = storage::Database::open(db, 1);
        EXPECT_TRUE(opened) << opened.status().message();
        if (!opened) return {};
        return {counts(**opened,
                       "SELECT collection, ts_ms - ((ts_ms % 86400000) + 86400000) % 86400000 AS day_ms, COUNT(*) "
                       "FROM analytics_events GROUP BY collection, day_ms"),
                counts(**opened, "SELECT collection, day_ms, events FROM analytics_daily")};
    };
    auto [events, rollup] = count();
    EXPECT_EQ(events, rollup);
    EXPECT_EQ(total(events), acknowledged) << "stored events other than the acknowledged ones";
    std::cout << "[ figures  ] full disk: " << acknowledged << " events acknowledged and stored, " << refused
              << " batches refused with 500\n";

    // Space again: the same server stores the next batch.
    std::filesystem::remove(dir / "disk/filler");
    HttpReply after = post();
    EXPECT_EQ(after.status, 200) << after.describe() << after.body << cloud.log();
    if (after.status == 200) acknowledged += kEvents;
    std::tie(events, rollup) = count();
    EXPECT_EQ(events, rollup);
    EXPECT_EQ(total(events), acknowledged);
    cloud.stop();
    EXPECT_NE(cloud.log().find("cannot store analytics events: SQLite: database or disk is full"), std::string::npos)
        << "each refused batch is logged with why: " << cloud.log();
}

// `lampi-cloud analytics undeclare`: a default rollup (the dashboard reads it) is
// refused, a declared one is forgotten with its counts and the output says to
// leave its option out, and one not declared is said to be so.
TEST(CloudAnalyticsCli, UndeclareForgetsADeclaredRollupAndRefusesADefaultOne) {
    TempDir dir;
    const std::string db = "sqlite://" + (dir / "lampi.sqlite3");
    auto declared = [&db] {
        auto store = storage::Store::open(db, 1);
        EXPECT_TRUE(store) << store.status().message();
        if (!store) return false;
        auto rows = (*store)->database().lease()->query(
            "SELECT COUNT(*) FROM analytics_group_rollups WHERE collection = 'purchases' AND property = 'item'");
        EXPECT_TRUE(rows) << rows.status().message();
        return rows && storage::as_int(rows->at(0).at(0)) == 1;
    };
    {
        auto store = storage::Store::open(db, 1);
        ASSERT_TRUE(store) << store.status().message();
        analytics::EventStore events((*store)->database());
        ASSERT_TRUE(events.declare_group_rollup({"purchases", "item"}, std::int64_t{2} * 86'400'000));
        ASSERT_TRUE(events.insert({{"purchases", 86'400'000, R"({"item": "lamp"})"}}));
    }
    ASSERT_TRUE(declared());
    // `lampi-cloud analytics undeclare ROLLUP` ends with `exit_code` and says `says`.
    auto expect_undeclare = [&db](const std::string& rollup, int exit_code, const std::string& says) {
        auto r = testing::run({kBinary, "analytics", "undeclare", rollup, "--db", db}, 30s);
        EXPECT_EQ(r.exit_code, exit_code) << rollup << ": " << r.output;
        EXPECT_NE(r.output.find(says), std::string::npos) << rollup << ": " << r.output;
    };
    expect_undeclare("lamp_changes.source", 1, "lamp_changes.source is always counted");
    expect_undeclare("purchases.item", 0, "Leave --analytics-group-rollup purchases.item out");
    EXPECT_FALSE(declared());
    expect_undeclare("purchases.item", 0, "purchases.item was not declared");
    expect_undeclare("purchases", 1, "is not COLLECTION.PROPERTY");
}

INSTANTIATE_TEST_SUITE_P(Backends, CloudProcesses, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace lampi::cloud
