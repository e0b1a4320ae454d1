// GET /metrics and /livez: what lampi-cloud counts, in a format Prometheus reads,
// and who may read it. The counting itself is a few atomics on the request path.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "cloud_server.h"
#include "http_client.h"
#include "lampi/topics.h"
#include "metrics/broker_sys.h"
#include "metrics/cloud_metrics.h"
#include "postgres_server.h"
#include "process.h"
#include "prometheus_text.h"

namespace lampi::cloud {
namespace {

using namespace std::chrono_literals;
using testing::BrowserSession;
using testing::CloudServer;
using testing::HttpClient;

TEST(Instruments, AHistogramIsCumulativeUpToInfAndSumsInSeconds) {
    metrics::Histogram h;
    h.observe(50us);  // <= 0.0001
    h.observe(3ms);   // <= 0.005
    h.observe(3ms);
    h.observe(20s);  // +Inf only
    std::string out;
    metrics::write_family(out, "t_seconds", "histogram", "a test");
    metrics::write_histogram(out, "t_seconds", {{"route", R"(/a/"b"\c)"}}, h);
    auto text = testing::parse_prometheus_text(out);
    EXPECT_EQ(text.errors, std::vector<std::string>{});
    EXPECT_EQ(text.value(R"(t_seconds_bucket{route="/a/\"b\"\\c",le="0.0001"})"), 1);
    EXPECT_EQ(text.value(R"(t_seconds_bucket{route="/a/\"b\"\\c",le="0.0025"})"), 1);
    EXPECT_EQ(text.value(R"(t_seconds_bucket{route="/a/\"b\"\\c",le="0.005"})"), 3);
    EXPECT_EQ(text.value(R"(t_seconds_bucket{route="/a/\"b\"\\c",le="10"})"), 3);
    EXPECT_EQ(text.value(R"(t_seconds_bucket{route="/a/\"b\"\\c",le="+Inf"})"), 4);
    EXPECT_EQ(text.value(R"(t_seconds_count{route="/a/\"b\"\\c"})"), 4);
    EXPECT_NEAR(text.value(R"(t_seconds_sum{route="/a/\"b\"\\c"})"), 20.00605, 1e-9);
}

TEST(Instruments, CountingARequestCostsAFewAtomicsFromManyThreads) {
    metrics::CloudMetrics m;
    m.name_routes({{"GET", "/healthz"}});
    constexpr int kThreads = 4, kEach = 250'000;
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) m.observe_request(0, 200, std::chrono::microseconds(i % 5000));
        });
    for (auto& t : threads) t.join();
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    auto text = testing::parse_prometheus_text(m.render({}));
    EXPECT_EQ(text.value(R"(lampi_http_requests_total{method="GET",route="/healthz",status="200"})"), kThreads * kEach)
        << "no request lost between threads";
    const double per_call = ns / (kThreads * kEach) * kThreads;  // wall time per call on one thread's share
    std::cout << "observe_request: " << per_call << " ns per call (" << kThreads << " threads contending)\n";
    EXPECT_LT(per_call, 5000) << "counting a request must stay far below a request's own cost";
}

TEST(BrokerSysFigures, KeepsTheNewestNumberOfEachFollowedTopicAndNothingElse) {
    metrics::BrokerSysFigures figures;
    EXPECT_TRUE(figures.snapshot().empty()) << "nothing before the broker sends it";
    figures.observe("$SYS/broker/clients/connected", "4");
    figures.observe("$SYS/broker/clients/connected", "5");
    figures.observe("$SYS/broker/uptime", "3600 seconds");
    figures.observe("$SYS/broker/load/messages/received/1min", "0.52");
    figures.observe(topics::kAuthPluginClients, "7");
    // Not followed, or not a number: dropped rather than shown wrong.
    figures.observe("$SYS/broker/version", "mosquitto version 2.0.11");
    figures.observe("$SYS/broker/messages/sent", "many");
    figures.observe("$SYS/broker/bytes/sent", "12abc");
    figures.observe("devices/020000000001/lamp/changed", "1");

    std::map<std::string, double> seen;
    for (const auto& figure : figures.snapshot()) seen[std::string(figure.name)] = figure.value;
    EXPECT_EQ(seen, (std::map<std::string, double>{{"lampi_mosquitto_uptime_seconds", 3600},
                                                   {"lampi_mosquitto_clients_connected", 5},
                                                   {"lampi_mosquitto_messages_received_per_minute", 0.52},
                                                   {"lampi_broker_auth_plugin_clients", 7}}));
}

