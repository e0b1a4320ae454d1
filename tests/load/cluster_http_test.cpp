// Web users spread over lampi-load workers by a controller, against a real
// lampi-cloud in-process and through a real Mosquitto: the merged figures are
// those of one run of all the users, printed and written as Locust does; each
// worker numbers its users on from the last one's; a Lua scenario runs only
// from a copy identical to the controller's, with the same files it reads.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "cloud_server.h"
#include "cluster_harness.h"
#include "http_client.h"
#include "lampi/base64.h"
#include "slow_site.h"
#include "tcp_proxy.h"

namespace lampi::load::cluster {
namespace {

using lampi::testing::CloudServer;
using lampi::testing::Process;
namespace json = boost::json;

class HttpCluster : public ClusterHarness {
protected:
    void SetUp() override {
        ClusterHarness::SetUp();
        lampi::testing::CloudServerOptions options;
        options.app.login_rate.limit = 1'000'000;
        cloud_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / "db.sqlite3"), options);
        cloud_->add_user("alice");
        lampi::testing::write_file(login_file_, fmt::format("alice:{}\n", CloudServer::kPassword));
        ASSERT_EQ(::chmod(login_file_.c_str(), 0600), 0);
    }

    std::string site() const { return fmt::format("http://127.0.0.1:{}", cloud_->port()); }

