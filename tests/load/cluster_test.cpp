// lampi-load controller and workers over a real Mosquitto: a worker's report
// crosses the broker without losing a bucket, the controller's totals are the
// sum of what each worker printed for itself, and a worker killed mid-run is
// reported as vanished while the run goes on with the others. Only start commands
// sealed with the secret a controller and its workers share are run: anyone else
// on the broker is refused.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <boost/json.hpp>

#include <unistd.h>
#include <atomic>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "broker_passwords.h"
#include "certificate_authority.h"
#include "cluster/controller.h"
#include "cluster/merged_series.h"
#include "cluster/share.h"
#include "cluster/worker.h"
#include "cluster/worker_report.h"
#include "cluster_harness.h"
#include "loopback_ca.h"
#include "mqtt_harness.h"
#include "process.h"
#include "run/clock.h"
#include "tcp_proxy.h"

namespace lampi::load::cluster {
namespace {

using lampi::testing::Process;
using lampi::testing::TempDir;
using lampi::testing::TestBroker;
namespace json = boost::json;

Histogram random_latencies(unsigned seed, int n) {
    std::mt19937_64 random(seed);
    std::lognormal_distribution<double> latency(13, 1.5);  // ~0.4 ms median, a long tail
    Histogram h;
    for (int i = 0; i < n; ++i) h.record(static_cast<std::int64_t>(latency(random)));
    return h;
}

TEST(WorkerReports, TheMergeOfDecodedReportsIsExactlyTheMergeOfTheWorkersHistograms) {
    Histogram direct;
    ClusterResult result;
    for (unsigned w = 0; w < 3; ++w) {
        WorkerReport report;
        report.worker = fmt::format("w{}", w);
        report.seq = 7;
        report.latency = random_latencies(w + 1, 20'000 + static_cast<int>(w) * 1000);
        report.counters[static_cast<std::size_t>(Counter::sent)] = 1000 + w;
        report.errors["refused"] = w;
        report.connections = 40 + w;
        report.peak_connections = 50 + w;
        direct.merge(report.latency);
        Result<WorkerReport> decoded = decode_report(encode_report(report));
        ASSERT_TRUE(decoded) << decoded.status().message();
        EXPECT_EQ(decoded->worker, report.worker);
        EXPECT_EQ(decoded->seq, 7u);
        EXPECT_EQ(decoded->connections, 40 + w);
        EXPECT_EQ(decoded->peak_connections, 50 + w);
        result.workers.push_back({report.worker, 1, "done", "", 0, std::move(decoded).value()});
    }
    merge_reports(result);
    EXPECT_EQ(result.counters[static_cast<std::size_t>(Counter::sent)], 3003u);
    EXPECT_EQ(result.errors["refused"], 3u);
    EXPECT_EQ(result.latency.count(), direct.count());
    EXPECT_EQ(result.latency.min(), direct.min());
    EXPECT_EQ(result.latency.max(), direct.max());
    EXPECT_EQ(result.latency.mean(), direct.mean());
    EXPECT_EQ(result.latency.stddev(), direct.stddev());
    for (int permille = 1; permille <= 1000; ++permille)
        ASSERT_EQ(result.latency.percentile(permille / 1000.0), direct.percentile(permille / 1000.0)) << permille;
    EXPECT_TRUE(result.ok());
}

// A worker's report: `ms` latencies recorded on top of `before`'s.
WorkerReport later_report(const std::string& worker, std::uint64_t seq, double elapsed_s, std::uint64_t sent,
                          const WorkerReport* before, std::int64_t ms, int n) {
    WorkerReport r;
    r.worker = worker;
    r.seq = seq;
    r.elapsed_s = elapsed_s;
    r.counters[static_cast<std::size_t>(Counter::sent)] = sent;
    r.counters[static_cast<std::size_t>(Counter::completed)] = sent;
    r.connections = 10;
    if (before) r.latency = before->latency;
    for (int i = 0; i < n; ++i) r.latency.record(ms * 1'000'000);
    return r;
}

// Worker a reports on time; worker b started half a second later, and its second
// report is a second late. Each rate is a worker's gain over its own clock.
TEST(MergedSeriesTest, EachSecondAddsTheWorkersRatesByTheirOwnClocksAndTheNewLatencies) {
    WorkerReport a1 = later_report("a", 1, 1.0, 100, nullptr, 1, 100);
    WorkerReport b1 = later_report("b", 1, 0.5, 50, nullptr, 1, 50);
    WorkerReport a2 = later_report("a", 2, 2.0, 300, &a1, 3, 200);
    WorkerReport a3 = later_report("a", 3, 2.5, 350, &a2, 3, 50);
    a3.done = true;
    WorkerReport b2 = later_report("b", 2, 1.5, 150, &b1, 8, 100);
    MergedSeries series;
    series.sample(1.0, {&a1, &b1});
    series.sample(2.0, {&a2, &b1});  // b: no news, counted at its last rate
    series.sample(3.0, {&a3, &b2});
    series.sample(4.0, {&a3, &b2});  // a is done: nothing more from it
    const std::vector<Sample>& s = series.samples();
    ASSERT_EQ(s.size(), 4u);
    EXPECT_DOUBLE_EQ(s[0].sent_per_s, 100.0 / 1.0 + 50.0 / 0.5);
    EXPECT_DOUBLE_EQ(s[1].sent_per_s, 200.0 / 1.0 + 100.0);
    EXPECT_DOUBLE_EQ(s[2].sent_per_s, 50.0 / 0.5 + 100.0 / 1.0);
    EXPECT_DOUBLE_EQ(s[3].sent_per_s, 0.0 + 100.0);
    EXPECT_DOUBLE_EQ(s[2].completed_per_s, s[2].sent_per_s);
    EXPECT_EQ(s[3].completed, 350u + 150u) << "cumulative, every worker's";
    EXPECT_EQ(s[0].connections, 20);
    EXPECT_DOUBLE_EQ(s[1].interval_s, 1.0);
    // Each second's percentiles are of its new latencies only.
    EXPECT_NEAR(s[0].p50_ms, 1.0, 1.0 / 64);
    EXPECT_NEAR(s[1].p50_ms, 3.0, 3.0 / 64);
    EXPECT_NEAR(s[2].p50_ms, 8.0, 8.0 / 64) << "a's 50 new at 3 ms, b's 100 new at 8 ms";
    EXPECT_NEAR(s[2].p90_ms, 8.0, 8.0 / 64);
    EXPECT_NEAR(s[1].max_ms, 3.0, 3.0 / 64);
    EXPECT_EQ(s[3].p50_ms, 0.0) << "nothing new";
}

TEST(WorkerReports, AReportNoHistogramCouldHaveIsRefused) {
    WorkerReport report;
    report.worker = "w";
    report.latency = random_latencies(1, 10);
    std::string text = encode_report(report);
    EXPECT_FALSE(decode_report(text.substr(0, text.size() / 2)));
    json::object o = json::parse(text).as_object();
    o["latency"].as_object()["count"] = 11;
    EXPECT_FALSE(decode_report(json::serialize(o)));
    // One bucket, 1 000 000 on from the start (LEB128 varints, base64): past the last there is.
    o["latency"].as_object()["count"] = 1;
    o["latency"].as_object()["buckets"] = "wYQ9AQ==";
    EXPECT_FALSE(decode_report(json::serialize(o)));
    o["latency"].as_object()["buckets"] = "BQM=";  // 3 at index 4: the count no longer adds up
    EXPECT_FALSE(decode_report(json::serialize(o)));
    o["latency"].as_object()["count"] = 3;
    o["latency"].as_object()["min"] = 4;
    o["latency"].as_object()["max"] = 4;
    o["latency"].as_object()["sum"] = 12;
    o["latency"].as_object()["sum_squares"] = 48;
    EXPECT_TRUE(decode_report(json::serialize(o))) << "the same made right opens";
    // Three values of 4 add up to 12, their squares to 48: sums beyond what they can make are refused.
    for (auto [sum, squares] :
         {std::pair{13.0, 48.0}, std::pair{12.0, 49.0}, std::pair{1e117, 48.0}, std::pair{12.0, -1.0}}) {
        o["latency"].as_object()["sum"] = sum;
        o["latency"].as_object()["sum_squares"] = squares;
        EXPECT_FALSE(decode_report(json::serialize(o))) << sum << " " << squares;
    }
}

// What web users report: the per-name figures, each name's histogram whole, merged
// over the workers as one table of every request.
RequestTable requests_of(unsigned seed, std::uint64_t index_requests, std::uint64_t failures) {
    RequestTable table;
    RequestEntry& index = table.entries[{"GET", "/"}];
    index.times = random_latencies(seed, static_cast<int>(index_requests));
    index.requests = index_requests;
    index.failures = failures;
    index.content_bytes = 1000 * index_requests;
    RequestEntry& login = table.entries[{"POST", "/accounts/login/"}];
    login.times = random_latencies(seed + 100, 2);
    login.requests = 2;
    if (failures) table.failures[{"GET", "/", "HTTP 502"}] = failures;
    table.last_request_s = 1'700'000'000.5 + seed;
    return table;
}

// Its reports are made as in the first merge test, with web users' figures in
// place of a histogram: each test spells out the reports it merges.
TEST(WorkerReports, WebUsersPerNameFiguresCrossWholeAndMergeIntoOneTable) {
    ClusterResult result;
    RequestTable direct;
    for (unsigned w = 0; w < 2; ++w) {
        WorkerReport report;
        report.worker = fmt::format("w{}", w);
        report.seq = 3;
        report.users = 5 + w;
        report.peak_users = 7 + w;
        // The merged memory per user weighs each worker's by its users: (7 * 10 + 8 * 40) / 15 KiB.
        report.memory_per_user_bytes = w == 0 ? 10240.0 : 40960.0;
        report.requests = requests_of(w + 1, 300 + w * 50, w);
        direct.merge(*report.requests);
        Result<WorkerReport> decoded = decode_report(encode_report(report));
        ASSERT_TRUE(decoded) << decoded.status().message();
        ASSERT_TRUE(decoded->requests);
        EXPECT_EQ(decoded->users, 5 + w);
        EXPECT_EQ(decoded->peak_users, 7 + w);
        EXPECT_EQ(decoded->memory_per_user_bytes, report.memory_per_user_bytes);
        EXPECT_EQ(decoded->requests->last_request_s, report.requests->last_request_s);
        result.workers.push_back({report.worker, 1, "done", "", 0, std::move(decoded).value()});
    }
    merge_reports(result);
    ASSERT_TRUE(result.requests);
    EXPECT_EQ(result.users, 11);
    EXPECT_EQ(result.peak_users, 15);
    EXPECT_DOUBLE_EQ(result.memory_per_user_bytes, (7 * 10240.0 + 8 * 40960.0) / 15);
    EXPECT_NE(cluster_text(result).find("Users: 15 most at once"), std::string::npos) << cluster_text(result);
    EXPECT_EQ(result.requests->failures, direct.failures);
    EXPECT_EQ(result.requests->last_request_s, direct.last_request_s);
    ASSERT_EQ(result.requests->entries.size(), 2u);
    for (const auto& [key, want] : direct.entries) {
        const RequestEntry& got = result.requests->entries.at(key);
        EXPECT_EQ(got.requests, want.requests) << key.second;
        EXPECT_EQ(got.failures, want.failures) << key.second;
        EXPECT_EQ(got.content_bytes, want.content_bytes) << key.second;
        for (int permille = 1; permille <= 1000; ++permille)
            ASSERT_EQ(got.times.percentile(permille / 1000.0), want.times.percentile(permille / 1000.0))
                << key.second << " " << permille;
    }
    // The primary latency of web users is the total of their requests.
    EXPECT_EQ(result.latency.count(), direct.total().times.count());
    EXPECT_EQ(result.latency.max(), direct.total().times.max());
}

// Every worker refused its share (a scenario that differs, say): no report has
// requests, and the summary still speaks of users and requests, not messages.
TEST(ClusterText, AWebRunNoWorkerStartedIsStillOneOfUsersAndRequests) {
    ClusterResult result;
    result.command = "http -H http://127.0.0.1:1 -u 2 -f scenario.lua";
    WorkerReport refused;
    refused.worker = "w0";
    refused.done = true;
    refused.ok = false;
    refused.failures.emplace_back("its run did not start (exit code 2): -f scenario.lua: ...");
    result.workers.push_back({"w0", 2, "failed", "", 0, refused});
    merge_reports(result);
    std::string text = cluster_text(result);
    EXPECT_NE(text.find("on 1 workers, 2 users:"), std::string::npos) << text;
    EXPECT_NE(text.find("Requests: 0 made, 0 failed"), std::string::npos) << text;
    EXPECT_EQ(text.find("Messages:"), std::string::npos) << text;
    EXPECT_NE(text.find("Result: FAILED"), std::string::npos) << text;
}

TEST(WorkerReports, RequestFiguresNoRunCouldHaveAreRefused) {
    WorkerReport report;
    report.worker = "w";
    report.requests = requests_of(1, 10, 1);
    json::object o = json::parse(encode_report(report)).as_object();
    ASSERT_TRUE(decode_report(json::serialize(o)));
    auto with = [&](auto change) {
        json::object copy = o;
        change(copy["requests"].as_object());
        return decode_report(json::serialize(copy));
    };
    EXPECT_FALSE(with([](json::object& r) { r["entries"].as_array()[0].as_array()[3] = 99; }))
        << "more failures than requests";
    EXPECT_FALSE(with([](json::object& r) { r["entries"].as_array()[0].as_array()[2] = -1; }));
    EXPECT_FALSE(with([](json::object& r) { r["entries"].as_array()[0].as_array().pop_back(); }));
    EXPECT_FALSE(with([](json::object& r) { r["entries"].as_array().push_back(r["entries"].as_array()[0]); }))
        << "one name twice";
    EXPECT_FALSE(with([](json::object& r) { r["failures"].as_array()[0].as_array()[3] = "one"; }));
    EXPECT_FALSE(with([](json::object& r) { r.erase("last_request_s"); }));
    for (const char* key : {"users", "peak_users", "memory_per_user_bytes"}) {
        json::object negative = o;
        negative[key] = -1;
        EXPECT_FALSE(decode_report(json::serialize(negative))) << key;
    }
}

// Many names with wide spreads outgrow 4 KiB: the counts per name still reach the controller.
TEST(WorkerReports, AWebReportOverTheMessageLimitKeepsItsCountsPerNameAndSaysWhy) {
    WorkerReport report;
    report.worker = "w";
    report.done = true;
    report.requests.emplace();
    for (unsigned n = 0; n < 12; ++n) {
        RequestEntry& e = report.requests->entries[{"GET", fmt::format("/page/{}", n)}];
        e.times = random_latencies(n + 1, 5000);
        e.requests = 5000;
    }
    std::string trimmed;
    Result<std::string> sealed = seal_report_within("run", report, kSecret, kDefaultMaxMessageBytes, &trimmed);
    ASSERT_TRUE(sealed) << sealed.status().message();
    EXPECT_LE(sealed->size(), kDefaultMaxMessageBytes);
    EXPECT_NE(trimmed.find("without its latency histograms (per request name)"), std::string::npos) << trimmed;
    Result<WorkerReport> opened = open_report("run", "w", *sealed, kSecret);
    ASSERT_TRUE(opened) << opened.status().message();
    ASSERT_TRUE(opened->requests);
    EXPECT_EQ(opened->requests->entries.size(), 12u);
    EXPECT_EQ(opened->requests->total().requests, 12u * 5000);
    EXPECT_FALSE(opened->ok) << "a final report without its percentiles fails";
}

TEST(WorkerArgs, EachWorkersClientsHaveIdsOfTheirOwn) {
    using Args = std::vector<std::string>;
    EXPECT_EQ(worker_args(Args{"publish", "-P", "2"}, "w1"), (Args{"publish", "-P", "2", "-c", "lampi-load-w1"}));
    EXPECT_EQ(worker_args(Args{"publish", "-c", "lamp", "-P", "2"}, "w1"),
              (Args{"publish", "-c", "lamp-w1", "-P", "2"}));
    EXPECT_EQ(worker_args(Args{"publish", "--clientid=lamp"}, "w2"), (Args{"publish", "--clientid=lamp-w2"}));
    EXPECT_EQ(worker_args(Args{"publish", "-clamp", "-P2"}, "w3"), (Args{"publish", "-clamp-w3", "-P2"}));
    EXPECT_EQ(worker_args(Args{"publish", "-Dlamp"}, "w4"), (Args{"publish", "-Dlamp-w4"}));
    // Web users have no client ids (their -c would be nothing to http).
    EXPECT_EQ(worker_args(Args{"http", "-u", "2"}, "w5"), (Args{"http", "-u", "2"}));
}

std::vector<int> clients_of(const std::vector<RunShare>& shares) {
    std::vector<int> out;
    out.reserve(shares.size());
    for (const auto& s : shares) out.push_back(s.clients);
    return out;
}

TEST(SplitRun, TheClientsAreDividedAsEvenlyAsPossibleTheFirstWorkersTakingTheRemainder) {
    using Args = std::vector<std::string>;
    auto shares = split_run({"publish", "-P", "5", "-n", "10", "-T", "2"}, 2);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ(clients_of(*shares), (std::vector<int>{3, 2}));
    // What is per client stays as it is: together they send what one run of 5 clients sends.
    EXPECT_EQ((*shares)[0].args, (Args{"publish", "-P", "3", "-n", "10", "-T", "2"}));
    EXPECT_EQ((*shares)[1].args, (Args{"publish", "-P", "2", "-n", "10", "-T", "2"}));

    for (Args spelling :
         {Args{"publish", "-P10"}, Args{"publish", "--clients=10"}, Args{"publish", "--processes", "10"}}) {
        shares = split_run(spelling, 4);
        ASSERT_TRUE(shares) << shares.status().message();
        EXPECT_EQ(clients_of(*shares), (std::vector<int>{3, 3, 2, 2})) << spelling[1];
        EXPECT_EQ((*shares)[3].args, (Args{"publish", "-P", "2"}));
    }
    // Without -P a run has one client, which one worker takes.
    shares = split_run({"publish", "-n", "3"}, 1);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[0].args, (Args{"publish", "-n", "3", "-P", "1"}));
}

// The word after an option that takes a value is its value, as the parser reads it, even
// when it looks like a total.
TEST(SplitRun, AValueThatLooksLikeATotalBelongsToItsOption) {
    using Args = std::vector<std::string>;
    const Args takes_values = {"-c", "--clientid", "--topic", "-P"};
    auto shares = split_run({"publish", "--topic", "-P5", "-c", "-Px", "-P", "3"}, 2, takes_values);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ(clients_of(*shares), (std::vector<int>{2, 1}));
    EXPECT_EQ((*shares)[0].args, (Args{"publish", "--topic", "-P5", "-c", "-Px", "-P", "2"}));
    shares = split_run({"publish", "--clientid", "--clients=9", "-P", "2"}, 2, takes_values);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ(clients_of(*shares), (std::vector<int>{1, 1}));
    // A value-taking option last, with nothing after it, is the parser's to refuse.
    shares = split_run({"publish", "-P", "2", "--topic"}, 2, takes_values);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[1].args, (Args{"publish", "-P", "1", "--topic"}));
}

TEST(SplitRun, TotalRatesAreDividedInProportionToEachWorkersClients) {
    auto shares = split_run({"publish", "-P", "4", "--total-rate", "100", "--connect-rate=40", "-d", "5"}, 3);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ(clients_of(*shares), (std::vector<int>{2, 1, 1}));
    using Args = std::vector<std::string>;
    EXPECT_EQ((*shares)[0].args, (Args{"publish", "-P", "2", "--total-rate", "50", "--connect-rate", "20", "-d", "5"}));
    EXPECT_EQ((*shares)[1].args, (Args{"publish", "-P", "1", "--total-rate", "25", "--connect-rate", "10", "-d", "5"}));
}

// A web users' ramp is the controller's: the workers divide its first step (at
// most -u) and run without its flags, the spawn rate in proportion.
TEST(SplitRun, AWebUsersRampsFlagsStayWithTheControllerAndTheWorkersDivideItsFirstStep) {
    using Args = std::vector<std::string>;
    auto shares = split_run({"http", "-u", "20", "-r", "10", "--step-users", "5", "--step-time", "30s",
                             "--stop-when=p95>1s", "-t", "5m"},
                            2);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[0].args, (Args{"http", "-u", "3", "-r", "6", "-t", "5m", "--first-user", "0"}));
    EXPECT_EQ((*shares)[1].args, (Args{"http", "-u", "2", "-r", "4", "-t", "5m", "--first-user", "3"}));
    shares = split_run({"http", "-u", "3", "--step-users", "5", "--step-time", "30", "--stop-when", "fail>1%"}, 3);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ(shares->size(), 3u);
    for (const RunShare& share : *shares) EXPECT_EQ(share.clients, 1) << "a first step above -u stops at -u";
}

