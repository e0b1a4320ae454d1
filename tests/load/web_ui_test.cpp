// The web UI (--web) through its HTTP API, as the page uses it: lampi-load
// starts with no user, /start sends users against a real server, /stats moves,
// a new number of users is followed, /stop stops them, the downloads carry the
// run, and /quit ends it with the usual report.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <fstream>
#include <regex>
#include <thread>

#include "http_client.h"
#include "process.h"
#include "slow_site.h"

namespace {

using lampi::testing::HttpClient;
using lampi::testing::HttpReply;
using lampi::testing::Process;
using lampi::testing::SlowSite;
using lampi::testing::TempDir;
namespace json = boost::json;

// lampi-load --web on a free port, against `site`; its port read from what it prints.
class WebUi : public ::testing::Test {
protected:
    void SetUp() override {
        std::string scenario = dir_ / "busy.lua";
        std::ofstream(scenario) << "wait = 0.05\ntasks = {{run = function(user) user:get(\"/\") end}}\n";
        load_ = std::make_unique<Process>(
            std::vector<std::string>{LAMPI_LOAD_BINARY, "http", "--host", site_.url(), "-f", scenario, "-u", "3", "-r",
                                     "50", "--threads", "1", "--web", "127.0.0.1:0", "--json", "--quiet"},
            dir_ / "load.log");
        load_->start();
        std::smatch m;
        for (int i = 0; i < 200; ++i) {
            std::string log = load_->log();
            if (std::regex_search(log, m, std::regex("web UI is at http://127\\.0\\.0\\.1:(\\d+)/ \\(this machine only"))) {
                client_ = std::make_unique<HttpClient>(std::stoi(m[1]));
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

    TempDir dir_;
    SlowSite site_{1};
    std::unique_ptr<Process> load_;
    std::unique_ptr<HttpClient> client_;
};

TEST_F(WebUi, StartChangeStopAndQuitThroughTheApiWhileTheStatsMove) {
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
    int status = load_->wait(std::chrono::seconds(20));
    ASSERT_TRUE(WIFEXITED(status)) << load_->log();
    std::string log = load_->log();
    std::string report_json = log.substr(log.find("\n{") + 1);
    json::object final_report = json::parse(report_json).as_object();
    EXPECT_EQ(final_report.at("scenario").as_string(), "http");
    EXPECT_GT(final_report.at("counters").as_object().at("sent").to_number<double>(), 40);
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

}  // namespace
