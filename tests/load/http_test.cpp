// lampi-load's web users against a real lampi-cloud in-process: the course's
// login flow, counts, failures, keep-alive reuse, TLS failures, and CSV files a
// Locust reader reads (headers compared with what Debian's Locust writes).
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "certificate_authority.h"
#include "cli_run.h"
#include "cloud_server.h"
#include "loopback_ca.h"
#include "process.h"
#include "run/runner.h"
#include "scenario/http_course.h"
#include "web_site.h"

namespace {

// Each test file names what it uses (http_lua_test.cpp lists most of these too):
// a shared header of using-declarations would hide where a name comes from.
using lampi::load::Counter;
using lampi::load::HttpCourseScenario;
using lampi::load::HttpOptions;
using lampi::load::RequestEntry;
using lampi::load::RunReport;
using lampi::testing::CloudServer;
using lampi::testing::lampi_load;
using lampi::testing::TempDir;

class HttpUsers : public lampi::testing::WebSite {
protected:
    HttpOptions course(int users, const std::string& password) {
        HttpOptions o;
        o.url = site();
        o.users = users;
        o.spawn_rate = 100;
        o.run_time_s = 1.5;
        o.username = "alice";
        o.password = password;
        o.wait_min_s = 0.2;
        o.wait_max_s = 0.3;
        return o;
    }