// A publishers' ramp is the controller's too, but its clients cannot move: each
// worker holds its share of the ceiling (-P, 100 steps without one) and starts its
// share of the first step (--steered), the connect rate in proportion to that.
TEST(SplitRun, APublishersRampGivesEachWorkerItsShareOfTheCeilingAndStartsItsShareOfTheFirstStep) {
    using Args = std::vector<std::string>;
    auto shares = split_run({"publish", "-P", "7", "--connect-rate", "30", "--step-users", "3", "--step-time", "5",
                             "--stop-when", "p99>5ms", "-T", "20"},
                            2);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[0].args, (Args{"publish", "-P", "4", "--connect-rate", "20", "-T", "20", "--steered", "2"}));
    EXPECT_EQ((*shares)[1].args, (Args{"publish", "-P", "3", "--connect-rate", "10", "-T", "20", "--steered", "1"}));
    EXPECT_EQ((*shares)[0].clients, 2);
    EXPECT_DOUBLE_EQ((*shares)[0].spawn_rate, 20);
    shares = split_run({"publish", "--step-users=2", "--step-time", "5", "--stop-when", "fail>1%"}, 2);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[1].args, (Args{"publish", "-P", "100", "--steered", "1"})) << "the ceiling of 100 steps";
    auto few = split_run({"publish", "-P", "9", "--step-users", "1", "--step-time", "5", "--stop-when", "p99>5ms"}, 2);
    ASSERT_FALSE(few);
    EXPECT_NE(few.status().message().find("first step of 1 clients"), std::string::npos) << few.status().message();
}

// Web users divide as clients do; the spawn rate in proportion (1 a second when not
// given, as one run), and each worker numbers its users from where the last one's end.
TEST(SplitRun, WebUsersAndTheirSpawnRateAreDividedAndEachWorkerNumbersItsUsersOnFromTheLast) {
    using Args = std::vector<std::string>;
    auto shares = split_run({"http", "-H", "http://site", "-u", "5", "-r", "2", "-t", "10s"}, 2);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ(clients_of(*shares), (std::vector<int>{3, 2}));
    EXPECT_EQ((*shares)[0].args,
              (Args{"http", "-H", "http://site", "-u", "3", "-r", "1.2", "-t", "10s", "--first-user", "0"}));
    EXPECT_EQ((*shares)[1].args,
              (Args{"http", "-H", "http://site", "-u", "2", "-r", "0.8", "-t", "10s", "--first-user", "3"}));

    shares = split_run({"http", "--users=4", "--first-user", "10"}, 2);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[0].args, (Args{"http", "-u", "2", "-r", "0.5", "--first-user", "10"}));
    EXPECT_EQ((*shares)[1].args, (Args{"http", "-u", "2", "-r", "0.5", "--first-user", "12"}));

    auto fewer = split_run({"http", "-u", "1"}, 2);
    ASSERT_FALSE(fewer);
    EXPECT_NE(fewer.status().message().find("-u 1 is fewer users than the 2 workers"), std::string::npos)
        << fewer.status().message();
    EXPECT_FALSE(split_run({"http", "-u", "2", "-r", "fast"}, 2));
    // publish has no user numbers: the word is left for its parser to refuse.
    shares = split_run({"publish", "--first-user", "3"}, 1);
    ASSERT_TRUE(shares) << shares.status().message();
    EXPECT_EQ((*shares)[0].args, (Args{"publish", "--first-user", "3", "-P", "1"}));
}

