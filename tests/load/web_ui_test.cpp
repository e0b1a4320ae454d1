// The web UI (--web) through its HTTP API, as the page uses it: lampi-load
// starts with no user, /start sends users against a real server, /stats moves,
// a new number of users is followed, /stop stops them, the downloads carry the
// run, and /quit ends it with the usual report. The same for MQTT publishers
// (publish --web) against a real Mosquitto: clients, connect rate and messages
// per second steered from the API.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include "cli_run.h"
#include "http_client.h"
#include "lampi/base64.h"
#include "loopback_ca.h"
#include "mqtt_harness.h"
#include "process.h"
#include "slow_site.h"

namespace {

// Named here as in the other lampi-load tests: each file says what it uses, so
// where a name comes from stays in view.
using lampi::testing::HttpClient;
using lampi::testing::HttpHeaders;
using lampi::testing::HttpReply;
using lampi::testing::Process;
using lampi::testing::SlowSite;
using lampi::testing::TempDir;
namespace json = boost::json;

// lampi-load --web on a free port; its port read from what it prints.
class WebConsoleTest : public ::testing::Test {
protected:
    // `args` after the binary: a subcommand and its options, --web 127.0.0.1:0 (or
    // 0.0.0.0:0) among them; `wrapper` before it (a command that runs it, as
    // prlimit); `tls`: the page speaks HTTPS, its certificate checked with this.
    void launch(std::vector<std::string> args, const std::vector<std::string>& wrapper = {},
                const std::optional<lampi::testing::TlsIdentity>& tls = std::nullopt) {
        args.insert(args.begin(), LAMPI_LOAD_BINARY);
        args.insert(args.begin(), wrapper.begin(), wrapper.end());
        load_ = std::make_unique<Process>(std::move(args), dir_ / "load.log");
        load_->start();
        std::smatch m;
        const std::regex said(tls ? R"(web UI is at https://[0-9.]+:(\d+)/)" : R"(web UI is at http://[0-9.]+:(\d+)/)");
        for (int i = 0; i < 200; ++i) {
            std::string log = load_->log();
            if (std::regex_search(log, m, said)) {
                client_ = std::make_unique<HttpClient>(std::stoi(m[1]), "127.0.0.1", tls);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL() << "lampi-load did not say where its web UI is: " << load_->log();
    }

    json::object stats() {
        HttpReply r = client_->request("GET", "/stats");
        EXPECT_EQ(r.status, 200) << r.describe();
        return json::parse(r.body).as_object();
    }

    HttpReply post(const std::string& path, const std::string& body = "{}") {
        return client_->request("POST", path, {{"Content-Type", "application/json"}}, body);
    }

    // Polls /stats until `done` holds (up to 15 s).
    json::object wait_for(const std::function<bool(const json::object&)>& done) {
        json::object s;
        for (int i = 0; i < 150; ++i) {
            s = stats();
            if (done(s)) return s;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << "timed out; last stats: " << json::serialize(s);
        return s;
    }

    static std::int64_t aggregated_requests(const json::object& s) {
        for (const auto& r : s.at("requests").as_array())
            if (r.as_object().at("name").as_string() == "Aggregated") return r.as_object().at("requests").to_number<std::int64_t>();
        return 0;
    }

    // The JSON report lampi-load printed once it ended (--json).
    json::object final_report() {
        int status = load_->wait(std::chrono::seconds(20));
        EXPECT_TRUE(WIFEXITED(status)) << load_->log();
        std::string log = load_->log();
        return json::parse(log.substr(log.find("\n{") + 1)).as_object();
    }

    TempDir dir_;
    std::unique_ptr<Process> load_;
    std::unique_ptr<HttpClient> client_;
};

// lampi-load http --web against `site`.
class WebUi : public WebConsoleTest {
protected:
    void SetUp() override {
        std::string scenario = dir_ / "busy.lua";
        std::ofstream(scenario) << "wait = 0.05\ntasks = {{run = function(user) user:get(\"/\") end}}\n";
        launch({"http", "--host", site_.url(), "-f", scenario, "-u", "3", "-r", "50", "--threads", "1", "--web",
                "127.0.0.1:0", "--json", "--quiet"});
    }

    SlowSite site_{1};
};

TEST_F(WebUi, StartChangeStopAndQuitThroughTheApiWhileTheStatsMove) {
    EXPECT_NE(load_->log().find("(this machine only;"), std::string::npos) << load_->log();
    HttpReply page = client_->request("GET", "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("<script src=\"/uplot.js\""), std::string::npos);
    EXPECT_NE(page.header("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
    EXPECT_NE(client_->request("GET", "/uplot.js").body.find("uPlot"), std::string::npos);

    json::object ready = stats();
    EXPECT_EQ(ready.at("state").as_string(), "ready");
    EXPECT_EQ(ready.at("users").as_int64(), 0);
    EXPECT_EQ(ready.at("target_users").as_int64(), 3) << "-u fills the page's form";
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(site_.most_connections(), 0) << "no user starts before the page says so";

    EXPECT_EQ(post("/start", R"({"users": 4, "spawn_rate": 50})").status, 200);
    json::object running = wait_for([](const json::object& s) {
        return s.at("users").as_int64() == 4 && aggregated_requests(s) > 20 && s.at("history").as_object().at("t").as_array().size() >= 2;
    });
    EXPECT_EQ(running.at("state").as_string(), "running");
    EXPECT_GT(running.at("current").as_object().at("requests_per_s").to_number<double>(), 0);
    std::int64_t before = aggregated_requests(running);
    json::object later = wait_for([&](const json::object& s) { return aggregated_requests(s) > before + 20; });
    EXPECT_NE(json::serialize(later.at("requests")).find("\"name\":\"/\""), std::string::npos);

    EXPECT_EQ(post("/start", R"({"users": 2, "spawn_rate": 50})").status, 200);
    wait_for([](const json::object& s) { return s.at("users").as_int64() == 2; });
    // The users let go close their kept-alive connections.
    for (int i = 0; i < 100 && site_.open_connections() > 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(site_.open_connections(), 2);

    HttpReply csv = client_->request("GET", "/stats.csv");
    EXPECT_EQ(csv.status, 200);
    EXPECT_TRUE(csv.body.starts_with("\"Type\",\"Name\",\"Request Count\"") || csv.body.starts_with("Type,Name,Request Count"))
        << csv.body;
    EXPECT_NE(csv.header("Content-Disposition").find("attachment"), std::string::npos);
    HttpReply report = client_->request("GET", "/report.html");
    EXPECT_TRUE(report.body.starts_with("<!DOCTYPE html>"));

    EXPECT_EQ(post("/stop").status, 200);
    json::object stopped = wait_for([](const json::object& s) { return s.at("users").as_int64() == 0; });
    EXPECT_EQ(stopped.at("state").as_string(), "stopped");

    EXPECT_EQ(post("/quit").status, 200);
    json::object report_json = final_report();
    EXPECT_EQ(report_json.at("scenario").as_string(), "http");
    EXPECT_GT(report_json.at("counters").as_object().at("sent").to_number<double>(), 40);
    EXPECT_EQ(site_.most_connections(), 4);
}

TEST_F(WebUi, SteeringTakesJsonAddressedToThisMachineOnlyAndSaysWhatItWants) {
    HttpReply form = client_->request("POST", "/start", {{"Content-Type", "application/x-www-form-urlencoded"}},
                                      "users=5&spawn_rate=1");
    EXPECT_EQ(form.status, 415);
    HttpReply bad = post("/start", R"({"users": -1, "spawn_rate": 1})");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("whole number"), std::string::npos) << bad.body;
    EXPECT_EQ(post("/start", R"({"users": 2, "spawn_rate": 0})").status, 400);
    EXPECT_EQ(stats().at("state").as_string(), "ready");
    EXPECT_EQ(client_->request("GET", "/nothing").status, 404);
    std::string body = R"({"users": 5, "spawn_rate": 1})";
    HttpReply rebound = client_->raw(fmt::format("POST /start HTTP/1.1\r\nHost: evil.example:8089\r\nContent-Type: "
                                                 "application/json\r\nContent-Length: {}\r\n\r\n{}",
                                                 body.size(), body));
    EXPECT_EQ(rebound.status, 403) << rebound.describe();
    EXPECT_EQ(stats().at("state").as_string(), "ready");
}

// The page asks for more users than -u, and more than the process may hold
// sockets (its hard descriptor limit): they share the sockets that fit, as they
// would had -u asked for as many, rather than fail with "Too many open files".
class CrowdedWebUi : public WebConsoleTest {
protected:
    void SetUp() override {
        std::string scenario = dir_ / "get.lua";
        std::ofstream(scenario) << "wait = {0.3, 0.6}\ntasks = {{run = function(user) user:get(\"/\") end}}\n";
        launch({"http", "--host", site_.url(), "-f", scenario, "-u", "3", "-r", "50", "--threads", "2", "--web",
                "127.0.0.1:0", "--json", "--quiet"},
               lampi::testing::fixed_descriptor_limit(300));
    }

    SlowSite site_{0};
};

TEST_F(CrowdedWebUi, MoreUsersThanDescriptorsFromThePageShareTheSocketsThatFit) {
    EXPECT_EQ(post("/start", R"({"users": 400, "spawn_rate": 400})").status, 200);
    // Every user several times over natively; under qemu-user fewer, all served.
    wait_for([](const json::object& s) { return s.at("users").as_int64() == 400 && aggregated_requests(s) > 800; });
    EXPECT_EQ(post("/quit").status, 200);
    json::object report = final_report();
    const auto [requests, failures] = lampi::testing::request_totals(report);
    EXPECT_GT(requests, 800) << load_->log();
    EXPECT_EQ(failures, 0) << load_->log();
    // 300 less 64 of its own.
    EXPECT_LE(report.at("peak_connections").to_number<double>(), 300 - 64) << load_->log();
}

// --web-auth-file: the console asks for its user and password (HTTP Basic, as
// Locust's --web-auth) before anything, pages and steering alike.
class LockedWebUi : public WebConsoleTest {
protected:
    void SetUp() override {
        std::string auth = dir_ / "web-auth";
        std::ofstream(auth) << "tester:" << kPassword << "\n";
        ::chmod(auth.c_str(), 0600);
        launch({"http", "--host", site_.url(), "--scenario", "course", "--login", "u:p", "-u", "1", "--web",
                "127.0.0.1:0", "--web-auth-file", auth, "--json", "--quiet"});
    }

    static HttpHeaders basic(const std::string& credentials) {
        return {{"Authorization", "Basic " + lampi::base64_encode(credentials)}};
    }

    static constexpr const char* kPassword = "a long passphrase";
    SlowSite site_{1};
};

TEST_F(LockedWebUi, EveryPageAndEverySteerAsksForTheUserAndPassword) {
    EXPECT_NE(load_->log().find("behind the user and password of --web-auth"), std::string::npos) << load_->log();
    for (const char* path : {"/", "/stats", "/page.js", "/stats.csv", "/report.html"}) {
        HttpReply none = client_->request("GET", path);
        EXPECT_EQ(none.status, 401) << path << ": " << none.describe();
        EXPECT_EQ(none.header("WWW-Authenticate"), R"(Basic realm="lampi-load", charset="UTF-8")") << path;
        EXPECT_EQ(none.body.find("<html"), std::string::npos) << path;
    }
    for (const std::string& wrong : {std::string("tester:a long passphrasE"), std::string("tester:"),
                                     std::string("Tester:") + kPassword, std::string("tester:") + kPassword + " "})
        EXPECT_EQ(client_->request("GET", "/stats", basic(wrong)).status, 401) << wrong;
    EXPECT_EQ(client_->request("GET", "/stats", {{"Authorization", "Basic not base64!"}}).status, 401);
    EXPECT_EQ(client_->request("GET", "/stats", {{"Authorization", "Bearer x"}}).status, 401);
    HttpHeaders steer = basic("tester:a wrong one");
    steer.emplace_back("Content-Type", "application/json");
    EXPECT_EQ(client_->request("POST", "/start", steer, R"({"users": 1, "spawn_rate": 1})").status, 401);

    const HttpHeaders right = basic(std::string("tester:") + kPassword);
    HttpReply page = client_->request("GET", "/", right);
    EXPECT_EQ(page.status, 200) << page.describe();
    EXPECT_NE(page.body.find("<html"), std::string::npos);
    HttpReply stats = client_->request("GET", "/stats", right);
    ASSERT_EQ(stats.status, 200) << stats.describe();
    // The wrong steer started nothing.
    EXPECT_EQ(json::parse(stats.body).as_object().at("state").as_string(), "ready");
    // Any case of the scheme, as RFC 9110 allows.
    EXPECT_EQ(client_->request("GET", "/stats", {{"Authorization", "bAsIc " + right.front().second.substr(6)}}).status,
              200);
    HttpHeaders quit = right;
    quit.emplace_back("Content-Type", "application/json");
    EXPECT_EQ(client_->request("POST", "/quit", quit, "{}").status, 200);
    EXPECT_EQ(final_report().at("scenario").as_string(), "http");
}

// --web-tls-cert and --web-tls-key: the page opened to the network speaks HTTPS
// only, so the password of --web-auth does not cross it in the clear.
class TlsWebUi : public WebConsoleTest {
protected:
    void SetUp() override {
        auto pki = lampi::testing::make_loopback_ca(dir_ / "pki");
        ASSERT_TRUE(pki) << pki.status().message();
        ca_file_ = pki->authority.ca_cert_path();
        launch({"http", "--host", site_.url(), "--scenario", "course", "--login", "u:p", "-u", "1", "--web",
                "0.0.0.0:0", "--web-auth", "tester:pw", "--web-tls-cert", pki->server.cert_path, "--web-tls-key",
                pki->server.key_path, "--json", "--quiet"},
               {}, lampi::testing::TlsIdentity{ca_file_, "", ""});
    }

    std::string ca_file_;
    SlowSite site_{1};
};

TEST_F(TlsWebUi, ThePageSpeaksHttpsOnlyAndStillAsksForThePassword) {
    EXPECT_EQ(load_->log().find("in the clear"), std::string::npos) << load_->log();
    EXPECT_NE(load_->log().find("open to the network, behind the user and password"), std::string::npos)
        << load_->log();
    const HttpHeaders right{{"Authorization", "Basic " + lampi::base64_encode("tester:pw")}};
    HttpReply stats = client_->request("GET", "/stats", right);
    ASSERT_EQ(stats.status, 200) << stats.describe();
    EXPECT_EQ(json::parse(stats.body).as_object().at("state").as_string(), "ready");
    EXPECT_EQ(client_->request("GET", "/stats").status, 401);
    // Plain HTTP, the password in the clear: no answer at all.
    HttpReply plain = HttpClient(client_->port()).request("GET", "/stats", right);
    EXPECT_NE(plain.status, 200) << plain.describe();
    EXPECT_EQ(plain.body.find("state"), std::string::npos) << plain.describe();
    HttpHeaders quit = right;
    quit.emplace_back("Content-Type", "application/json");
    EXPECT_EQ(client_->request("POST", "/quit", quit, "{}").status, 200);
    EXPECT_EQ(final_report().at("scenario").as_string(), "http");
}

// Opened to the network behind a password but without TLS: the start says the
// password crosses the network in the clear, and what serves it over HTTPS.
TEST_F(WebConsoleTest, APasswordOverPlainHttpOnTheNetworkIsSaidToCrossItInTheClear) {
    SlowSite site(1);
    launch({"http", "--host", site.url(), "--scenario", "course", "--login", "u:p", "-u", "1", "--web", "0.0.0.0:0",
            "--web-auth", "tester:pw", "--json", "--quiet"});
    EXPECT_NE(load_->log().find("crosses the network in the clear: --web-tls-cert and --web-tls-key"),
              std::string::npos)
        << load_->log();
    HttpHeaders quit{{"Authorization", "Basic " + lampi::base64_encode("tester:pw")},
                     {"Content-Type", "application/json"}};
    EXPECT_EQ(client_->request("POST", "/quit", quit, "{}").status, 200);
    final_report();
}

TEST(WebAuthCli, AMalformedOrMisplacedWebAuthIsRefusedSayingWhatToGive) {
    struct Case {
        std::string flags, says;
    };
    for (const Case& c :
         {Case{"--web-auth tester:pw", "--web"}, Case{"--web 127.0.0.1:0 --web-auth nocolon", "USER:PASS"},
          Case{"--web 127.0.0.1:0 --web-auth :pw", "USER:PASS"},
          Case{"--web 127.0.0.1:0 --web-auth tester:", "USER:PASS"},
          Case{"--web 127.0.0.1:0 --web-auth-file /nonexistent/auth", "/nonexistent/auth"},
          Case{"--web 127.0.0.1:0 --web-tls-cert /nonexistent/cert.pem", "--web-tls-key"},
          Case{"--web-tls-cert /nonexistent/cert.pem --web-tls-key /nonexistent/key.pem", "--web"},
          Case{"--web 127.0.0.1:0 --web-tls-cert /nonexistent/cert.pem --web-tls-key /nonexistent/key.pem",
               "/nonexistent/cert.pem"}}) {
        auto run = lampi::testing::lampi_load("publish -p 1 " + c.flags);
        EXPECT_EQ(run.exit_code, 2) << c.flags << ": " << run.output;
        EXPECT_NE(run.output.find(c.says), std::string::npos) << c.flags << ": " << run.output;
    }
}

// lampi-load publish --web against a real Mosquitto, a probe counting what arrives.
class PublishWebUi : public WebConsoleTest {
protected:
    void SetUp() override {
        launch({"publish", "-p", std::to_string(broker_.port()), "-P", "3", "-T", "20", "-q", "1", "--threads", "2",
                "--web", "127.0.0.1:0", "--json", "--quiet"});
    }

    static std::int64_t connected(const json::object& s) {
        return s.at("current").as_object().empty() ? 0 : s.at("current").as_object().at("connected").as_int64();
    }
    static double message_figure(const json::object& s, const char* key) {
        return s.at("messages").as_object().at(key).to_number<double>();
    }

    lampi::testing::TestBroker broker_{dir_.path(), "broker"};
};

TEST_F(PublishWebUi, ClientsAndTheirRateAreStartedChangedAndStoppedThroughTheApi) {
    lampi::testing::MqttProbe probe(broker_.port(), {"lampi-load/#"});
    ASSERT_TRUE(probe.wait_connected());
    json::object ready = stats();
    EXPECT_EQ(ready.at("kind").as_string(), "publish");
    EXPECT_EQ(ready.at("state").as_string(), "ready");
    EXPECT_EQ(ready.at("target_users").as_int64(), 3) << "-P fills the page's form";
    EXPECT_EQ(ready.at("message_rate").to_number<double>(), 20) << "-T fills the page's form";
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(message_figure(stats(), "sent"), 0) << "no client publishes before the page says so";
    EXPECT_TRUE(probe.messages("lampi-load/lampi-load-0").empty());

    // Publisher runs speak of clients, a connect rate and messages per second.
    HttpReply users = post("/start", R"({"users": 4, "spawn_rate": 50})");
    EXPECT_EQ(users.status, 400);
    EXPECT_NE(users.body.find("clients"), std::string::npos) << users.body;
    EXPECT_EQ(post("/start", R"({"clients": 4, "connect_rate": 50, "message_rate": -1})").status, 400);
    EXPECT_EQ(post("/start", R"({"clients": 4, "connect_rate": 50, "message_rate": "fast"})").status, 400);
    EXPECT_EQ(stats().at("state").as_string(), "ready");

    // More clients than -P: the page, not -P, says how many.
    EXPECT_EQ(post("/start", R"({"clients": 4, "connect_rate": 50, "message_rate": 20})").status, 200);
    json::object running = wait_for([](const json::object& s) {
        return connected(s) == 4 && message_figure(s, "confirmed") > 40 &&
               s.at("history").as_object().at("t").as_array().size() >= 2;
    });
    EXPECT_EQ(running.at("state").as_string(), "running");
    EXPECT_GT(running.at("current").as_object().at("p50_ms").to_number<double>(), 0);
    EXPECT_NE(json::serialize(running.at("history")).find("\"p99_ms\""), std::string::npos);
    for (int n = 0; n < 4; ++n) {
        EXPECT_TRUE(probe.wait_for(fmt::format("lampi-load/lampi-load-{}", n))) << "client " << n << " published";
    }
    // -T 20 for 4 clients: never more than 80 a second (plus each client's first message).
    double sent_before = message_figure(running, "sent");
    auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    double sent_after = message_figure(stats(), "sent");
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_GT(sent_after, sent_before);
    EXPECT_LE(sent_after - sent_before, 80 * (seconds + 1)) << "paced at 20 messages/s per client";

    // Fewer clients, unpaced: the newest two are let go, the others publish as fast as confirmed.
    EXPECT_EQ(post("/start", R"({"clients": 2, "connect_rate": 50, "message_rate": 0})").status, 200);
    json::object unpaced = wait_for([](const json::object& s) {
        return connected(s) == 2 && s.at("current").as_object().at("requests_per_s").to_number<double>() > 400;
    });
    EXPECT_EQ(unpaced.at("users").as_int64(), 2);
    EXPECT_EQ(unpaced.at("message_rate").to_number<double>(), 0);
    EXPECT_EQ(message_figure(unpaced, "lost"), 0);

    HttpReply series = client_->request("GET", "/series.csv");
    EXPECT_EQ(series.status, 200);
    EXPECT_TRUE(series.body.starts_with("elapsed_s,")) << series.body.substr(0, 200);
    EXPECT_EQ(client_->request("GET", "/stats.csv").status, 404) << "Locust's files are a web run's";
    EXPECT_TRUE(client_->request("GET", "/report.html").body.starts_with("<!DOCTYPE html>"));

    EXPECT_EQ(post("/stop").status, 200);
    json::object stopped = wait_for([](const json::object& s) { return connected(s) == 0; });
    EXPECT_EQ(stopped.at("state").as_string(), "stopped");
    double sent_at_stop = message_figure(stats(), "sent");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(message_figure(stats(), "sent"), sent_at_stop) << "nothing is published once stopped";

    // Start goes on from the figures so far.
    EXPECT_EQ(post("/start", R"({"clients": 1, "connect_rate": 50})").status, 200);
    wait_for([&](const json::object& s) { return connected(s) == 1 && message_figure(s, "sent") > sent_at_stop; });

    EXPECT_EQ(post("/quit").status, 200);
    json::object report = final_report();
    EXPECT_EQ(report.at("scenario").as_string(), "publish");
    // Every message was confirmed but those in flight when their client was let go.
    EXPECT_EQ(report.at("ok").as_bool(), true) << json::serialize(report.at("failures"));
    EXPECT_GT(report.at("counters").as_object().at("confirmed").to_number<double>(), sent_at_stop / 2);
}

TEST(PublishWebCli, WebRunsUntilEndedFromThePageSoCountsDurationsAndRampsAreRefused) {
    struct Case {
        std::string flags, says;
    };
    for (const Case& c : {Case{"-n 5", "leave out -n and -d"}, Case{"-d 10", "leave out -n and -d"},
                          Case{"--total-rate 100", "not --total-rate"},
                          Case{"--step-users 1 --step-time 1 --stop-when 'p99>1s'", "choose one"}}) {
        auto run = lampi::testing::lampi_load("publish -p 1 --web 127.0.0.1:0 " + c.flags);
        EXPECT_EQ(run.exit_code, 2) << c.flags << ": " << run.output;
        EXPECT_NE(run.output.find(c.says), std::string::npos) << c.flags << ": " << run.output;
    }
}

}  // namespace