    static RunReport run(HttpOptions options) {
        HttpCourseScenario scenario(std::move(options));
        lampi::load::RunSettings settings;
        settings.threads = 2;
        settings.hard_limit_s = 30;
        return lampi::load::run_scenario(scenario, settings);
    }
};

TEST_F(HttpUsers, EachUserLogsInOnceThenLoadsTheIndexOnOneKeptAliveConnection) {
    const int users = 4;
    RunReport r = run(course(users, CloudServer::kPassword));
    ASSERT_TRUE(r.requests);
    EXPECT_TRUE(r.ok()) << fmt::format("{}", fmt::join(r.failures, "; "));
    RequestEntry page = entry(r, "GET", "/accounts/login/?next=/");
    RequestEntry login = entry(r, "POST", "/accounts/login/?next=/");
    RequestEntry index = entry(r, "GET", "/");
    EXPECT_EQ(page.requests, 4u);
    EXPECT_EQ(login.requests, 4u);
    EXPECT_EQ(login.failures, 0u);
    // 1.5 s with 0.2-0.3 s between loads: at least 4 loads each, at most 8.
    EXPECT_GE(index.requests, 4u * users);
    EXPECT_LE(index.requests, 8u * users);
    EXPECT_EQ(index.failures, 0u);
    EXPECT_EQ(r.requests->total().requests, page.requests + login.requests + index.requests);
    // Keep-alive: one connection per user for the whole run, redirects included.
    EXPECT_EQ(r.totals.get(Counter::connect_attempts), static_cast<std::uint64_t>(users));
}

TEST_F(HttpUsers, AWrongPasswordFailsTheLoginAndEveryIndexLoadAfterIt) {
    RunReport r = run(course(2, "wrong-password"));
    ASSERT_TRUE(r.requests);
    EXPECT_FALSE(r.ok());
    RequestEntry login = entry(r, "POST", "/accounts/login/?next=/");
    RequestEntry index = entry(r, "GET", "/");
    EXPECT_EQ(login.requests, 2u);
    EXPECT_EQ(login.failures, 2u);
    EXPECT_GE(index.requests, 2u);
    EXPECT_EQ(index.failures, index.requests);
    std::string expected =
        fmt::format("CatchResponseError('not logged in: redirected to http://127.0.0.1:{}/accounts/login/?next=/')",
                    cloud_->port());
    EXPECT_EQ((r.requests->failures[{"GET", "/", expected}]), index.failures);
}

TEST_F(HttpUsers, ARefusedConnectionIsAFailureOfTheRequestThatNeededIt) {
    HttpOptions o = course(1, CloudServer::kPassword);
    o.url.port = lampi::testing::free_port();
    RunReport r = run(o);
    ASSERT_TRUE(r.requests);
    RequestEntry page = entry(r, "GET", "/accounts/login/?next=/");
    EXPECT_EQ(page.requests, page.failures);
    EXPECT_GE(page.failures, 1u);
    ASSERT_FALSE(r.requests->failures.empty());
    const std::string& why = std::get<2>(r.requests->failures.begin()->first);
    EXPECT_NE(why.find("Connection refused"), std::string::npos) << why;
    // Web users have no --port: the URL of --host says where the server is.
    EXPECT_NE(why.find("is the server running and listening there (check --host)?"), std::string::npos) << why;
}

TEST_F(HttpUsers, TheCommandLinePrintsLocustsTablesAndExitsOneOnFailures) {
    auto good =
        lampi_load(fmt::format("http --host http://127.0.0.1:{} -u 2 -r 10 -t 1 --wait 0.2-0.3 "
                               "--login alice:{} --headless --quiet",
                               cloud_->port(), CloudServer::kPassword));
    EXPECT_EQ(good.exit_code, 0) << good.output;
    EXPECT_NE(good.output.find("Response time percentiles (approximated)"), std::string::npos) << good.output;
    EXPECT_NE(good.output.find("         Aggregated"), std::string::npos) << good.output;
    auto bad =
        lampi_load(fmt::format("http --host http://127.0.0.1:{} -u 1 -r 10 -t 1 --wait 0.2-0.3 "
                               "--login alice:nope --headless --quiet",
                               cloud_->port()));
    EXPECT_EQ(bad.exit_code, 1) << bad.output;
    EXPECT_NE(bad.output.find("Error report"), std::string::npos) << bad.output;
    EXPECT_NE(bad.output.find("POST /accounts/login/?next=/: CatchResponseError('login did not reach /"),
              std::string::npos)
        << bad.output;
}

TEST(HttpsUsers, AServerCertificateFromAnotherCaIsAClearFailure) {
    TempDir dir;
    namespace ca = lampi::ca;
    auto made = lampi::testing::make_loopback_ca(dir.path());
    ASSERT_TRUE(made) << made.status().message();
    const ca::IssuedFiles* issued = &made->server;
    ca::CreateOptions foreign;
    foreign.name = "Someone else's CA";
    auto other = ca::CertificateAuthority::create(dir / "other-ca", foreign);
    ASSERT_TRUE(other) << other.status().message();

    lampi::testing::CloudServerOptions options;
    options.server.tls_cert_file = issued->cert_path;
    options.server.tls_key_file = issued->key_path;
    CloudServer cloud("sqlite://" + (dir / "db.sqlite3"), options);
    cloud.add_user("alice");
    std::string common =
        fmt::format("http --host https://127.0.0.1:{} -u 1 -r 10 -t 1 --wait 0.2-0.3 --login alice:{} --quiet",
                    cloud.port(), CloudServer::kPassword);

    auto wrong = lampi_load(common + " --cafile " + other->ca_cert_path());
    EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
    EXPECT_NE(wrong.output.find(fmt::format("TLS handshake with 127.0.0.1:{} failed: the server's certificate was "
                                            "not accepted",
                                            cloud.port())),
              std::string::npos)
        << wrong.output;
    EXPECT_NE(wrong.output.find("check that --cafile is the CA that signed the server's certificate"),
              std::string::npos)
        << wrong.output;

    auto right = lampi_load(common + " --cafile " + made->authority.ca_cert_path());
    EXPECT_EQ(right.exit_code, 0) << right.output;
    auto insecure = lampi_load(common + " --insecure");
    EXPECT_EQ(insecure.exit_code, 0) << insecure.output;
}

std::string first_line(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string line;
    std::getline(f, line);  // keeps the '\r' of Python's csv "\r\n"
    return line;
}

// Whatever reads Locust's CSV files reads ours: the four headers are the bytes
// Debian's Locust 2.12 writes (its own run, against a port nobody listens on).
TEST_F(HttpUsers, CsvHeadersAreByteForByteThoseOfDebiansLocust) {
    const char* locust = "/usr/bin/locust";
    if (!std::filesystem::exists(locust)) {
        const char* ci = std::getenv("CI");
        if (ci && std::string(ci) == "true") FAIL() << "Debian's Locust is missing: apt-get install python3-locust";
        GTEST_SKIP() << "Debian's Locust is not installed (apt-get install python3-locust): headers not compared";
    }
    std::ofstream(dir_ / "locustfile.py") << "from locust import HttpUser, task, constant\n"
                                             "class Idle(HttpUser):\n"
                                             "    wait_time = constant(0.5)\n"
                                             "    @task\n"
                                             "    def index(self):\n"
                                             "        self.client.get('/')\n";
    auto theirs =
        lampi::testing::run_shell(fmt::format("cd {} && {} -f locustfile.py --headless -u 1 -r 1 -t 2s --only-summary "
                                              "--host http://127.0.0.1:{} --csv {}",
                                              dir_.path(), locust, lampi::testing::free_port(), dir_ / "locust"),
                                  std::chrono::seconds(60));
    ASSERT_TRUE(std::filesystem::exists(dir_ / "locust_stats.csv")) << theirs.output;
    auto ours =
        lampi_load(fmt::format("http --host http://127.0.0.1:{} -u 1 -r 10 -t 1 --wait 0.2-0.3 "
                               "--login alice:{} --quiet --csv {}",
                               cloud_->port(), CloudServer::kPassword, dir_ / "ours"));
    EXPECT_EQ(ours.exit_code, 0) << ours.output;
    for (const char* suffix : {"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"}) {
        std::string expected = first_line(dir_ / (std::string("locust") + suffix));
        EXPECT_FALSE(expected.empty()) << suffix;
        EXPECT_EQ(first_line(dir_ / (std::string("ours") + suffix)), expected) << suffix;
    }
}

}  // namespace