TEST(SplitRun, ARunThatCannotBeDividedIsRefusedWithTheReason) {
    auto fewer = split_run({"publish", "-P", "1"}, 2);
    ASSERT_FALSE(fewer);
    EXPECT_NE(fewer.status().message().find("fewer clients than the 2 workers"), std::string::npos)
        << fewer.status().message();
    EXPECT_FALSE(split_run({"publish"}, 2)) << "no -P is one client";
    EXPECT_FALSE(split_run({"publish", "-P", "many"}, 1));
    EXPECT_FALSE(split_run({"publish", "-P", "4", "--clients", "4"}, 2));
    EXPECT_FALSE(split_run({"publish", "-P", "4", "--total-rate", "-5"}, 2));
    EXPECT_FALSE(split_run({"publish", "-P"}, 1));
    // A web users' ramp starts with a first step every worker has a user of.
    auto ramp = split_run({"http", "-u", "10", "--step-users", "1", "--step-time", "5", "--stop-when", "p99>5ms"}, 2);
    ASSERT_FALSE(ramp);
    EXPECT_NE(ramp.status().message().find("first step of 1 users"), std::string::npos) << ramp.status().message();
}

TEST(OptionValue, AnOptionIsFoundInEachSpellingAndAnAbsentOneIsNothing) {
    const std::vector<std::string> names{"-f", "--locustfile"};
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"http", "-f", "a.lua"},
                                               {"http", "-fa.lua"},
                                               {"http", "--locustfile", "a.lua"},
                                               {"http", "-u", "3", "--locustfile=a.lua"}}) {
        EXPECT_EQ(option_value(args, names), "a.lua") << fmt::format("{}", fmt::join(args, " "));
    }
    EXPECT_EQ(option_value({"http", "-u", "3"}, names), std::nullopt);
    EXPECT_EQ(option_value({"http", "-f"}, names), std::nullopt) << "no value";
    EXPECT_EQ(option_value({"http", "--locustfiles=a.lua"}, names), std::nullopt) << "another option";
}

TEST(StartCommands, OnlyAFreshPublishOrHttpRunSealedWithTheSharedSecretOpens) {
    StartCommand start{"r1", {{"w0", {"publish", "-P", "2"}}, {"w1", {"publish", "-P", "1"}}}, wall_ms()};
    Result<StartCommand> opened = open_start(seal_start(start, kSecret), kSecret, wall_ms());
    ASSERT_TRUE(opened) << opened.status().message();
    EXPECT_EQ(opened->run, "r1");
    EXPECT_EQ(opened->shares, start.shares);
    ASSERT_NE(opened->share_of("w1"), nullptr);
    EXPECT_EQ(opened->share_of("w1")->args, (std::vector<std::string>{"publish", "-P", "1"}));
    EXPECT_EQ(opened->share_of("w2"), nullptr);

    // What anyone on the broker could send: the bare command, another key's seal, a seal with its text changed.
    EXPECT_FALSE(open_start(encode_start(start), kSecret, wall_ms()));
    EXPECT_FALSE(open_start(seal_start(start, "another secret, just as long"), kSecret, wall_ms()));
    json::object tampered = json::parse(seal_start(start, kSecret)).as_object();
    std::string text(tampered["command"].as_string());
    text.replace(text.find(R"("-P","2")"), 10, R"("-P","9")");
    tampered["command"] = text;
    EXPECT_FALSE(open_start(json::serialize(tampered), kSecret, wall_ms()));
    // A sealed command seen on the broker, replayed later; one from a clock far ahead.
    EXPECT_FALSE(open_start(seal_start(start, kSecret), kSecret, wall_ms() + kStartMaxAgeMs + 1000));
    EXPECT_FALSE(open_start(seal_start(start, kSecret), kSecret, wall_ms() - kStartMaxAgeMs - 1000));
    // Only publish and http runs are distributed: a sealed command for anything else is refused too.
    StartCommand web{"r2", {{"w0", {"publish", "-P", "1"}}, {"w1", {"http", "-f", "scenario.lua"}}}, wall_ms()};
    EXPECT_TRUE(open_start(seal_start(web, kSecret), kSecret, wall_ms()));
    StartCommand fleet{"r3", {{"w0", {"publish", "-P", "1"}}, {"w1", {"fleet", "--lamps", "5"}}}, wall_ms()};
    EXPECT_FALSE(open_start(seal_start(fleet, kSecret), kSecret, wall_ms()));
    // A worker without a secret opens nothing, not even a command sealed with an empty key.
    EXPECT_FALSE(open_start(seal_start(start, ""), "", wall_ms()));
}

TEST(SealedMessages, HellosAndReportsOpenOnlyWithTheSecretOnTheTopicTheyWereSealedFor) {
    Result<Hello> hello = open_hello("w0", seal_hello("w0", Hello{"ready", 1234, 1234}, kSecret), kSecret);
    ASSERT_TRUE(hello) << hello.status().message();
    EXPECT_EQ(hello->state, "ready");
    EXPECT_EQ(hello->at_ms, 1234);
    EXPECT_FALSE(open_hello("w0", "ready", kSecret)) << "the bare hello workers used to send";
    EXPECT_FALSE(
        open_hello("w0", seal_hello("w0", Hello{"ready", 1234, 1234}, "another secret, just as long"), kSecret));
    EXPECT_FALSE(open_hello("w9", seal_hello("w0", Hello{"ready", 1234, 1234}, kSecret), kSecret))
        << "moved to another worker's topic";
    json::object changed = json::parse(seal_hello("w0", Hello{"gone", 1234, 1234}, kSecret)).as_object();
    changed["hello"] = "ready";
    EXPECT_FALSE(open_hello("w0", json::serialize(changed), kSecret));
    // An old "ready" made to look fresh: its time is under the MAC.
    json::object redated = json::parse(seal_hello("w0", Hello{"ready", 1234, 1234}, kSecret)).as_object();
    redated["at"] = wall_ms();
    EXPECT_FALSE(open_hello("w0", json::serialize(redated), kSecret));
    redated.erase("at");
    EXPECT_FALSE(open_hello("w0", json::serialize(redated), kSecret));
    // Nor its process's start.
    json::object restarted = json::parse(seal_hello("w0", Hello{"gone", 1234, 1000}, kSecret)).as_object();
    EXPECT_EQ(open_hello("w0", json::serialize(restarted), kSecret)->since_ms, 1000);
    restarted["since"] = 2000;
    EXPECT_FALSE(open_hello("w0", json::serialize(restarted), kSecret));

    WorkerReport report;
    report.worker = "w0";
    report.seq = 3;
    report.latency = random_latencies(1, 100);
    report.counters[static_cast<std::size_t>(Counter::sent)] = 100;
    Result<WorkerReport> opened = open_report("r1", "w0", seal_report("r1", report, kSecret), kSecret);
    ASSERT_TRUE(opened) << opened.status().message();
    EXPECT_EQ(opened->counters, report.counters);
    EXPECT_EQ(opened->latency.count(), 100u);
    EXPECT_FALSE(open_report("r1", "w0", encode_report(report), kSecret)) << "the bare report workers used to send";
    EXPECT_FALSE(open_report("r1", "w0", seal_report("r1", report, "another secret, just as long"), kSecret));
    EXPECT_FALSE(open_report("r2", "w0", seal_report("r1", report, kSecret), kSecret)) << "another run's";
    EXPECT_FALSE(open_report("r1", "w1", seal_report("r1", report, kSecret), kSecret)) << "another worker's topic";
    json::object inflated = json::parse(seal_report("r1", report, kSecret)).as_object();
    std::string text(inflated["report"].as_string());
    text.replace(text.find("[100,"), 5, "[900,");
    inflated["report"] = text;
    EXPECT_FALSE(open_report("r1", "w0", json::serialize(inflated), kSecret)) << "figures changed";
    // Sealed with the right secret but naming another worker than its topic.
    report.worker = "w1";
    EXPECT_FALSE(open_report("r1", "w0", seal_report("r1", report, kSecret), kSecret));
}

// A controller takes each worker's hellos in the order they were sent: a replayed
// older one is no news, a Will of the running process is, and a new process of the
// worker starts afresh.
TEST(HelloOrders, AnOlderHelloIsNoNewsButTheRunningProcesssWillIs) {
    HelloOrder order;
    EXPECT_TRUE(order.take("w0", {"ready", 1100, 1000}));
    EXPECT_TRUE(order.take("w0", {"busy", 1200, 1000}));
    EXPECT_FALSE(order.take("w0", {"ready", 1100, 1000})) << "a replayed ready of before the busy";
    EXPECT_TRUE(order.take("w0", {"ready", 1200, 1000})) << "sent in the same millisecond";
    EXPECT_TRUE(order.take("w0", {"gone", 1000, 1000})) << "the Will, sealed at the process's start";
    EXPECT_TRUE(order.take("w1", {"ready", 500, 400})) << "each worker has its own order";
    EXPECT_TRUE(order.take("w0", {"ready", 3100, 3000})) << "the worker started again";
    EXPECT_FALSE(order.take("w0", {"gone", 1000, 1000})) << "the Will of the process before";
    EXPECT_FALSE(order.take("w0", {"ready", 2900, 1000})) << "a hello of the process before";
    EXPECT_TRUE(order.take("w0", {"gone", 3000, 3000}));
}

TEST(SealedMessages, AStopOpensOnlyWithTheSecretAndNamesTheRunItWasSealedFor) {
    Result<std::string> run = open_stop(seal_stop("r1", kSecret), kSecret);
    ASSERT_TRUE(run) << run.status().message();
    EXPECT_EQ(*run, "r1");
    EXPECT_FALSE(open_stop(R"({"stop":"r1"})", kSecret)) << "a bare stop";
    EXPECT_FALSE(open_stop(seal_stop("r1", "another secret, just as long"), kSecret));
    json::object moved = json::parse(seal_stop("r1", kSecret)).as_object();
    moved["stop"] = "r2";
    EXPECT_FALSE(open_stop(json::serialize(moved), kSecret)) << "its seal moved to another run";
    // Not a hello or start seal passed off as a stop: each kind has its own MAC domain.
    json::object hello = json::parse(seal_hello("r1", Hello{"r1", 0, 0}, kSecret)).as_object();
    EXPECT_FALSE(open_stop(json::serialize(json::object{{"stop", "r1"}, {"mac", hello["mac"]}}), kSecret));
    EXPECT_FALSE(open_stop(seal_stop("r1", ""), ""));
}

TEST(SealedMessages, ASteerOpensOnlyWithTheSecretAndWhollyAsSealed) {
    const Steer steer{"r1", "w0", 3, 7, 2.5, {{0, 2}, {9, 5}}};
    Result<Steer> opened = open_steer(seal_steer(steer, kSecret), kSecret);
    ASSERT_TRUE(opened) << opened.status().message();
    EXPECT_EQ(opened->run, "r1");
    EXPECT_EQ(opened->worker, "w0");
    EXPECT_EQ(opened->seq, 3u);
    EXPECT_EQ(opened->users, 7);
    EXPECT_EQ(opened->rate, 2.5);
    EXPECT_EQ(opened->numbers, (std::vector<UserNumberRange>{{0, 2}, {9, 5}}));
    EXPECT_FALSE(open_steer(seal_steer(steer, "another secret, just as long"), kSecret));
    json::object more = json::parse(seal_steer(steer, kSecret)).as_object();
    more["steer"] = "r1\nw0\n3\n700\n2.5";
    EXPECT_FALSE(open_steer(json::serialize(more), kSecret)) << "its users changed under the seal";
    json::object stop = json::parse(seal_stop("r1\nw0\n3\n7\n2.5", kSecret)).as_object();
    EXPECT_FALSE(
        open_steer(json::serialize(json::object{{"steer", "r1\nw0\n3\n7\n2.5"}, {"mac", stop["mac"]}}), kSecret))
        << "a stop's seal passed off as a steer's";
    // Sealed, yet no steer a controller could mean: refused all the same.
    for (const Steer& odd :
         {Steer{"r1", "w0", 1, -1, 1, {}}, Steer{"", "w0", 1, 1, 1, {}}, Steer{"r1", "w0", 1, 1, -2, {}},
          Steer{"r1", "w0", 1, 1, 1, {{4, 0}}}, Steer{"r1", "w0", 1, 1, 1, {{UINT64_MAX, 2}}}})
        EXPECT_FALSE(open_steer(seal_steer(odd, kSecret), kSecret)) << encode_steer(odd);
    for (std::string_view numbers : {"", "1", "1+", "+1", "1+1,", "1+1,,2+1", "1-1", "a+1"})
        EXPECT_FALSE(decode_steer(fmt::format("r1\nw0\n1\n1\n1\n{}", numbers))) << numbers;
}

