// Ramp to failure as a user runs it: web users against a real server whose
// answers slow down with every connection (so the knee is known), publishers
// against a real Mosquitto up to their ceiling, and clear refusals of bad flags.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fmt/core.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "cli_run.h"
#include "mqtt_harness.h"
#include "slow_site.h"

namespace {

// Each test file names what it uses (cli_test.cpp the same run helpers): a shared
// header of using-declarations would hide where a name comes from.
using lampi::testing::CliRun;
using lampi::testing::lampi_load;
using lampi::testing::SlowSite;
using lampi::testing::TempDir;
using lampi::testing::TestBroker;

// Users that load / back to back, without think time.
std::string busy_scenario(const TempDir& dir) {
    std::string path = dir / "busy.lua";
    std::ofstream(path) << "wait = 0\ntasks = {{run = function(user) user:get(\"/\") end}}\n";
    return path;
}

// lampi-load http: users of `busy_scenario` against `site`, stepped up by 2 at 100 users/s.
CliRun ramp_against(const SlowSite& site, const TempDir& dir, const std::string& flags) {
    return lampi_load(fmt::format("http --host {} -f {} -r 100 --step-users 2 --threads 1 --quiet {}", site.url(),
                                  busy_scenario(dir), flags),
                      std::chrono::seconds(90));
}

TEST(RampRun, WebUsersStepUpUntilTheSlowingSiteMeetsTheConditionAndTheKneeIsTheStepBefore) {
    TempDir dir;
    // Up to 4 connections answer at once, every one beyond adds a second: 2 and 4 users
    // see a few ms, 6 users 2 s. A condition at 1 s lies far from both sides, so a loaded
    // machine moves no step across it (with 30 ms per connection and the condition at
    // 150 ms, 30 ms more under load made the 4-user step miss it: knee at 2). p99, not
    // p95: under stress-ng users 5 and 6 once connected a second into their step, and the
    // 4 fast users' 134 answers before that kept the step's p95 at 6 ms.
    SlowSite site(1000, 4);
    CliRun r = ramp_against(site, dir, "--step-time 4 --stop-when 'p99>1s or fail>1%' --json");
    boost::json::object report = boost::json::parse(r.output).as_object();
    const auto& ramp = report.at("ramp").as_object();
    ASSERT_TRUE(ramp.at("knee_users").is_int64()) << r.output;
    EXPECT_EQ(ramp.at("knee_users").as_int64(), 4) << r.output;
    const auto& steps = ramp.at("steps").as_array();
    ASSERT_EQ(steps.size(), 3u) << r.output;
    const auto& last = steps.back().as_object();
    EXPECT_EQ(last.at("users").as_int64(), 6);
    EXPECT_TRUE(last.at("stop_condition_held").as_bool());
    EXPECT_GT(last.at("p99_ms").to_number<double>(), 1000);
    EXPECT_LT(steps[1].as_object().at("p99_ms").to_number<double>(), 1000);
    EXPECT_NE(ramp.at("outcome").as_string().find("held at 6 users"), std::string::npos);
    EXPECT_EQ(site.most_connections(), 6) << "the ramp stopped adding users once the condition held";
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream content;
    content << f.rdbuf();
    return content.str();
}

// The text, CSV and HTML reports of one run agree on the steps and the knee.
TEST(RampRun, TheTextCsvAndHtmlReportsShowEachStepAndTheKnee) {
    TempDir dir;
    SlowSite site(30);
    CliRun r = ramp_against(site, dir,
                            fmt::format("--step-time 2 -u 4 --stop-when 'p95>1s' --csv {} --report {}", dir / "run",
                                        dir / "run.html"));
    EXPECT_NE(r.output.find("Ramp: +2 users every 2 s until p95>1s"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Knee: 4 users"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("reached the ceiling of 4 users"), std::string::npos) << r.output;

    // One row per step under the header; the knee is the 4-user step.
    std::string csv = read_file(dir / "run_ramp.csv");
    std::istringstream lines(csv);
    std::vector<std::string> rows;
    for (std::string line; std::getline(lines, line);) rows.push_back(line);
    ASSERT_EQ(rows.size(), 3u) << csv;
    EXPECT_EQ(rows[0].rfind("users,started_s,duration_s,operations,failures,per_s,p50_ms,p95_ms,p99_ms,avg_ms,"
                            "stop_condition_held,knee,why",
                            0),
              0u)
        << csv;
    EXPECT_EQ(rows[1].rfind("2,", 0), 0u) << csv;
    EXPECT_EQ(rows[2].rfind("4,", 0), 0u) << csv;
    EXPECT_NE(rows[1].find(",0,0,"), std::string::npos) << "the 2-user step is not the knee: " << csv;
    EXPECT_NE(rows[2].find(",0,1,"), std::string::npos) << "the 4-user step is the knee: " << csv;
    // Locust's own files are still written beside it.
    EXPECT_FALSE(read_file(dir / "run_stats.csv").empty());

    std::string html = read_file(dir / "run.html");
    EXPECT_NE(html.find("<h2>Ramp to failure</h2>"), std::string::npos);
    EXPECT_NE(html.find("Knee: <strong>4 users</strong>"), std::string::npos);
    EXPECT_NE(html.find("<tr class=\"knee\"><td>4</td>"), std::string::npos) << html.substr(0, 4000);
    EXPECT_NE(html.find("<tr><td>2</td>"), std::string::npos);
    EXPECT_NE(html.find("id=\"chart-ramp-latency\""), std::string::npos);
}

TEST(RampRun, PublishersStepUpToTheirCeiling) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    CliRun r = lampi_load(fmt::format("publish -p {} -P 6 -T 20 --step-users 2 --step-time 2 --stop-when 'fail>50%' "
                                      "--json --quiet",
                                      broker.port()),
                          std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    boost::json::object report = boost::json::parse(r.output).as_object();
    const auto& ramp = report.at("ramp").as_object();
    const auto& steps = ramp.at("steps").as_array();
    ASSERT_EQ(steps.size(), 3u) << r.output;
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& step = steps[i].as_object();
        const auto users = static_cast<std::int64_t>(2 * (i + 1));
        EXPECT_EQ(step.at("users").as_int64(), users);
        // -T 20 per client: a step confirms about 20 x users x its length. The run
        // ends at the last step's end without waiting for PUBACKs, so that step's
        // are counted with those still in flight (a loaded broker acks late).
        double confirmed = step.at("operations").to_number<double>();
        if (i == 2) confirmed += report.at("figures").at("in_flight_at_end").to_number<double>();
        double expected = 20.0 * static_cast<double>(users) * step.at("duration_s").to_number<double>();
        EXPECT_NEAR(confirmed, expected, 0.2 * expected) << "step " << i << ": " << r.output;
    }
    EXPECT_EQ(ramp.at("knee_users").as_int64(), 6);
    EXPECT_EQ(report.at("peak_connections").as_int64(), 6);
}

TEST(RampRun, MalformedFlagsAreUsageErrorsThatSayWhatIsWrong) {
    struct Case {
        const char* command;
        const char* said;
    };
    for (const Case& c : {
             Case{"http --host http://127.0.0.1:9 --login a:b --step-users 5 --step-time 10 --stop-when 'p95>500'",
                  "--stop-when 'p95>500': 'p95>500' needs a time unit"},
             Case{"http --host http://127.0.0.1:9 --login a:b --step-users 5 --step-time 10 --stop-when 'p95>500'",
                  "e.g. --stop-when 'p95>500ms or fail>1%'"},
             Case{"publish --step-users 5 --stop-when 'fail>1%'", "needs all three"},
             Case{"publish --stop-when 'fail>1%'", "add --step-users"},
             // A controller's ramp steers its workers' clients (--steered): never with a ramp of their own.
             Case{"publish -P 4 --steered 2 --step-users 2 --step-time 5 --stop-when 'fail>1%'",
                  "--steered: the clients follow a controller's steers"},
             Case{"publish -P 2 --steered 3", "--steered 3: at most the 2 clients of -P"},
         }) {
        CliRun r = lampi_load(c.command);
        EXPECT_EQ(r.exit_code, 2) << c.command;
        EXPECT_NE(r.output.find(c.said), std::string::npos) << c.command << "\n" << r.output;
    }
    EXPECT_NE(lampi_load("http --help").output.find("--stop-when"), std::string::npos);
}

}  // namespace