    // The controller's exit code, once it ended (within a minute).
    static int exit_code(Process& control) {
        int status = control.wait(std::chrono::seconds(60));
        EXPECT_TRUE(WIFEXITED(status)) << control.log();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // Requests per "METHOD name" in a report's "requests" array.
    static std::map<std::string, std::uint64_t> requests_by_name(const json::object& report) {
        std::map<std::string, std::uint64_t> out;
        for (const auto& row : report.at("requests").as_array()) {
            const json::object& r = row.as_object();
            out[fmt::format("{} {}", r.at("method").as_string().c_str(), r.at("name").as_string().c_str())] =
                r.at("requests").to_number<std::uint64_t>();
        }
        return out;
    }

    static std::uint64_t total(const std::map<std::string, std::uint64_t>& by_name) {
        std::uint64_t n = 0;
        for (const auto& [name, count] : by_name) n += count;
        return n;
    }

    // A Lua scenario naming each request after its user's number, written into `dir`.
    static void write_numbering_scenario(const std::string& dir, const std::string& extra = "") {
        std::filesystem::create_directories(dir);
        lampi::testing::write_file(dir + "/scenario.lua",
                                   "wait = {0.1, 0.2}\n"
                                   "tasks = {function(user) user:get(\"/accounts/login/\", "
                                   "{name = \"user \" .. user.number}) end}\n" +
                                       extra);
    }

    // Two workers and the controller each in a directory of its own, reading its own scenario.lua.
    void start_in_own_directories(const std::string& extra_on_w1 = "") {
        for (int i = 0; i < 2; ++i) write_numbering_scenario(dir_ / fmt::format("w{}", i), i == 1 ? extra_on_w1 : "");
        write_numbering_scenario(dir_ / "controller");
        controller_launcher_ = {"/usr/bin/env", "--chdir=" + (dir_ / "controller")};
        start_workers(2, [this](int i) {
            return std::vector<std::string>{"/usr/bin/env", "--chdir=" + (dir_ / fmt::format("w{}", i))};
        });
    }

    std::string login_file_ = dir_ / "login";
    std::unique_ptr<CloudServer> cloud_;
};

TEST_F(HttpCluster, TheCourseFlowOnTwoWorkersIsOneRunOfItsUsersWithLocustsTablesAndFiles) {
    start_workers(2);
    auto control = controller_process(2,
                                      {"http", "--host", site(), "-u", "3", "-r", "20", "-t", "3s", "--wait", "0.2-0.4",
                                       "--login-file", login_file_, "--json", "--quiet"},
                                      {"--csv", dir_ / "merged"});
    ASSERT_EQ(exit_code(*control), 0) << control->log();
    json::object merged = last_json(control->log());
    EXPECT_TRUE(merged.at("ok").as_bool()) << control->log();
    std::map<std::string, int> users;
    for (const auto& w : merged.at("workers").as_array())
        users[std::string(w.at("id").as_string())] = w.at("clients").to_number<int>();
    EXPECT_EQ(users, (std::map<std::string, int>{{"w0", 2}, {"w1", 1}})) << control->log();
    // Each worker had its whole share running at once; the memory per user is
    // over every worker that measured one (a process may not grow for one user).
    EXPECT_EQ(merged.at("peak_users").to_number<int>(), 3) << control->log();
    double memory = 0, measured_users = 0;
    for (const auto& w : merged.at("workers").as_array()) {
        EXPECT_EQ(w.at("peak_users").to_number<int>(), w.at("clients").to_number<int>()) << control->log();
        if (const auto* per_user = w.as_object().if_contains("memory_per_user_bytes")) {
            memory += per_user->to_number<double>() * w.at("peak_users").to_number<double>();
            measured_users += w.at("peak_users").to_number<double>();
        }
    }
    if (measured_users > 0)
        EXPECT_NEAR(merged.at("memory_per_user_bytes").to_number<double>(), memory / measured_users, 1e-6)
            << control->log();
    else EXPECT_FALSE(merged.contains("memory_per_user_bytes")) << control->log();

    // Every user logged in once, whichever worker ran it, and browsed.
    std::map<std::string, std::uint64_t> by_name = requests_by_name(merged);
    EXPECT_EQ(by_name["POST /accounts/login/?next=/"], 3u) << control->log();
    EXPECT_GE(by_name["GET /"], 3u) << control->log();
    // The merged table is the sum of what each worker's own run reported.
    std::map<std::string, std::uint64_t> summed;
    for (auto& w : workers_) {
        ASSERT_TRUE(run_ended(*w)) << w->log();
        for (const auto& [name, n] : requests_by_name(last_json(w->log()))) summed[name] += n;
    }
    EXPECT_EQ(by_name, summed) << control->log();
    EXPECT_EQ(merged.at("latency").as_object().at("count").to_number<std::uint64_t>(), total(by_name))
        << "the response times of every request";

    // Locust's tables on the terminal, and its files with the merged figures.
    std::string text = control->log();
    std::ifstream stats(dir_ / "merged_stats.csv");
    std::string header, line, aggregated;
    ASSERT_TRUE(std::getline(stats, header)) << "no merged_stats.csv";
    EXPECT_EQ(header.rfind("Type,Name,Request Count,Failure Count", 0), 0u) << header;
    while (std::getline(stats, line))
        if (line.find(",Aggregated,") != std::string::npos) aggregated = line;
    EXPECT_EQ(aggregated.rfind(fmt::format(",Aggregated,{},0,", total(by_name)), 0), 0u) << aggregated;
    std::ifstream history(dir_ / "merged_stats_history.csv");
    int rows = 0;
    for (std::getline(history, line); std::getline(history, line);) ++rows;
    EXPECT_GE(rows, 2) << "a row a second of a 3 s run";
}

// Three workers of two users each; one is killed: once the controller counts it
// vanished, the two left run three users each, and the run keeps its six.
TEST_F(HttpCluster, AVanishedWorkersUsersAreSharedOutAmongTheWorkersLeft) {
    start_workers(3);
    auto control = controller_process(3, {"http", "--host", site(), "-u", "6", "-r", "50", "-t", "11s", "--wait",
                                          "0.2-0.4", "--login-file", login_file_, "--json", "--quiet"});
    ASSERT_TRUE(run_started(*control)) << control->log();
    // Past its first report, so its users' logins count in the merged figures.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    workers_[2]->kill9();
    EXPECT_EQ(exit_code(*control), 1) << "a vanished worker fails the run: " << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("worker w2 vanished"), std::string::npos) << log;
    EXPECT_NE(log.find("the run's 6 users are shared out again among the workers running: w0 3, w1 3"),
              std::string::npos)
        << log;
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(run_ended(*workers_[i])) << workers_[i]->log();
        EXPECT_NE(workers_[i]->log().find("its controller moved users: 3 users now"), std::string::npos)
            << workers_[i]->log();
    }
    json::object merged = last_json(log);
    std::map<std::string, int> peak;
    for (const auto& w : merged.at("workers").as_array())
        peak[std::string(w.at("id").as_string())] = w.at("peak_users").to_number<int>();
    EXPECT_EQ(peak, (std::map<std::string, int>{{"w0", 3}, {"w1", 3}, {"w2", 2}})) << log;
    // The six users logged in, and then the two the workers left took up.
    EXPECT_EQ(requests_by_name(merged)["POST /accounts/login/?next=/"], 8u) << log;
}