TEST(Reshare, TheUsersGoToTheWorkersRunningTheFirstTakingTheRemainder) {
    EXPECT_EQ(reshare(7, {true, true, true}), (std::vector<int>{3, 2, 2}));
    EXPECT_EQ(reshare(7, {true, false, true}), (std::vector<int>{4, 0, 3}));
    EXPECT_EQ(reshare(7, {false, false, true}), (std::vector<int>{0, 0, 7}));
    EXPECT_EQ(reshare(7, {false, false}), (std::vector<int>{0, 0})) << "nobody left to take them";
}

// Users keep their numbers while they run, and no number is given twice: the
// users a vanished worker ran go to the others with its numbers, and back to it
// when it returns; a ramp's new users take the lowest numbers nobody holds.
TEST(Renumber, NoTwoUsersShareANumberAsUsersMoveBetweenWorkers) {
    using Numbers = std::vector<std::vector<std::uint64_t>>;
    const Numbers own = {{10, 11}, {12, 13}, {14, 15}};
    const Numbers w2_gone = renumber(own, {3, 3, 0}, own, 10);
    EXPECT_EQ(w2_gone, (Numbers{{10, 11, 14}, {12, 13, 15}, {}}));
    EXPECT_EQ(renumber(w2_gone, {2, 2, 2}, own, 10), own) << "back to the first shares when w2 is back";
    EXPECT_EQ(renumber(w2_gone, {6, 0, 0}, own, 10), (Numbers{{10, 11, 14, 12, 13, 15}, {}, {}}));
    const Numbers two = {{0, 1}, {2, 3}};
    const Numbers step = renumber(two, {3, 3}, two, 0);
    EXPECT_EQ(step, (Numbers{{0, 1, 4}, {2, 3, 5}})) << "a ramp's step: each worker's new user takes a new number";
    EXPECT_EQ(renumber(step, {4, 4}, two, 0), (Numbers{{0, 1, 4, 6}, {2, 3, 5, 7}}));
    EXPECT_EQ(renumber(step, {6, 0}, two, 0), (Numbers{{0, 1, 4, 2, 3, 5}, {}}));
}

TEST(UserNumbers, TheKthUserTakesTheKthNumberOfTheRangesThenTheNumbersPastTheLast) {
    const UserNumbers numbers({{10, 2}, {12, 1}, {20, 0}, {30, 2}});
    EXPECT_EQ(numbers.ranges(), (std::vector<UserNumberRange>{{10, 3}, {30, 2}})) << "joined, the empty one dropped";
    EXPECT_EQ(numbers.first(7), (std::vector<std::uint64_t>{10, 11, 12, 30, 31, 32, 33}));
    EXPECT_EQ(UserNumbers(5).first(3), (std::vector<std::uint64_t>{5, 6, 7}));
    EXPECT_EQ(UserNumbers::of({3, 4, 9, 1, 2}).ranges(), (std::vector<UserNumberRange>{{3, 2}, {9, 1}, {1, 2}}));
}

TEST(SealedMessages, AFinishIsNoStopAndAStopIsNoFinish) {
    Result<std::string> run = open_finish(seal_finish("r1", kSecret), kSecret);
    ASSERT_TRUE(run) << run.status().message();
    EXPECT_EQ(*run, "r1");
    EXPECT_FALSE(open_finish(seal_finish("r1", "another secret, just as long"), kSecret));
    EXPECT_FALSE(open_finish(seal_stop("r1", kSecret), kSecret)) << "a stop read as a finish";
    EXPECT_FALSE(open_stop(seal_finish("r1", kSecret), kSecret)) << "a finish read as a stop";
    json::object stop = json::parse(seal_stop("r1", kSecret)).as_object();
    EXPECT_FALSE(open_finish(json::serialize(json::object{{"finish", "r1"}, {"mac", stop["mac"]}}), kSecret))
        << "a stop's MAC under a finish";
}

// A failed HMAC gives an empty MAC (lampi/hmac.h): it must not match an empty one.
TEST(SealedMessages, AnEmptyOrShortMacMatchesNothingNotEvenItsLike) {
    std::string mac(64, 'a');
    EXPECT_TRUE(mac_matches(mac, mac));
    EXPECT_FALSE(mac_matches("", "")) << "what a failed HMAC on both ends would give";
    EXPECT_FALSE(mac_matches("", mac));
    EXPECT_FALSE(mac_matches(mac.substr(0, 8), mac.substr(0, 8))) << "a truncated MAC";
    json::object empty = json::parse(seal_hello("w0", Hello{"ready", wall_ms(), wall_ms()}, kSecret)).as_object();
    empty["mac"] = "";
    EXPECT_FALSE(open_hello("w0", json::serialize(empty), kSecret));
}