TEST(BrokerSysFigures, AScrapeShowsThemAsGaugesAndCountersPrometheusReads) {
    metrics::BrokerSysFigures figures;
    figures.observe("$SYS/broker/messages/received", "1234");
    figures.observe("$SYS/broker/clients/connected", "3");
    metrics::CloudMetrics counted;
    counted.name_routes({});
    metrics::ScrapeFigures scrape;
    scrape.broker_sys = figures.snapshot();
    auto text = testing::parse_prometheus_text(counted.render(scrape));
    EXPECT_EQ(text.errors, std::vector<std::string>{});
    EXPECT_EQ(text.value("lampi_mosquitto_messages_received_total"), 1234);
    EXPECT_EQ(text.types["lampi_mosquitto_messages_received_total"], "counter");
    EXPECT_EQ(text.value("lampi_mosquitto_clients_connected"), 3);
    EXPECT_EQ(text.types["lampi_mosquitto_clients_connected"], "gauge");
}

class MetricsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        if (!testing::backend_available("sqlite", why)) GTEST_SKIP() << why;
        testing::CloudServerOptions options;
        options.app.service_accounts.push_back({"platform", "platform-secret", true});
        server_ = std::make_unique<CloudServer>(testing::fresh_database_url("sqlite", dir_.path()), options);
    }

    testing::PrometheusText scrape(const testing::HttpHeaders& headers = {}) {
        auto reply = HttpClient(server_->port()).request("GET", "/metrics", headers);
        EXPECT_EQ(reply.status, 200) << reply.describe();
        EXPECT_EQ(reply.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
        auto text = testing::parse_prometheus_text(reply.body);
        EXPECT_EQ(text.errors, std::vector<std::string>{}) << reply.body;
        return text;
    }

    int login(const std::string& name, const std::string& password) {
        BrowserSession s(server_->port());
        s.get("/accounts/login/?next=/");
        return s
            .post_form("/accounts/login/?next=/",
                       {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"username", name}, {"password", password}})
            .status;
    }

    testing::HttpReply acl(const std::string& username, const std::string& topic) {
        return HttpClient(server_->port())
            .request("POST", "/auth/v1/acl", {{"Content-Type", "application/json"}},
                     R"({"username":")" + username + R"(","topic":")" + topic + R"(","acc":2})");
    }

    std::string operator_token() {
        auto ops = server_->add_user("ops", true);
        auto token = server_->accounts().create_api_token(ops.id, "prometheus", "read", 30);
        EXPECT_TRUE(token);
        return token ? token->token : "";
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<CloudServer> server_;
};

TEST_F(MetricsTest, RequestsAreCountedByRoutePatternAndStatusWithTheirLatency) {
    HttpClient c(server_->port());
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);
    EXPECT_EQ(c.request("GET", "/api/v1/lamps/b827eb74663e").status, 401);
    EXPECT_EQ(c.request("GET", "/no/such/page").status, 404);
    auto text = scrape();
    EXPECT_EQ(text.types["lampi_http_requests_total"], "counter");
    EXPECT_EQ(text.types["lampi_http_request_duration_seconds"], "histogram");
    EXPECT_EQ(text.value(R"(lampi_http_requests_total{method="GET",route="/healthz",status="200"})"), 2);
    // The pattern, never the path: one series per route, whatever ids are asked for.
    EXPECT_EQ(text.value(R"(lampi_http_requests_total{method="GET",route="/api/v1/lamps/{id}",status="401"})"), 1);
    EXPECT_EQ(text.value(R"(lampi_http_requests_total{method="",route="unmatched",status="404"})"), 1);
    EXPECT_EQ(text.value(R"(lampi_http_request_duration_seconds_count{method="GET",route="/healthz"})"), 2);
    EXPECT_EQ(text.value(R"(lampi_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"})"), 2);
    // The database's statement times and the lamps the cloud has heard of.
    EXPECT_GT(text.value("lampi_database_query_duration_seconds_count"), 0);
    EXPECT_EQ(text.value("lampi_database_query_failures_total"), 0);
    EXPECT_EQ(text.value("lampi_lamps_online"), 0);
}