// One worker's link to the broker is cut (the site stays in its reach): the
// controller counts it vanished and gives its users to the other, and the
// cut-off worker, hearing no heartbeat, has stopped them by then, so that none
// runs twice; back on the broker, it runs its users again once the controller
// shares them out again.
TEST_F(HttpCluster, ACutOffWorkerStopsItsUsersBeforeTheOthersTakeThemUp) {
    lampi::testing::SlowSite counting(0);  // answers at once, and counts the connections open
    const std::string scenario = dir_ / "busy.lua";
    lampi::testing::write_file(scenario, "wait = {0.05, 0.1}\ntasks = {{run = function(user) user:get(\"/\") end}}\n");
    silence_ = "4";
    start_workers(1);
    lampi::testing::TcpProxy link(broker_.port());
    cluster_port_ = link.port();
    start_workers(1);  // w1 reaches the broker through the link
    cluster_port_ = 0;
    auto control = controller_process(2, {"http", "--host", counting.url(), "-f", scenario, "-u", "4", "-r", "100",
                                          "-t", "20s", "--threads", "1", "--json", "--quiet"});
    ASSERT_TRUE(run_started(*control)) << control->log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    link.cut();
    ASSERT_TRUE(lampi::testing::eventually(
        [&] { return control->log().find("among the workers running: w0 4") != std::string::npos; },
        std::chrono::seconds(15)))
        << control->log();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // w0's two more users are under way
    int most = 0;
    for (int i = 0; i < 20; ++i) {
        most = std::max(most, counting.open_connections());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_LE(most, 4) << "w0 runs the four users and w1 none of them";
    link.restore();
    exit_code(*control);
    const std::string log = control->log();
    EXPECT_NE(log.find("worker w1 is back"), std::string::npos) << log;
    EXPECT_NE(log.find("among the workers running: w0 2, w1 2"), std::string::npos) << log;
    const std::string w1 = workers_[1]->log();
    EXPECT_NE(w1.find("no word from its controller for 2 s: its 2 users stop"), std::string::npos) << w1;
    EXPECT_NE(w1.find("its controller moved users: 2 users now"), std::string::npos) << w1;
    EXPECT_NE(workers_[0]->log().find("its controller moved users: 4 users now"), std::string::npos)
        << workers_[0]->log();
}

// The controller's --web page shows the workers' merged run, and steers it as a
// single run's page does: its users and spawn rate go to the workers, its stop
// stops them all, its quit ends the run as planned; behind --web-auth-file, as one run's.
TEST_F(HttpCluster, TheControllersPageShowsTheMergedRunAndSteersTheWorkersUsers) {
    lampi::testing::SlowSite counting(0);  // answers at once, and counts the connections open
    const std::string scenario = dir_ / "busy.lua";
    lampi::testing::write_file(scenario, "wait = {0.05, 0.1}\ntasks = {{run = function(user) user:get(\"/\") end}}\n");
    // The page behind a user and password, as one process's (--web-auth-file).
    const std::string auth = dir_ / "web-auth";
    lampi::testing::write_file(auth, "boss:a long passphrase\n");
    ASSERT_EQ(::chmod(auth.c_str(), 0600), 0);
    start_workers(2);
    auto control = controller_process(2,
                                      {"http", "--host", counting.url(), "-f", scenario, "-u", "2", "-r", "50",
                                       "--threads", "1", "--json", "--quiet"},
                                      {"--web", "127.0.0.1:0", "--web-auth-file", auth});
    int port = 0;
    ASSERT_TRUE(lampi::testing::eventually(
        [&] {
            const std::string log = control->log();
            std::smatch at;  // points into `log`: read before it goes
            if (!std::regex_search(log, at, std::regex("web UI is at http://127\\.0\\.0\\.1:(\\d+)/"))) return false;
            port = std::stoi(at[1]);
            return true;
        },
        std::chrono::seconds(10)))
        << control->log();
    lampi::testing::HttpClient page(port);
    EXPECT_EQ(page.request("GET", "/stats").status, 401);
    const lampi::testing::HttpHeaders login{
        {"Authorization", "Basic " + lampi::base64_encode("boss:a long passphrase")}};
    json::object stats;
    auto page_shows = [&](const std::function<bool(const json::object&)>& done) {
        return lampi::testing::eventually(
            [&] {
                lampi::testing::HttpReply r = page.request("GET", "/stats", login);
                if (r.status != 200) return false;
                stats = json::parse(r.body).as_object();
                return done(stats);
            },
            std::chrono::seconds(15));
    };
    auto aggregated = [](const json::object& s) -> std::int64_t {
        for (const auto& r : s.at("requests").as_array())
            if (r.at("name").as_string() == "Aggregated") return r.at("requests").to_number<std::int64_t>();
        return 0;
    };
    EXPECT_TRUE(page_shows([&](const json::object& s) {
        return s.at("state").as_string() == "running" && s.at("users").as_int64() == 2 && aggregated(s) > 0;
    })) << json::serialize(stats);
    auto post = [&](const std::string& path, const std::string& body) {
        lampi::testing::HttpHeaders headers = login;
        headers.emplace_back("Content-Type", "application/json");
        return page.request("POST", path, headers, body).status;
    };
    EXPECT_EQ(post("/start", R"({"users": 6, "spawn_rate": 50})"), 200);
    EXPECT_TRUE(page_shows([](const json::object& s) { return s.at("users").as_int64() == 6; }))
        << json::serialize(stats);
    EXPECT_TRUE(lampi::testing::eventually([&] { return counting.open_connections() == 6; }, std::chrono::seconds(5)))
        << "the workers' six users, each on its connection: " << counting.open_connections();
    EXPECT_NE(control->log().find("the page asks for 6 users at 50 a second: w0 3, w1 3"), std::string::npos)
        << control->log();
    EXPECT_EQ(post("/stop", "{}"), 200);
    EXPECT_TRUE(page_shows([](const json::object& s) { return s.at("users").as_int64() == 0; }))
        << json::serialize(stats);
    lampi::testing::HttpReply csv = page.request("GET", "/stats.csv", login);
    EXPECT_EQ(csv.status, 200);
    EXPECT_NE(csv.body.find("Aggregated"), std::string::npos) << csv.body;
    EXPECT_EQ(post("/quit", "{}"), 200);
    EXPECT_EQ(exit_code(*control), 0) << control->log();
    EXPECT_NE(control->log().find("the page ended the run"), std::string::npos) << control->log();
    for (auto& w : workers_) EXPECT_NE(w->log().find("finished by its controller"), std::string::npos) << w->log();
    EXPECT_GE(last_json(control->log()).at("workers").as_array().size(), 2u);
}

// A ramp over two workers against a site that slows to 2 s an answer past four
// connections (as RampRun's single run): the controller steps both workers up on
// their merged figures, stops at the step whose p99 crosses 1 s, and finds the
// same knee one run finds, 4 users; the workers finish as planned.
TEST_F(HttpCluster, ARampOverTheWorkersStepsThemUpTogetherAndFindsTheKneeOfOneRun) {
    lampi::testing::SlowSite slow(1000, 4);
    // Once, with the ASan suite running beside, both workers' reports stayed away for 5 s at
    // the first step (each worker now says when its report is late): not counted vanished so.
    silence_ = "10";
    const std::string scenario = dir_ / "busy.lua";
    // A short think time: users without one keep a worker's CPU busy, and on a loaded machine
    // two such workers once went 5 s without a report (counted vanished) at a step.
    lampi::testing::write_file(scenario,
                               "wait = {0.01, 0.02}\ntasks = {{run = function(user) user:get(\"/\", {name = \"user \" "
                               ".. user.number}) end}}\n");
    start_workers(2);
    auto control = controller_process(2, {"http", "--host", slow.url(), "-f", scenario, "-r", "100", "--step-users",
                                          "2", "--step-time", "3", "--stop-when", "p99>1s or fail>1%", "--threads", "1",
                                          "--json", "--quiet"});
    ASSERT_EQ(exit_code(*control), 0) << control->log() << "\nw0:\n"
                                      << workers_[0]->log() << "\nw1:\n"
                                      << workers_[1]->log();
    std::string log = control->log();
    json::object merged = expect_the_knee_of_four_over_two_workers(log, "users");
    EXPECT_EQ(slow.most_connections(), 6) << "no step past the one that met the condition";
    // The users the ramp added are numbered on from the run's, none twice (as one run numbers them).
    std::set<std::string> names;
    for (const auto& [name, n] : requests_by_name(merged)) names.insert(name);
    EXPECT_EQ(names, (std::set<std::string>{"GET user 0", "GET user 1", "GET user 2", "GET user 3", "GET user 4",
                                            "GET user 5"}))
        << log;
}

// -u 4 on two workers: users 0 and 1 on one, 2 and 3 on the other, as one run numbers them.
TEST_F(HttpCluster, EachWorkersUsersAreNumberedOnFromTheLastWorkersAsInOneRun) {
    start_in_own_directories();
    auto control = controller_process(2, {"http", "--host", site(), "-u", "4", "-r", "50", "-t", "2s", "-f",
                                          "scenario.lua", "--quiet"});
    ASSERT_EQ(exit_code(*control), 0) << control->log();
    std::set<std::string> names;
    for (const auto& [name, n] : requests_by_name(last_json(control->log()))) names.insert(name);
    EXPECT_EQ(names, (std::set<std::string>{"GET user 0", "GET user 1", "GET user 2", "GET user 3"})) << control->log();
}

TEST_F(HttpCluster, AWorkerWhoseScenarioFileDiffersFromTheControllersRefusesToRunItAndSaysSo) {
    start_in_own_directories("-- edited on this worker only\n");
    auto control = controller_process(2, {"http", "--host", site(), "-u", "2", "-r", "50", "-t", "2s", "-f",
                                          "scenario.lua", "--quiet"});
    EXPECT_EQ(exit_code(*control), 1) << control->log();
    std::string log = control->log();
    EXPECT_NE(log.find("worker w1: its run did not start"), std::string::npos) << log;
    EXPECT_NE(log.find("differs from the controller's"), std::string::npos) << log;
    json::object merged = last_json(log);
    for (const auto& w : merged.at("workers").as_array())
        EXPECT_EQ(w.at("state").as_string(), w.at("id").as_string() == "w0" ? "done" : "failed") << log;
}

// The scenario reads a CSV file and a module as it loads: a worker whose CSV
// file differs refuses the run, naming its copies; with the same copies it runs.
TEST_F(HttpCluster, AWorkerWhoseScenarioDataDiffersFromTheControllersRefusesToRunItUntilItHoldsTheSame) {
    const std::string reads = "local common = require('common')\nlocal people = csv('people.csv')\n";
    start_in_own_directories();
    for (const char* place : {"controller", "w0", "w1"}) {
        write_numbering_scenario(dir_ / place, reads);
        lampi::testing::write_file(dir_ / fmt::format("{}/common.lua", place), "return {}\n");
        lampi::testing::write_file(dir_ / fmt::format("{}/people.csv", place),
                                   place == std::string("w1") ? "name\nbob\n" : "name\nalice\n");
    }
    const std::vector<std::string> run{"http", "--host", site(), "-u",           "2",      "-r", "50",
                                       "-t",   "2s",     "-f",   "scenario.lua", "--quiet"};
    auto refused = controller_process(2, run);
    EXPECT_EQ(exit_code(*refused), 1) << refused->log();
    std::string log = refused->log();
    EXPECT_NE(log.find("-f scenario.lua reads common.lua (SHA-256 "), std::string::npos) << log;
    EXPECT_NE(log.find("worker w1: its run did not start"), std::string::npos) << log;
    EXPECT_NE(log.find("the files it reads here (common.lua (SHA-256 "), std::string::npos) << log;
    EXPECT_EQ(log.find("worker w0: its run did not start"), std::string::npos) << log;

    lampi::testing::write_file(dir_ / "w1/people.csv", "name\nalice\n");
    auto same = controller_process(2, run);
    EXPECT_EQ(exit_code(*same), 0) << same->log();
}

// A file a task would open only as the users run was never checked against the
// controller's copy: the workers refuse it, and the scenario error says where to
// open it instead.
TEST_F(HttpCluster, AWorkerOpensNoCsvFileItsScenarioDidNotReadAsItLoaded) {
    start_in_own_directories();
    for (const char* place : {"controller", "w0", "w1"}) {
        lampi::testing::write_file(dir_ / fmt::format("{}/later.lua", place),
                                   "wait = {0.1, 0.2}\ntasks = {function(user) local people = csv('people.csv')\n"
                                   "user:get('/accounts/login/', {name = people:next().name}) end}\n");
        lampi::testing::write_file(dir_ / fmt::format("{}/people.csv", place), "name\nalice\n");
    }
    auto control = controller_process(2, {"http", "--host", site(), "-u", "2", "-r", "50", "-t", "2s", "-f",
                                          "later.lua", "--json", "--quiet"});
    exit_code(*control);
    const std::string log = control->log();
    EXPECT_NE(log.find("later.lua:2: csv: "), std::string::npos) << log;
    EXPECT_NE(log.find("opens only the CSV files its scenario reads as it loads"), std::string::npos) << log;
    EXPECT_EQ(total(requests_by_name(last_json(log))), 0u) << log;
}

}  // namespace
}  // namespace lampi::load::cluster