// The broker drops a message over its message_size_limit without a word: a report
// that would be larger goes without its histogram, and says so.
// The platform's broker takes messages of 4 KiB at most: a report of a run whose
// latencies spread over four decades fits, and opens to the same histogram.
TEST(WorkerReports, AReportOfLatenciesOverFourDecadesFitsThePlatformsMessageLimit) {
    WorkerReport report;
    report.worker = "w0";
    report.seq = 9;
    report.latency = random_latencies(1, 20'000);
    Histogram::Parts parts = report.latency.parts();
    ASSERT_GT(parts.buckets.size(), 800u) << "the test needs a wide histogram";
    std::string sealed = seal_report("r1", report, kSecret);
    EXPECT_LE(sealed.size(), kDefaultMaxMessageBytes) << parts.buckets.size() << " buckets";
    Result<WorkerReport> opened = open_report("r1", "w0", sealed, kSecret);
    ASSERT_TRUE(opened) << opened.status().message();
    Histogram::Parts back = opened->latency.parts();
    EXPECT_EQ(back.buckets, parts.buckets);
    EXPECT_EQ(back.count, parts.count);
    // Anything else where the buckets go is refused, not guessed at.
    for (std::string bad : {"not base64!", "gA==", "AAAA"}) {
        std::string text = encode_report(report);
        std::size_t at = text.find(R"("buckets":")") + 11;
        text.replace(at, text.find('"', at) - at, bad);
        EXPECT_FALSE(decode_report(text)) << bad;
    }
}

// w0's final report number 9: 20 000 messages, their latencies over four decades.
WorkerReport large_final_report() {
    WorkerReport report;
    report.worker = "w0";
    report.seq = 9;
    report.done = true;
    report.latency = random_latencies(1, 20'000);
    report.counters[static_cast<std::size_t>(Counter::sent)] = 20'000;
    return report;
}

TEST(WorkerReports, AReportOverTheMessageLimitGoesWithoutItsHistogramAndSaysWhy) {
    WorkerReport report = large_final_report();
    const std::size_t limit = kMinMaxMessageBytes;
    ASSERT_GT(seal_report("r1", report, kSecret).size(), limit) << "the test needs a large report";
    std::string trimmed;
    Result<std::string> sealed = seal_report_within("r1", report, kSecret, limit, &trimmed);
    ASSERT_TRUE(sealed) << sealed.status().message();
    EXPECT_LE(sealed->size(), limit);
    EXPECT_NE(trimmed.find(fmt::format("bytes, over the {} bytes of --max-message-bytes", limit)), std::string::npos)
        << trimmed;
    Result<WorkerReport> opened = open_report("r1", "w0", *sealed, kSecret);
    ASSERT_TRUE(opened) << opened.status().message();
    EXPECT_EQ(opened->counters, report.counters) << "the counters still count";
    EXPECT_EQ(opened->latency.count(), 0u);
    EXPECT_FALSE(opened->ok) << "a final report without its latencies fails the run";
    ASSERT_EQ(opened->failures.size(), 1u);
    EXPECT_EQ(opened->failures[0], trimmed);
    // One that fits goes whole.
    report.latency = random_latencies(1, 10);
    sealed = seal_report_within("r1", report, kSecret, limit, &trimmed);
    ASSERT_TRUE(sealed);
    EXPECT_EQ(*sealed, seal_report("r1", report, kSecret));
    EXPECT_TRUE(trimmed.empty()) << trimmed;
}

// Over the limit, a report goes in parts, each within it, that the controller's
// assembler makes whole again, in whatever order they come: the histogram exact,
// a reason of several bytes a character not cut. A part changed, moved to another
// worker's topic, or of a report older than one being put together, does not count.
TEST(WorkerReports, AReportOverTheMessageLimitTravelsInPartsThatMakeItWholeAgain) {
    WorkerReport report = large_final_report();
    for (int i = 0; i < 20; ++i) report.errors[fmt::format("délai dépassé « {} » ✓ ééééééééééééééééé", i)] = i + 1;
    const std::size_t limit = kMinMaxMessageBytes;
    std::string trimmed = "not cleared";
    Result<std::vector<std::string>> parts = seal_report_in_parts("r1", report, kSecret, limit, &trimmed);
    ASSERT_TRUE(parts) << parts.status().message();
    EXPECT_TRUE(trimmed.empty()) << trimmed;
    ASSERT_GE(parts->size(), 3u);
    for (const std::string& part : *parts) EXPECT_LE(part.size(), limit);

    ReportAssembler assembler("r1");
    std::optional<WorkerReport> whole;
    for (std::size_t i = parts->size(); i-- > 0;) {
        Result<std::optional<WorkerReport>> added = assembler.add("w0", (*parts)[i], kSecret);
        ASSERT_TRUE(added) << added.status().message();
        if (i > 0) {
            EXPECT_FALSE(*added) << "complete before its part " << i - 1;
        } else {
            whole = *added;
        }
    }
    ASSERT_TRUE(whole);
    // Cut at other places too (every limit moves the cuts): none inside a character.
    for (std::size_t other = limit + 1; other < limit + 24; ++other) {
        Result<std::vector<std::string>> cut = seal_report_in_parts("r1", report, kSecret, other);
        ASSERT_TRUE(cut);
        ReportAssembler again("r1");
        std::optional<WorkerReport> made;
        for (const std::string& part : *cut) {
            Result<std::optional<WorkerReport>> added = again.add("w0", part, kSecret);
            ASSERT_TRUE(added) << "limit " << other << ": " << added.status().message();
            made = *added;
        }
        ASSERT_TRUE(made) << "limit " << other;
        EXPECT_EQ(made->errors, report.errors) << "limit " << other;
    }
    EXPECT_EQ(whole->latency.parts().buckets, report.latency.parts().buckets);
    EXPECT_EQ(whole->latency.percentile(0.99), report.latency.percentile(0.99));
    EXPECT_EQ(whole->latency.max(), report.latency.max());
    EXPECT_EQ(whole->counters, report.counters);
    EXPECT_EQ(whole->errors, report.errors);
    EXPECT_TRUE(whole->done && whole->ok);

    // Changed on the way, or on another worker's topic: refused.
    std::string changed = (*parts)[1];
    changed[changed.size() / 2] = changed[changed.size() / 2] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(ReportAssembler("r1").add("w0", changed, kSecret));
    EXPECT_FALSE(ReportAssembler("r1").add("w1", (*parts)[0], kSecret));
    EXPECT_FALSE(ReportAssembler("r2").add("w0", (*parts)[0], kSecret));
    // A part missing: nothing. An older report's parts while a newer one is put together: nothing.
    WorkerReport newer = report;
    newer.seq = 10;
    Result<std::vector<std::string>> newer_parts = seal_report_in_parts("r1", newer, kSecret, limit);
    ASSERT_TRUE(newer_parts);
    ReportAssembler crossing("r1");
    for (std::size_t i = 0; i + 1 < newer_parts->size(); ++i)
        EXPECT_FALSE(*crossing.add("w0", (*newer_parts)[i], kSecret));
    for (const std::string& part : *parts) EXPECT_FALSE(*crossing.add("w0", part, kSecret)) << "report 9 after 10";
    Result<std::optional<WorkerReport>> last = crossing.add("w0", newer_parts->back(), kSecret);
    ASSERT_TRUE(last && *last);
    EXPECT_EQ((*last)->seq, 10u);
    // A report that would take more than kMaxReportParts messages goes trimmed, saying so.
    for (int i = 0; i < 400; ++i) report.errors[fmt::format("{:0>200}", i)] = 1;
    parts = seal_report_in_parts("r1", report, kSecret, limit, &trimmed);
    ASSERT_TRUE(parts) << parts.status().message();
    ASSERT_EQ(parts->size(), 1u);
    EXPECT_NE(trimmed.find(fmt::format("more than {} messages", kMaxReportParts)), std::string::npos) << trimmed;
    Result<WorkerReport> opened = open_report("r1", "w0", parts->front(), kSecret);
    ASSERT_TRUE(opened);
    EXPECT_FALSE(opened->ok);
}

TEST(SealedMessages, AHeartbeatNamesTheVanishedWorkersALineEach) {
    const ControllerHeartbeat beat{7, {"w1", "rack2-load3"}};
    Result<std::string> state =
        open_controller_state("r1", seal_controller_state("r1", encode_heartbeat(beat), kSecret), kSecret);
    ASSERT_TRUE(state) << state.status().message();
    EXPECT_EQ(decode_heartbeat(*state), beat);
    EXPECT_EQ(decode_heartbeat("here 3"), (ControllerHeartbeat{3, {}}));
    for (std::string_view no :
         {"here", "gone", "here ", "here x", "here 3\n", "here 3\nw1\n", "here 3\nw/1", "here -1"})
        EXPECT_FALSE(decode_heartbeat(no)) << no;
}

TEST(WorkerIds, ANameThatIsNotOneTopicLevelIsRefused) {
    EXPECT_TRUE(check_worker_id("rack1-load3"));
    for (const std::string& id :
         std::vector<std::string>{"", "a/b", "w+", "#", std::string("w\0x", 3), "w\nx", "w\tx"}) {
        Status s = check_worker_id(id);
        EXPECT_FALSE(s) << id;
        EXPECT_NE(s.message().find("--id"), std::string::npos) << s.message();
    }
}

// --silence shorter than a worker's report interval would give up on live workers;
// refused before the broker is reached.
TEST(ControllerOptionsCheck, SilenceAndWaitOutsideTheirRangeAreRefusedAtOnce) {
    std::atomic<bool> stop{false};
    for (auto [silence, wait, said] : {std::tuple{1.0, 30.0, "--silence 1"},
                                       std::tuple{std::numeric_limits<double>::quiet_NaN(), 30.0, "--silence nan"},
                                       std::tuple{5.0, 0.0, "--wait-workers 0"}}) {
        ControllerOptions o;
        o.broker.port = 1;  // never reached
        o.args = {"publish", "-P", "1"};
        o.secret = kSecret;
        o.silence_s = silence;
        o.wait_workers_s = wait;
        ::testing::internal::CaptureStderr();
        int rc = run_controller(o, stop);
        std::string err = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(rc, 2) << err;
        EXPECT_NE(err.find(said), std::string::npos) << err;
    }
}

TEST(WorkerOptionsCheck, AnOrphanAfterThatIsNotAPositiveTimeIsRefusedAtOnce) {
    std::atomic<bool> stop{false};
    for (double orphan_after : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
        WorkerOptions o;
        o.broker.port = 1;  // never reached
        o.id = "w0";
        o.secret = kSecret;
        o.orphan_after_s = orphan_after;
        ::testing::internal::CaptureStderr();
        int rc = run_worker(
            o, [](const std::vector<std::string>&, RunObserver*) { return 0; }, stop);
        std::string err = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(rc, 2) << err;
        EXPECT_NE(err.find("--orphan-after"), std::string::npos) << err;
    }
}

// A start command is sealed, not encrypted: a secret in it would be readable by
// anyone on the cluster's broker. `command` given `option` with `value`, in both
// spellings, is refused with `said`, and the refusal does not repeat the value.
void expect_a_secret_on_the_command_line_refused(const std::vector<std::string>& command, const std::string& option,
                                                 const std::string& value, const std::string& said) {
    std::atomic<bool> stop{false};
    for (bool attached : {false, true}) {
        ControllerOptions o;
        o.broker.port = 1;  // never reached
        o.args = command;
        if (attached) {
            o.args.push_back(fmt::format("{}={}", option, value));
        } else {
            o.args.push_back(option);
            o.args.push_back(value);
        }
        o.secret = kSecret;
        ::testing::internal::CaptureStderr();
        int rc = run_controller(o, stop);
        std::string err = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(rc, 2) << err;
        EXPECT_NE(err.find(said), std::string::npos) << err;
        EXPECT_EQ(err.find(value), std::string::npos) << "the refusal does not repeat it: " << err;
    }
}

TEST(ControllerOptionsCheck, APasswordOnTheWorkersCommandLineIsRefusedForAPasswordFile) {
    expect_a_secret_on_the_command_line_refused({"publish", "-P", "1", "-u", "load"}, "--password", "hunter2",
                                                "give --password-file FILE instead");
}

TEST(ControllerOptionsCheck, AWebLoginOnTheWorkersCommandLineIsRefusedForALoginFile) {
    expect_a_secret_on_the_command_line_refused({"http", "-H", "http://127.0.0.1:1", "-u", "2"}, "--login",
                                                "alice:hunter2", "give --login-file FILE instead");
}

class Cluster : public ClusterHarness {
protected:
    // A controller dividing a publish load (`load`: its options) on the test's broker.
    std::unique_ptr<Process> controller(int workers, const std::string& load) {
        std::vector<std::string> command{"publish", "-p", std::to_string(broker_.port())};
        for (std::string& w : words(load)) command.push_back(std::move(w));
        return controller_process(workers, command);
    }

    // The controller's merged --json, once it ended well (exit code 0, "ok").
    static json::object merged_figures(Process& control) {
        int status = control.wait(std::chrono::seconds(60));
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << control.log();
        json::object merged = last_json(control.log());
        EXPECT_TRUE(merged.at("ok").as_bool()) << control.log();
        return merged;
    }

    // Stops `pid` (SIGSTOP) for `how_long`, then lets it go on.
    static void stop_for(pid_t pid, std::chrono::seconds how_long) {
        ::kill(pid, SIGSTOP);
        std::this_thread::sleep_for(how_long);
        ::kill(pid, SIGCONT);
    }

    // After a pause in the run (of the controller, or of the broker): it ended well, nobody
    // was counted vanished, and its totals are what the workers sent. The controller's log.
    std::string expect_nobody_given_up(Process& control) {
        json::object merged = merged_figures(control);
        std::string log = control.log();
        EXPECT_EQ(log.find("vanished"), std::string::npos) << log;
        std::uint64_t sent = 0;
        for (auto& w : workers_) {
            EXPECT_TRUE(run_ended(*w)) << w->log();
            sent += counter(last_json(w->log()), "sent");
        }
        EXPECT_EQ(counter(merged, "sent"), sent) << log;
        return log;
    }
};

TEST_F(Cluster, TheControllersTotalsAreTheSumOfWhatEachWorkerMeasured) {
    start_workers(2);
    json::object merged = merged_figures(*controller(2, "-P 3 -n 150 -T 100 --json --quiet"));
    std::uint64_t sent = 0, confirmed = 0, timed = 0, connects = 0;
    double slowest_connect_ms = 0;
    for (auto& w : workers_) {
        ASSERT_TRUE(run_ended(*w)) << w->log();
        json::object own = last_json(w->log());
        sent += counter(own, "sent");
        confirmed += counter(own, "confirmed");
        timed += own.at("latency").as_object().at("count").to_number<std::uint64_t>();
        const json::object& connect = own.at("connect").as_object();
        connects += connect.at("count").to_number<std::uint64_t>();
        slowest_connect_ms = std::max(slowest_connect_ms, connect.at("max_ms").to_number<double>());
    }
    EXPECT_EQ(sent, 3u * 150);
    EXPECT_EQ(counter(merged, "sent"), sent);
    EXPECT_EQ(counter(merged, "confirmed"), confirmed);
    EXPECT_EQ(merged.at("latency").as_object().at("count").to_number<std::uint64_t>(), timed);
    // The clients' connect times too, as one run reports them.
    EXPECT_EQ(connects, 3u);
    EXPECT_EQ(merged.at("connect").as_object().at("count").to_number<std::uint64_t>(), connects);
    EXPECT_EQ(merged.at("connect").as_object().at("max_ms").to_number<double>(), slowest_connect_ms);
    // Each worker's clients had ids of its own: the broker took all three.
    std::string log = broker_.log();
    for (const char* id : {"lampi-load-w0-1", "lampi-load-w1-0"}) EXPECT_NE(log.find(id), std::string::npos) << id;
}

// A malaria command line on a cluster prints malaria's blocks as one run does: one
// per client of every worker, then their aggregate over all of them.
TEST_F(Cluster, AMalariaCommandLinePrintsEveryWorkersClientsInMalariasBlocks) {
    start_workers(2);
    controller_json_ = false;
    auto control = controller(2, "-P 3 -n 20 -T 100 -q 1");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    std::string log = control->log();
    std::size_t blocks = 0;
    for (std::size_t at = log.find("Clientid: lampi-load-"); at != std::string::npos;
         at = log.find("Clientid: lampi-load-", at + 1))
        ++blocks;
    EXPECT_EQ(blocks, 3u) << log;
    for (const char* client :
         {"Clientid: lampi-load-w0-0\n", "Clientid: lampi-load-w0-1\n", "Clientid: lampi-load-w1-0\n"})
        EXPECT_NE(log.find(client), std::string::npos) << client << "\n" << log;
    std::size_t aggregate = log.find("Clientid: Aggregate stats (simple avg) for 3 processes\n");
    ASSERT_NE(aggregate, std::string::npos) << log;
    EXPECT_EQ(log.find("Message succes rate: 100.00% (60/60 messages)", aggregate),
              log.find("Message succes rate", aggregate))
        << log;
}

// With the smallest --max-message-bytes, the workers' reports go in parts, and the
// controller's totals still hold every latency each worker measured: none is sent
// without its histogram.
TEST_F(Cluster, ReportsOverTheBrokersLimitGoInPartsAndTheMergeKeepsEveryLatency) {
    const std::string limit = std::to_string(kMinMaxMessageBytes);
    cluster_flags_ = {"--max-message-bytes", limit};  // the controller's and the workers'
    start_workers(2);
    // Enough latencies to fill a report's worth of buckets.
    json::object merged = merged_figures(*controller(2, "-P 4 -n 1000 -T 500 --json --quiet"));
    std::uint64_t timed = 0;
    for (auto& w : workers_) {
        ASSERT_TRUE(run_ended(*w)) << w->log();
        EXPECT_NE(w->log().find("go in parts"), std::string::npos) << w->log();
        EXPECT_EQ(w->log().find("without its latency histogram"), std::string::npos) << w->log();
        timed += last_json(w->log()).at("latency").as_object().at("count").to_number<std::uint64_t>();
    }
    EXPECT_EQ(timed, 4u * 1000);
    EXPECT_EQ(merged.at("latency").as_object().at("count").to_number<std::uint64_t>(), timed);
}

// -P 5 on two workers is five clients, three on the first and two on the second,
// and the run sends what one run of five clients sends.
// lampi-load's own options that take a value reach the splitter: a client id prefix and a
// topic that look like -P totals are sent as they are.
TEST_F(Cluster, ATopicOrClientIdThatLooksLikeATotalIsLeftAsItIs) {
    start_workers(2);
    auto control = controller(2, "-c -Pfx --topic -P5/{client} -P 3 -n 2 --quiet");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    EXPECT_NE(control->log().find("w0 (2 clients), w1 (1 clients)"), std::string::npos) << control->log();
    json::object merged = last_json(control->log());
    EXPECT_EQ(counter(merged, "confirmed"), 3u * 2) << control->log();
    ASSERT_TRUE(lampi::testing::eventually([&] { return workers_[0]->log().find("-Pfx-w0-0") != std::string::npos; },
                                           std::chrono::seconds(10)))
        << workers_[0]->log();
}

TEST_F(Cluster, TheClientsAreSplitAmongTheWorkersSoTheRunIsTheSizeOfOneRun) {
    start_workers(2);
    auto control = controller(2, "-P 5 -n 40 --json --quiet");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    json::object merged = last_json(control->log());
    EXPECT_EQ(merged.at("clients").to_number<int>(), 5) << control->log();
    EXPECT_EQ(counter(merged, "sent"), 5u * 40);
    EXPECT_EQ(counter(merged, "confirmed"), 5u * 40);
    const json::array& shares = merged.at("workers").as_array();
    ASSERT_EQ(shares.size(), 2u);
    std::map<std::string, int> by_worker;
    for (const auto& w : shares) by_worker[std::string(w.at("id").as_string())] = w.at("clients").to_number<int>();
    EXPECT_EQ(by_worker, (std::map<std::string, int>{{"w0", 3}, {"w1", 2}})) << control->log();
    EXPECT_NE(control->log().find("w0 (3 clients), w1 (2 clients)"), std::string::npos) << control->log();

    // Each worker ran its share as its own run reports it, and the broker saw exactly those five clients.
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        ASSERT_TRUE(run_ended(*workers_[i])) << workers_[i]->log();
        json::object own = last_json(workers_[i]->log());
        EXPECT_EQ(own.at("clients").to_number<int>(), i == 0 ? 3 : 2) << workers_[i]->log();
        EXPECT_EQ(counter(own, "sent"), (i == 0 ? 3u : 2u) * 40);
    }
    std::string log = broker_.log();
    for (const char* id : {"lampi-load-w0-0", "lampi-load-w0-2", "lampi-load-w1-0", "lampi-load-w1-1"})
        EXPECT_NE(log.find(fmt::format("{} ", id)), std::string::npos) << id << "\n" << log;
    for (const char* id : {"lampi-load-w0-3", "lampi-load-w1-2"})
        EXPECT_EQ(log.find(fmt::format("{} ", id)), std::string::npos) << id << " should not exist:\n" << log;
}

// Under qemu-user (the arm64 run) the test's own relay and every process run many
// times slower and unevenly: a test whose seconds are the point (a link's delay
// against a stop condition, a stop against --silence) would measure the emulator,
// so it is built only for the machine's own architecture.
#ifndef LAMPI_TESTS_EMULATED
// A publishers' ramp over two workers, against a broker behind a link that slows
// every message by 400 ms past four connections: the controller steps both
// workers' clients up on their merged figures, stops at the step whose p99 crosses
// 200 ms and finds the knee one run would, 4 clients; the workers finish as planned.
TEST_F(Cluster, APublishersRampOverTheWorkersStepsThemUpTogetherAndFindsTheKneeOfOneRun) {
    lampi::testing::TcpProxy link(broker_.port());
    link.slow_past(4, std::chrono::milliseconds(400));
    // Once, with the ASan suite running beside, both workers' reports stayed away for 5 s at
    // the first step (each worker now says when its report is late): not counted vanished so.
    silence_ = "10";
    start_workers(2);
    auto control = controller_process(2, {"publish", "-p", std::to_string(link.port()), "-T", "20", "--step-users", "2",
                                          "--step-time", "3", "--stop-when", "p99>200ms", "--json", "--quiet"});
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    std::string log = control->log();
    ASSERT_EQ(WEXITSTATUS(status), 0) << log << "\nw0:\n" << workers_[0]->log() << "\nw1:\n" << workers_[1]->log();
    expect_the_knee_of_four_over_two_workers(log, "clients");
    EXPECT_EQ(link.most_connections(), 6) << "no step past the one that met the condition";
    // Each worker's clients kept ids of their own, three each, as one run of three numbers them.
    std::string broker_log = broker_.log();
    for (const char* id : {"lampi-load-w0-2", "lampi-load-w1-2"})
        EXPECT_NE(broker_log.find(id), std::string::npos) << id;
    for (const char* id : {"lampi-load-w0-3", "lampi-load-w1-3"})
        EXPECT_EQ(broker_log.find(id), std::string::npos) << id << ": a client past the knee's step";
}
#endif

// The controller refuses, before waiting for any worker, a run it cannot divide.
TEST_F(Cluster, FewerClientsThanWorkersIsRefusedAtOnce) {
    auto control = controller(3, "-P 2 -n 1");
    int status = control->wait(std::chrono::seconds(10));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << control->log();
    EXPECT_NE(control->log().find("-P 2 is fewer clients than the 3 workers"), std::string::npos) << control->log();
}

// A share the workers' own parser would refuse is refused by the controller,
// before it waits for any worker: -P 3000000 on two is 1.5 million clients each,
// over a run's limit; an option lampi-load does not know.
TEST_F(Cluster, AShareTheWorkersWouldRefuseIsRefusedBeforeAnyWorkerIsWaitedFor) {
    cluster_flags_ = {"--wait-workers", "3"};
    for (auto [load, said] :
         {std::pair{"-P 3000000 -n 1", "1500000"}, std::pair{"-P 2 --no-such-option", "--no-such"}}) {
        auto control = controller(2, load);
        int status = control->wait(std::chrono::seconds(10));
        ASSERT_TRUE(WIFEXITED(status)) << control->log();
        EXPECT_EQ(WEXITSTATUS(status), 2) << control->log();
        std::string log = control->log();
        EXPECT_NE(log.find("the share of worker 1 of 2 cannot run"), std::string::npos) << log;
        EXPECT_NE(log.find(said), std::string::npos) << log;
        EXPECT_EQ(log.find("workers were ready"), std::string::npos) << "refused before waiting: " << log;
    }
}

// A worker whose run cannot start (here: an open-file limit of 64 it may not
// raise, for 100 clients) sends a final report saying why; the controller prints
// it and counts the worker failed, not vanished.
TEST_F(Cluster, AWorkerWhoseRunCannotStartSaysWhyAndTheControllerPrintsIt) {
    worker_launcher_ = {"/usr/bin/prlimit", "--nofile=64:64"};
    // Root may raise its hard limit: not without CAP_SYS_RESOURCE.
    if (::geteuid() == 0)
        worker_launcher_.insert(worker_launcher_.begin(), {"/usr/bin/setpriv", "--bounding-set=-sys_resource"});
    start_workers(1);
    auto control = controller(1, "-P 100 -n 1 --json --quiet");
    int status = control->wait(std::chrono::seconds(30));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 1) << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("worker w0's run failed: its run did not start (exit code 2): 100 connections need"),
              std::string::npos)
        << log << "\nthe worker:\n"
        << workers_[0]->log();
    EXPECT_NE(log.find("ulimit -Hn"), std::string::npos) << "what to do: " << log;
    EXPECT_EQ(log.find("vanished"), std::string::npos) << log;
    json::object merged = last_json(log);
    EXPECT_EQ(merged.at("workers").as_array()[0].at("state").as_string(), "failed") << log;
}