TEST_F(MetricsTest, LoginsAndTheirFailuresAreCounted) {
    server_->add_user("alice");
    EXPECT_EQ(login("alice", CloudServer::kPassword), 302);
    EXPECT_EQ(login("alice", "wrong-password"), 200);
    EXPECT_EQ(login("nobody", "wrong-password"), 200);
    auto text = scrape();
    EXPECT_EQ(text.value(R"(lampi_logins_total{outcome="success"})"), 1);
    EXPECT_EQ(text.value(R"(lampi_logins_total{outcome="failure"})"), 2);
    EXPECT_EQ(text.value(R"(lampi_logins_total{outcome="throttled"})"), 0);
}

TEST_F(MetricsTest, BrokerAuthDecisionsAreCountedWithTheirLatency) {
    const std::string own = "devices/b827eb74663e/lamp/changed";
    EXPECT_NE(acl("b827eb74663e", own).body.find(R"("result":"allow")"), std::string::npos);
    EXPECT_NE(acl("b827eb74663e", "devices/b827eb000001/lamp/changed").body.find(R"("result":"deny")"),
              std::string::npos);
    // Relayed by a proxy: the API refuses to answer at all.
    EXPECT_EQ(
        HttpClient(server_->port()).request("POST", "/auth/v1/acl", {{"X-Forwarded-For", "203.0.113.9"}}, "{}").status,
        403);
    auto text = scrape();
    EXPECT_EQ(text.value(R"(lampi_broker_auth_decisions_total{check="acl",decision="allow"})"), 1);
    EXPECT_EQ(text.value(R"(lampi_broker_auth_decisions_total{check="acl",decision="deny"})"), 1);
    EXPECT_EQ(text.value(R"(lampi_broker_auth_decisions_total{check="acl",decision="refused"})"), 1);
    EXPECT_EQ(text.value(R"(lampi_broker_auth_decisions_total{check="user",decision="allow"})"), 0);
    EXPECT_EQ(text.value(R"(lampi_broker_auth_duration_seconds_count{check="acl"})"), 3);
}

TEST_F(MetricsTest, OnlyALocalCallerOrAnOperatorMayScrape) {
    const std::string token = operator_token();
    auto user = server_->add_user("alice");
    auto user_token = server_->accounts().create_api_token(user.id, "mine", "read", 30);
    ASSERT_TRUE(user_token);
    const testing::HttpHeaders relayed = {{"X-Forwarded-For", "203.0.113.9"}};
    HttpClient c(server_->port());
    // Through a proxy on this host, the caller is someone outside.
    EXPECT_EQ(c.request("GET", "/metrics", relayed).status, 404);
    auto with = [&](const std::string& bearer) {
        testing::HttpHeaders headers = relayed;
        headers.emplace_back("Authorization", "Bearer " + bearer);
        return c.request("GET", "/metrics", headers);
    };
    EXPECT_EQ(with(user_token->token).status, 404) << "a user who is not an operator";
    EXPECT_EQ(with(std::string(64, 'f')).status, 404);
    auto allowed = with(token);
    EXPECT_EQ(allowed.status, 200);
    EXPECT_NE(allowed.body.find("lampi_http_requests_total"), std::string::npos);
    // Positive control for the local caller.
    EXPECT_EQ(c.request("GET", "/metrics").status, 200);
}

TEST_F(MetricsTest, LivenessAnswersWithoutTouchingTheDatabase) {
    // Only this test's requests may run statements: the jobs that poll the database
    // on their own, once a second (due schedules, the group rollup's backfill), are
    // off, or one of their statements falls between the two scrapes on a slow machine.
    testing::CloudServerOptions quiet;
    quiet.app.schedule_period = std::chrono::milliseconds(0);
    quiet.app.analytics_group_rollups.clear();
    server_.reset();
    server_ = std::make_unique<CloudServer>(testing::fresh_database_url("sqlite", dir_.path()), quiet);
    auto before = scrape().value("lampi_database_query_duration_seconds_count");
    auto live = HttpClient(server_->port()).request("GET", "/livez");
    EXPECT_EQ(live.status, 200);
    EXPECT_EQ(live.body, R"({"status":"alive"})");
    auto after = scrape().value("lampi_database_query_duration_seconds_count");
    EXPECT_EQ(after, before) << "/livez or /metrics ran a statement";
}

}  // namespace
}  // namespace lampi::cloud