// The start command is refused, with its size, when the broker would drop it:
// Mosquitto acknowledges a QoS 1 message over message_size_limit (4 KiB in the
// platform's configuration, and the test broker's) and discards it.
TEST_F(Cluster, AStartCommandOverTheBrokersMessageLimitIsRefusedWithItsSize) {
    start_workers(1);
    auto control = controller(1, "-P 1 -n 1 --topic " + std::string(5000, 't'));
    int status = control->wait(std::chrono::seconds(30));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("the start command for worker w0 is"), std::string::npos) << log;
    EXPECT_NE(log.find("bytes, over the 4096 bytes of --max-message-bytes"), std::string::npos) << log;
    EXPECT_EQ(workers_[0]->log().find("ended with exit code"), std::string::npos) << workers_[0]->log();
}

// The controller's broker goes away for a few seconds (a network drop on its
// side), longer than --silence: nobody is given up while the controller cannot
// hear, and the run ends as planned with every worker's figures.
TEST_F(Cluster, AShortOutageOfTheControllersBrokerDoesNotEndTheRun) {
    TestBroker cluster(dir_.path(), "cluster");
    cluster_port_ = cluster.port();
    // The outage outlasts --silence, so counting silence through it gives everyone up;
    // after it, the workers have those 4 s to reconnect and report, even on a loaded machine.
    silence_ = "4";
    start_workers(2);
    auto control = controller(2, "-P 2 -T 20 -d 15 --json --quiet");
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    cluster.stop();
    std::this_thread::sleep_for(std::chrono::seconds(6));
    cluster.start();
    expect_the_run_outlived_the_break(*control);
}

// Built for the machine's own architecture only, as the publishers' ramp test
// above: a stop against --silence is the test, and qemu-user stretches every second.
#ifndef LAMPI_TESTS_EMULATED
// The controller is stopped (SIGSTOP) for longer than --silence, then continued:
// it heard nobody meanwhile, so it gives nobody up, and the run ends as planned
// with every worker's figures.
TEST_F(Cluster, AControllerStoppedForAWhileGivesNobodyUpOnItsReturn) {
    silence_ = "3";
    start_workers(2);
    auto control = controller(2, "-P 2 -T 20 -d 9 --json --quiet");
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stop_for(control->pid(), std::chrono::seconds(5));
    std::string log = expect_nobody_given_up(*control);
    EXPECT_NE(log.find("(stopped, or starved of the CPU); the workers' silence counts from now"), std::string::npos)
        << log;
}

// A broker stalled for longer than --silence (stopped, or starved of the CPU) carries
// nobody's messages: the controller, not hearing its own heartbeat come back either,
// counts the workers' silence only from the broker's return. Set up as the test
// above on purpose: only what is paused differs.
TEST_F(Cluster, ABrokerStalledForAWhileGivesNobodyUp) {
    silence_ = "3";
    start_workers(2);
    auto control = controller(2, "-P 2 -T 20 -d 10 --json --quiet");
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    stop_for(broker_.pid(), std::chrono::seconds(6));
    std::string log = expect_nobody_given_up(*control);
    EXPECT_NE(log.find("its own heartbeat has not come back"), std::string::npos) << log;
    EXPECT_NE(log.find("its own heartbeat comes back through the broker again"), std::string::npos) << log;
}
#endif

// A break between the controller and a broker that stays up, while the workers end
// their runs: their final reports wait on the broker (the controller's session) and
// reach it on its return, so nobody is counted vanished.
TEST_F(Cluster, FinalReportsSentWhileTheControllerIsCutOffReachItOnItsReturn) {
    silence_ = "4";
    start_workers(2);
    lampi::testing::TcpProxy link(broker_.port());
    cluster_port_ = link.port();  // the controller's way to the broker; the workers have their own
    auto control = controller(2, "-P 2 -T 20 -d 3 --json --quiet");
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    link.cut();
    for (auto& w : workers_) ASSERT_TRUE(run_ended(*w, std::chrono::seconds(20))) << w->log();
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the final reports are on the broker by now
    link.restore();
    expect_the_run_outlived_the_break(*control);
}

// A break shorter than the workers' --orphan-after: the broker says the controller
// is gone (its Will), then back, and the shares run to their end.
TEST_F(Cluster, AControllerBackWithinOrphanAfterKeepsItsRunGoing) {
    silence_ = "4";
    // The controller is back up to 5 s after its link (libmosquitto retries after 1, 2, 4,
    // then every 5 s): a 6 s --orphan-after was passed under bench/stress.sh (back after
    // 6.7 s), when the workers took over 2 s to say they had heard the Will.
    worker_flags_ = {"--orphan-after", "12"};
    start_workers(2);
    lampi::testing::TcpProxy link(broker_.port());
    cluster_port_ = link.port();
    // Long enough that a worker deaf to "back" would end its share about 5 s before -d.
    auto control = controller(2, "-P 2 -T 20 -d 18 --json --quiet");
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    link.cut();
    for (auto& w : workers_)
        ASSERT_TRUE(lampi::testing::eventually(
            [&] { return w->log().find("is gone; its share ends unless") != std::string::npos; },
            std::chrono::seconds(10)))
            << "the broker sent the controller's Will: " << w->log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    link.restore();
    expect_the_run_outlived_the_break(*control);
    for (auto& w : workers_) EXPECT_EQ(w->log().find("its controller was gone"), std::string::npos) << w->log();
}

// A controller killed mid-run says nothing, but the broker sends its Will: each
// worker ends its share once the controller has been gone --orphan-after, instead
// of loading the target for the rest of -d 60, and waits for the next run.
TEST_F(Cluster, TheSharesOfAKilledControllerEndOnceItHasBeenGoneOrphanAfter) {
    worker_flags_ = {"--orphan-after", "2"};
    start_workers(2);
    auto control = controller(2, "-P 2 -T 20 -d 60 --json --quiet");
    std::string run = run_of(*control);
    ASSERT_FALSE(run.empty()) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto killed = std::chrono::steady_clock::now();
    control->kill9();
    for (auto& w : workers_) {
        ASSERT_TRUE(
            lampi::testing::eventually([&] { return w->log().find(" ended with exit code ") != std::string::npos; },
                                       std::chrono::seconds(30)))
            << w->log();
        double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
        EXPECT_GE(took, 2.0) << "not before --orphan-after: " << w->log();
        EXPECT_LT(took, 20.0) << "long before the end of -d 60: " << w->log();
        EXPECT_NE(w->log().find("stopped: its controller was gone for 2 s"), std::string::npos) << w->log();
        EXPECT_TRUE(w->running()) << w->log();
    }
    // The controller's Will ("gone", retained) was cleared by the workers it left.
    lampi::testing::MqttProbe late(broker_.port(), {controller_topic(run), "marker"});
    ASSERT_TRUE(late.wait_connected());
    ASSERT_TRUE(late.publish("marker", "after any retained message", 1, false));
    ASSERT_TRUE(late.wait_for("marker"));
    EXPECT_TRUE(late.messages(controller_topic(run)).empty()) << "a retained state is left for run " << run;
}

// Ctrl-C on the controller ends the run everywhere, as it ends a single run: the
// workers stop their shares at once (not at -d 60) and the summary has their figures.
TEST_F(Cluster, CtrlCOnTheControllerEndsTheWorkersSharesAndPrintsTheirFinalFigures) {
    start_workers(2);
    auto control = controller(2, "-P 2 -T 20 -d 60 --json --quiet");
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    auto interrupted = std::chrono::steady_clock::now();
    int status = control->stop(SIGINT, std::chrono::seconds(40));
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - interrupted).count();
    std::string log = control->log();
    ASSERT_TRUE(WIFEXITED(status)) << log;
    EXPECT_EQ(WEXITSTATUS(status), 1) << "an interrupted run is not a success: " << log;
    EXPECT_NE(log.find("the workers were told to stop"), std::string::npos) << log;
    EXPECT_LT(took, 15) << "the final figures came within the grace, not at the run's end: " << log;
    json::object merged = last_json(log);
    std::uint64_t sent = 0;
    std::string failures = json::serialize(merged.at("failures"));
    for (const auto& w : merged.at("workers").as_array()) {
        EXPECT_EQ(w.at("state").as_string(), "failed") << "its final report came: " << log;
        std::string id(w.at("id").as_string());
        EXPECT_NE(failures.find("worker " + id + ": interrupted before the end"), std::string::npos) << log;
        sent += counter(w.as_object(), "sent");
    }
    EXPECT_GT(sent, 0u) << log;
    EXPECT_EQ(counter(merged, "sent"), sent) << log;
    // Each worker ended its share and waits for the next run.
    for (auto& w : workers_) {
        EXPECT_TRUE(
            lampi::testing::eventually([&] { return w->log().find("stopped by its controller") != std::string::npos; },
                                       std::chrono::seconds(5)))
            << w->log();
        EXPECT_TRUE(w->running()) << w->log();
    }
}

TEST_F(Cluster, AWorkerKilledMidRunIsReportedAndTheRunGoesOnWithTheOthers) {
    start_workers(2);
    auto control = controller(2, "-P 2 -T 50 -d 5 --json --quiet");
    // Once the run is under way on both, one worker dies without a word.
    ASSERT_TRUE(lampi::testing::eventually([&] { return broker_.log().find("lampi-load-w1-0") != std::string::npos; },
                                           std::chrono::seconds(20)))
        << broker_.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    workers_[1]->kill9();
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 1) << "a vanished worker fails the run: " << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("worker w1 vanished"), std::string::npos) << log;
    // Told by its sealed Will, once the --silence seconds it had to come back are over.
    EXPECT_NE(log.find("its Will said gone"), std::string::npos) << log;
    EXPECT_NE(log.find("the run goes on"), std::string::npos) << log;
    json::object merged = last_json(log);
    const json::array& workers = merged.at("workers").as_array();
    ASSERT_EQ(workers.size(), 2u);
    std::uint64_t survivor_sent = 0, vanished_sent = 0;
    for (const auto& w : workers) {
        const json::object& o = w.as_object();
        if (o.at("id").as_string() == "w0") {
            EXPECT_EQ(o.at("state").as_string(), "done");
            EXPECT_GE(o.at("last_heard_s").to_number<double>(), 4.5) << "w0 ran its whole 5 s";
            survivor_sent = counter(o, "sent");
        } else {
            EXPECT_EQ(o.at("state").as_string(), "vanished");
            vanished_sent = counter(o, "sent");
        }
    }
    // The survivor's own report and the controller's view of it agree; the vanished
    // worker's figures up to its last report count too.
    json::object own = last_json(workers_[0]->log());
    EXPECT_EQ(survivor_sent, counter(own, "sent"));
    EXPECT_GT(vanished_sent, 0u);
    EXPECT_EQ(counter(merged, "sent"), survivor_sent + vanished_sent);
}

// A controller whose clock is two minutes behind its worker's: the worker refuses
// the start and tells that run why, so its controller can print the reason
// instead of waiting and counting the worker vanished.
TEST_F(Cluster, AStartRefusedForItsTimeTellsItsRunWhy) {
    start_workers(1);
    lampi::testing::MqttProbe controller_side(broker_.port(), {report_topic("skewed", "w0")}, "skewed-controller");
    ASSERT_TRUE(controller_side.wait_connected());
    StartCommand skewed{"skewed",
                        {{"w0", {"publish", "-p", std::to_string(broker_.port()), "-c", "skewed", "-n", "1"}}},
                        wall_ms() - 2 * kStartMaxAgeMs};
    ASSERT_TRUE(controller_side.publish_acknowledged(start_topic(), seal_start(skewed, kSecret)));
    std::optional<lampi::MqttMessage> message =
        controller_side.wait_for(report_topic("skewed", "w0"), nullptr, std::chrono::seconds(20));
    ASSERT_TRUE(message) << workers_[0]->log();
    Result<WorkerReport> report = open_report("skewed", "w0", message->payload, kSecret);
    ASSERT_TRUE(report) << report.status().message();
    EXPECT_TRUE(report->done);
    EXPECT_FALSE(report->ok);
    ASSERT_EQ(report->failures.size(), 1u);
    EXPECT_NE(report->failures[0].find("was issued -120"), std::string::npos) << report->failures[0];
    EXPECT_NE(report->failures[0].find("set the clocks of the controller and this worker right"), std::string::npos)
        << report->failures[0];
    EXPECT_EQ(broker_.log().find("skewed-w0"), std::string::npos) << "it did not run: " << broker_.log();
}

// Anyone on the cluster's broker (it has no login) publishes start commands naming
// a worker: the bare command a worker used to run, one sealed with a guessed
// secret, a genuine one replayed after its time. The worker runs none of them,
// and still runs what its controller sends.
TEST_F(Cluster, AWorkerRunsNoStartCommandItsControllerDidNotSeal) {
    start_workers(1);
    lampi::testing::MqttProbe attacker(broker_.port(), {}, "someone-else");
    ASSERT_TRUE(attacker.wait_connected());
    auto forged = [&](const std::string& run) {
        return StartCommand{run,
                            {{"w0", {"publish", "-p", std::to_string(broker_.port()), "-c", run, "-n", "1"}}},
                            wall_ms()};
    };
    ASSERT_TRUE(attacker.publish_acknowledged(start_topic(), encode_start(forged("forged-bare"))));
    ASSERT_TRUE(attacker.publish_acknowledged(start_topic(),
                                              seal_start(forged("forged-guess"), "a guessed secret, long enough")));
    StartCommand replayed = forged("forged-replay");
    replayed.issued_at_ms -= 2 * kStartMaxAgeMs;
    ASSERT_TRUE(attacker.publish_acknowledged(start_topic(), seal_start(replayed, kSecret)));
    ASSERT_TRUE(lampi::testing::eventually(
        [&] {
            std::string log = workers_[0]->log();
            std::size_t refusals = 0;
            for (std::size_t at = log.find("refused a start command"); at != std::string::npos;
                 at = log.find("refused a start command", at + 1))
                ++refusals;
            return refusals == 3;
        },
        std::chrono::seconds(10)))
        << workers_[0]->log();

    auto control = controller(1, "-P 1 -n 5 --json --quiet");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    std::string log = broker_.log();
    EXPECT_EQ(log.find("forged-"), std::string::npos) << "a forged run reached the broker:\n" << log;
    EXPECT_NE(log.find("lampi-load-w0-0"), std::string::npos) << log;
    EXPECT_EQ(workers_[0]->log().find("run forged-"), std::string::npos) << workers_[0]->log();
}

// --csv and --report write the merged figures with the writers a single run uses.
TEST_F(Cluster, TheMergedFiguresGoToTheCsvAndHtmlFilesASingleRunWrites) {
    start_workers(2);
    std::string prefix = dir_ / "merged";
    std::string html = dir_ / "merged.html";
    cluster_flags_ = {"--csv", prefix, "--report", html};
    auto control = controller(2, "-P 3 -n 20 --quiet");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();

    std::istringstream summary(lampi::testing::read_file(prefix + "_summary.csv"));
    std::string header, row;
    ASSERT_TRUE(std::getline(summary, header) && std::getline(summary, row)) << summary.str();
    EXPECT_EQ(header, "scenario,ok,duration_s,sent,confirmed,received,errors,p50_ms,p90_ms,p99_ms,p999_ms,max_ms");
    std::vector<std::string> fields;
    std::istringstream cells(row);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    ASSERT_EQ(fields.size(), 12u) << row;
    EXPECT_EQ(fields[0], "publish");
    EXPECT_EQ(fields[1], "1");
    EXPECT_EQ(fields[3], "60") << "sent: " << row;
    EXPECT_EQ(fields[4], "60") << "confirmed: " << row;
    EXPECT_GT(std::stod(fields[7]), 0.0) << "p50: " << row;

    // The page carries the same figures as JSON, as a single run's does.
    std::string page = lampi::testing::read_file(html);
    std::string open = R"(<script type="application/json" id="lampi-load-data">)";
    std::size_t at = page.find(open);
    ASSERT_NE(at, std::string::npos) << page.substr(0, 500);
    at += open.size();
    json::object data = json::parse(page.substr(at, page.find("</script>", at) - at)).as_object();
    EXPECT_EQ(counter(data, "sent"), 60u);
    EXPECT_EQ(data.at("clients").to_number<int>(), 3);
    // And the merged per-second series, in both (the workers' final reports make at least its last second).
    const json::array& series = data.at("series").as_array();
    ASSERT_FALSE(series.empty()) << json::serialize(data);
    double most_confirmed_per_s = 0;
    for (const auto& row : series)
        most_confirmed_per_s = std::max(most_confirmed_per_s, row.at("confirmed_per_s").to_number<double>());
    EXPECT_GT(most_confirmed_per_s, 0.0) << json::serialize(series);
    EXPECT_GT(series.back().at("p50_ms").to_number<double>(), 0.0) << json::serialize(series);
    EXPECT_GT(data.at("confirmed_per_s").to_number<double>(), 0.0) << "over the longest worker's run";
    EXPECT_EQ(data.at("peak_connections").to_number<int>(), 3) << "the sum of the workers' peaks";
    std::istringstream series_csv(lampi::testing::read_file(prefix + "_series.csv"));
    std::size_t csv_lines = 0;
    for (std::string line; std::getline(series_csv, line);) ++csv_lines;
    EXPECT_EQ(csv_lines, series.size() + 1) << "a header and one row per second";
    EXPECT_NE(std::string(data.at("description").as_string()).find("w0: 2 clients, w1: 1 clients"), std::string::npos)
        << data.at("description");
}

// Someone on the broker announces workers that do not exist: an unsealed "ready"
// (what workers used to send) and one sealed with a guessed secret. The
// controller counts only the real worker, says so once for each forger, and
// gives up waiting for a second.
TEST_F(Cluster, AForgedHelloIsNotAReadyWorker) {
    start_workers(1);
    lampi::testing::MqttProbe attacker(broker_.port(), {}, "someone-else");
    ASSERT_TRUE(attacker.wait_connected());
    ASSERT_TRUE(attacker.publish(hello_topic("w8"), "ready", 1, true));
    ASSERT_TRUE(
        attacker.publish(hello_topic("w9"),
                         seal_hello("w9", Hello{"ready", wall_ms(), wall_ms()}, "a guessed secret, long enough"), 1,
                         true));
    ASSERT_TRUE(attacker.publish_acknowledged(hello_topic("w9"), seal_hello("w9", Hello{"ready", wall_ms(), wall_ms()},
                                                                            "a guessed secret, long enough")));
    // A genuine "ready" of a worker that has gone, seen on the broker two minutes ago and sent again.
    const std::string replayed = seal_hello("w7", Hello{"ready", wall_ms() - 120'000, wall_ms() - 120'000}, kSecret);
    ASSERT_TRUE(attacker.publish(hello_topic("w7"), replayed, 1, true));
    ASSERT_TRUE(attacker.publish_acknowledged(hello_topic("w7"), replayed));
    cluster_flags_ = {"--wait-workers", "3"};
    auto control = controller(2, "-P 2 -n 1");
    int status = control->wait(std::chrono::seconds(30));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("1 of 2 workers were ready"), std::string::npos) << log;
    for (const char* forger : {"w8", "w9"}) {
        std::string said = fmt::format("ignored a hello on worker {}'s topic", forger);
        std::size_t first = log.find(said);
        EXPECT_NE(first, std::string::npos) << said << "\n" << log;
        EXPECT_EQ(log.find(said, first + 1), std::string::npos) << "said once: " << log;
    }
    // 120 s and however long the controller took to start and subscribe.
    EXPECT_NE(log.find("ignored worker w7's \"ready\": it was sealed 1"), std::string::npos) << log;
    EXPECT_EQ(broker_.log().find("lampi-load-w8"), std::string::npos);
}

// A "gone" of an earlier process of a worker, seen on the broker and sent again,
// does not take the running worker off the controller's list: it says so, and
// still counts the worker ready.
TEST_F(Cluster, AReplayedGoneOfAnEarlierWorkerProcessDoesNotTakeTheRunningOneOff) {
    start_workers(1);
    cluster_flags_ = {"--wait-workers", "5"};
    auto control = controller(2, "-P 2 -n 1");
    lampi::testing::MqttProbe attacker(broker_.port(), {}, "someone-else");
    ASSERT_TRUE(attacker.wait_connected());
    const std::int64_t earlier = wall_ms() - 60'000;
    const std::string replayed = seal_hello("w0", Hello{"gone", earlier, earlier}, kSecret);
    // Again and again, so that some arrive once the controller listens.
    for (int i = 0; i < 15; ++i) {
        ASSERT_TRUE(attacker.publish_acknowledged(hello_topic("w0"), replayed));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    int status = control->wait(std::chrono::seconds(30));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("ignored a \"gone\" of worker w0 older than one it had"), std::string::npos) << log;
    EXPECT_NE(log.find("1 of 2 workers were ready"), std::string::npos) << log;
}

// Someone on the broker overwrites a worker's retained "ready": an idle worker says
// it again within kHelloEveryMs, so a controller started after the overwrite finds it.
TEST_F(Cluster, AnOverwrittenRetainedHelloComesBackWithinItsHeartbeat) {
    start_workers(1);
    lampi::testing::MqttProbe attacker(broker_.port(), {}, "someone-else");
    ASSERT_TRUE(attacker.wait_connected());
    ASSERT_TRUE(attacker.publish(hello_topic("w0"), "", 1, true));
    ASSERT_TRUE(attacker.publish_acknowledged(hello_topic("w0"), ""));
    cluster_flags_ = {"--wait-workers", std::to_string(kHelloEveryMs / 1000 + 10)};
    auto control = controller(1, "-P 1 -n 5 --quiet");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    EXPECT_EQ(counter(last_json(control->log()), "confirmed"), 5u) << control->log();
}

// During a run, someone on the broker publishes reports on the worker's topic:
// the bare kind workers used to send, and one sealed with a guessed secret,
// both claiming a million messages and the end of the run. The controller's
// totals are still the worker's.
TEST_F(Cluster, AForgedReportDoesNotChangeTheTotals) {
    start_workers(1);
    auto control = controller(1, "-P 2 -n 60 -T 20 --json --quiet");
    std::string run = run_of(*control);
    ASSERT_FALSE(run.empty()) << control->log();
    lampi::testing::MqttProbe attacker(broker_.port(), {}, "someone-else");
    ASSERT_TRUE(attacker.wait_connected());
    WorkerReport forged;
    forged.worker = "w0";
    forged.seq = 1'000'000;
    forged.done = true;
    forged.counters[static_cast<std::size_t>(Counter::sent)] = 1'000'000;
    forged.counters[static_cast<std::size_t>(Counter::completed)] = 1'000'000;
    ASSERT_TRUE(attacker.publish_acknowledged(report_topic(run, "w0"), encode_report(forged)));
    ASSERT_TRUE(attacker.publish_acknowledged(report_topic(run, "w0"),
                                              seal_report(run, forged, "a guessed secret, long enough")));

    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    json::object merged = last_json(control->log());
    EXPECT_EQ(counter(merged, "sent"), 2u * 60) << control->log();
    EXPECT_EQ(counter(merged, "confirmed"), 2u * 60) << control->log();
    std::string log = control->log();
    std::string said = "ignored a report on worker w0's topic";
    std::size_t first = log.find(said);
    EXPECT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find(said, first + 1), std::string::npos) << "said once: " << log;
}

// Without a secret, neither end starts: a worker that ran unsealed commands would
// run anyone's.
TEST_F(Cluster, NeitherEndStartsWithoutASecretFileOfItsOwn) {
    std::string broker = fmt::format("127.0.0.1:{}", broker_.port());
    Process bare({LAMPI_LOAD_BINARY, "worker", "--controller", broker, "--id", "w9"}, dir_ / "bare.log");
    bare.start();
    int status = bare.wait(std::chrono::seconds(10));
    ASSERT_TRUE(WIFEXITED(status)) << bare.log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << bare.log();
    ASSERT_EQ(::chmod(secret_file_.c_str(), 0644), 0);
    Process readable({LAMPI_LOAD_BINARY, "worker", "--controller", broker, "--secret-file", secret_file_},
                     dir_ / "readable.log");
    readable.start();
    status = readable.wait(std::chrono::seconds(10));
    ASSERT_TRUE(WIFEXITED(status)) << readable.log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << "a secret others can read is refused: " << readable.log();
}

// The cluster's broker as it should be run: TLS with a certificate from the
// platform's CA, client certificates required, and a login. The load itself
// goes to broker_, a plain one.
class SecuredCluster : public Cluster {
protected:
    static constexpr std::string_view kPassword = "the workers' broker password";

    void SetUp() override {
        Cluster::SetUp();
        auto made = lampi::testing::make_loopback_ca(dir_.path());
        ASSERT_TRUE(made) << made.status().message();
        ca::CertificateAuthority& ca = made.value().authority;
        const ca::IssuedFiles* issued = &made->server;
        auto client = ca.issue_client("lampi-load-cluster", dir_ / "client");
        ASSERT_TRUE(client) << client.status().message();
        auto other = ca::CertificateAuthority::create(dir_ / "other-ca");
        ASSERT_TRUE(other) << other.status().message();
        ca_file_ = ca.ca_cert_path();
        other_ca_file_ = other->ca_cert_path();
        cert_file_ = client->cert_path;
        key_file_ = client->key_path;

        auto line = stack::mosquitto_password_line("load", kPassword);
        ASSERT_TRUE(line) << line.status().message();
        lampi::testing::write_file(dir_ / "broker-users", *line);
        password_file_ = write_secret("password", std::string(kPassword));
        stack::BrokerSettings settings;
        stack::ListenerTls tls;
        tls.ca_file = ca_file_;
        tls.cert_file = issued->cert_path;
        tls.key_file = issued->key_path;
        tls.require_certificate = true;
        settings.tls = tls;
        settings.allow_anonymous = false;
        settings.password_file = dir_ / "broker-users";
        secure_ = std::make_unique<TestBroker>(dir_.path(), "secure", settings);
        cluster_port_ = secure_->port();
        cluster_flags_ = flags(ca_file_, password_file_);
    }

    std::string write_secret(const std::string& name, const std::string& secret) {
        std::string path = dir_ / name;
        lampi::testing::write_file(path, secret + "\n");
        EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
        return path;
    }

    std::vector<std::string> flags(const std::string& ca, const std::string& password_file) const {
        return {"--cafile", ca,           "--cert", cert_file_,        "--key",
                key_file_,  "--username", "load",   "--password-file", password_file};
    }

    // A worker started with `flags`, to its end (it must not run).
    std::pair<int, std::string> refused_worker(const std::string& name, const std::vector<std::string>& flags) {
        std::vector<std::string> argv{LAMPI_LOAD_BINARY, "worker",    "--controller", cluster_broker(), "--id", name,
                                      "--secret-file",   secret_file_};
        argv.insert(argv.end(), flags.begin(), flags.end());
        Process worker(argv, dir_ / (name + ".log"));
        worker.start();
        int status = worker.wait(std::chrono::seconds(20));
        EXPECT_TRUE(WIFEXITED(status)) << worker.log();
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, worker.log()};
    }

    std::string ca_file_, other_ca_file_, cert_file_, key_file_, password_file_;
    std::unique_ptr<TestBroker> secure_;
};

TEST_F(SecuredCluster, WorkersWithTheRightCaCertificateAndLoginJoinAndTheRunCompletes) {
    start_workers(2);
    auto control = controller(2, "-P 2 -n 30 --json --quiet");
    int status = control->wait(std::chrono::seconds(60));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log() << "\nthe secured broker:\n" << secure_->log();
    json::object merged = last_json(control->log());
    EXPECT_EQ(counter(merged, "confirmed"), 2u * 30) << control->log();
    EXPECT_NE(workers_[0]->log().find("(TLS)"), std::string::npos) << workers_[0]->log();
    // The cluster's own connections used the secured broker, with the login.
    std::string log = secure_->log();
    for (const char* id : {"lampi-load-worker-w0", "lampi-load-worker-w1", "lampi-load-controller-"})
        EXPECT_NE(log.find(id), std::string::npos) << id << "\n" << log;
    EXPECT_NE(log.find(" u'load'"), std::string::npos) << log;
}

TEST_F(SecuredCluster, AWorkerWithAWrongPasswordOrCaIsRefusedAndSaysWhatToCheck) {
    auto [rc, log] = refused_worker("wrong-password", flags(ca_file_, write_secret("guess", "a guessed password")));
    EXPECT_EQ(rc, 2) << log;
    EXPECT_NE(log.find("refused the connection"), std::string::npos) << log;
    EXPECT_NE(log.find("--password-file"), std::string::npos) << log;

    std::tie(rc, log) = refused_worker("wrong-ca", flags(other_ca_file_, password_file_));
    EXPECT_EQ(rc, 2) << log;
    EXPECT_NE(log.find("certificate was not accepted"), std::string::npos) << log;
    EXPECT_NE(log.find("check that --cafile is the CA"), std::string::npos) << log;

    std::tie(rc, log) = refused_worker("no-login", {"--cafile", ca_file_, "--cert", cert_file_, "--key", key_file_});
    EXPECT_EQ(rc, 2) << log;
    EXPECT_NE(log.find("it may want a login"), std::string::npos) << log;

    std::tie(rc, log) = refused_worker("no-certificate",
                                       {"--cafile", ca_file_, "--username", "load", "--password-file", password_file_});
    EXPECT_EQ(rc, 2) << log;
    EXPECT_NE(log.find("--cert"), std::string::npos) << log;

    // The controller is held to the same.
    cluster_flags_ = flags(ca_file_, dir_ / "guess");
    auto control = controller(1, "-P 1 -n 1");
    int status = control->wait(std::chrono::seconds(20));
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 2) << control->log();
    EXPECT_NE(control->log().find("refused the connection"), std::string::npos) << control->log();
}

}  // namespace
}  // namespace lampi::load::cluster
