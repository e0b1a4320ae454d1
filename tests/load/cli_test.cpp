// lampi-load as a user runs it: the summary a malaria user expects, the JSON and
// HTML reports, and clear failures for bad hosts and ports.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/json.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>

#include <sys/stat.h>

#include "broker_passwords.h"
#include "cli_run.h"
#include "mqtt_harness.h"
#include "slow_site.h"
#include "small_disk.h"

namespace {

// Each test file names what it uses (as http_test.cpp does): a shared header of
// using-declarations would hide where a name comes from.
using lampi::testing::TempDir;
using lampi::testing::TestBroker;

using lampi::testing::CliRun;
using lampi::testing::lampi_load;
using lampi::testing::lampi_load_with;

double number_after(const std::string& text, const std::string& pattern) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(pattern))) return -1;
    return std::stod(m[1]);
}

// The block malaria's print_publish_stats writes, in its order and number format.
const char* kMalariaBlock =
    "Clientid: (.*)\n"
    "Message succes rate: ([0-9.]+)% \\((\\d+)/(\\d+) messages\\)\n"
    "Message timing mean   ([0-9.]+) ms\n"
    "Message timing stddev ([0-9.]+) ms\n"
    "Message timing min    ([0-9.]+) ms\n"
    "Message timing max    ([0-9.]+) ms\n"
    "Messages per second   ([0-9.]+)\n"
    "Total time            ([0-9.]+) secs\n";

// A malaria command line as its README writes it (-t -n -P -T, and -q -s -c -H -p)
// runs unchanged: a block per client, then malaria's aggregate, then our percentiles.
TEST(Cli, PublishPrintsMalariasSummaryBlocksThenPercentiles) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    CliRun r = lampi_load(
        fmt::format("publish -t -n 50 -P 3 -T 200 -q 1 -s 100 -c malaria -H 127.0.0.1 -p {} --quiet", broker.port()));
    ASSERT_EQ(r.exit_code, 0) << r.output;

    std::regex block(kMalariaBlock);
    std::vector<std::smatch> blocks;
    for (auto it = std::sregex_iterator(r.output.begin(), r.output.end(), block); it != std::sregex_iterator(); ++it)
        blocks.push_back(*it);
    ASSERT_EQ(blocks.size(), 4u) << r.output;
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(blocks[static_cast<std::size_t>(i)][1], fmt::format("malaria-{}", i));
        EXPECT_EQ(blocks[static_cast<std::size_t>(i)][3], "50");
        EXPECT_EQ(blocks[static_cast<std::size_t>(i)][4], "50");
        // -T 200: each client's own rate, over its 50 messages.
        EXPECT_LE(std::stod(blocks[static_cast<std::size_t>(i)][9]), 260.0) << r.output;
    }
    const std::smatch& m = blocks[3];
    EXPECT_EQ(m[1], "Aggregate stats (simple avg) for 3 processes");
    EXPECT_EQ(std::stod(m[2]), 100.0);
    EXPECT_EQ(m[3], "150");
    EXPECT_EQ(m[4], "150");
    EXPECT_LE(std::stod(m[7]), std::stod(m[5]));
    EXPECT_LE(std::stod(m[5]), std::stod(m[8]));
    EXPECT_GT(std::stod(m[10]), 0);
    EXPECT_GE(number_after(r.output, "p99 ([0-9.]+)"), number_after(r.output, "p50 ([0-9.]+)"));
    EXPECT_NE(r.output.find("p99.9"), std::string::npos);
    EXPECT_NE(r.output.find("Connections: 3 attempted, 3 ok, 0 failed"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Result: OK"), std::string::npos);
}

TEST(Cli, JsonAndHtmlReportsCarryTheRunsData) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    std::string html = dir / "report.html";
    std::string csv = dir / "run";
    CliRun r = lampi_load(fmt::format("publish -p {} -P 2 --qos 0 --duration 1.2 --rate 50 --json --report {} --csv {}",
                                      broker.port(), html, csv));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    boost::json::object report = boost::json::parse(r.output).as_object();
    EXPECT_EQ(report.at("scenario").as_string(), "publish");
    EXPECT_TRUE(report.at("ok").as_bool());
    auto sent = report.at("counters").as_object().at("sent").to_number<double>();
    EXPECT_NEAR(sent, 2 * 50 * 1.2, 15);
    EXPECT_GE(report.at("series").as_array().size(), 1u);

    std::string page = lampi::testing::read_file(html);
    EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
    EXPECT_NE(page.find("</html>"), std::string::npos);
    EXPECT_NE(page.find("uPlot"), std::string::npos) << "the chart library is inlined";
    EXPECT_EQ(page.find("<script src="), std::string::npos) << "nothing is loaded from elsewhere";
    const std::string open = "<script type=\"application/json\" id=\"lampi-load-data\">";
    auto begin = page.find(open);
    ASSERT_NE(begin, std::string::npos);
    begin += open.size();
    auto end = page.find("</script>", begin);
    boost::json::object embedded = boost::json::parse(page.substr(begin, end - begin)).as_object();
    EXPECT_EQ(embedded.at("counters").as_object().at("sent").to_number<double>(), sent);

    std::string series = lampi::testing::read_file(csv + "_series.csv");
    EXPECT_TRUE(series.starts_with("elapsed_s,connections,sent_per_s")) << series;
    EXPECT_GE(std::count(series.begin(), series.end(), '\n'), 2);
}

// --sys follows the broker's $SYS topics: the report carries the broker's own
// figures beside the clients' (Mosquitto keeps them retained, so a short run
// sees them).
// The disk of --csv and --report fills up: the run's summary is still printed,
// each file that did not fit is an error naming it (exit 1), and none is left
// empty or cut short: a file is there whole or not at all.
TEST(Cli, AFullDiskUnderTheReportsIsAnErrorAndLeavesNoFileHalfWritten) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small file system needs root";
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    lampi::testing::SmallDisk disk(dir / "disk", 1);
    // Root in a container may still lack the right to mount (CAP_SYS_ADMIN).
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
    // One 4 KiB page left: the first CSV file fits, the next ones do not.
    lampi::testing::write_file(dir / "disk/filler", std::string((1 << 20) - 4096, 'x'));
    const std::string prefix = dir / "disk/run";
    CliRun r = lampi_load(fmt::format("publish -p {} -P 2 -T 50 -d 1.5 --csv {} --report {}.html --quiet",
                                      broker.port(), prefix, prefix));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("Result: OK"), std::string::npos) << "the summary is printed: " << r.output;
    EXPECT_NE(r.output.find("No space left on device"), std::string::npos) << r.output;
    int missing = 0;
    for (const char* suffix : {"_series.csv", "_summary.csv", ".html"}) {
        const std::string path = prefix + suffix;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            ++missing;
            EXPECT_NE(r.output.find("cannot write " + path), std::string::npos) << path << " not named: " << r.output;
            continue;
        }
        const std::string content = lampi::testing::read_file(path);
        EXPECT_TRUE(!content.empty() && content.back() == '\n') << path << " was left cut short: " << content.size();
    }
    EXPECT_GE(missing, 1) << "a file did not fit";
}

TEST(Cli, SysAddsTheBrokersOwnFiguresToTheReport) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    CliRun r = lampi_load(fmt::format("publish -p {} -P 2 --qos 0 --duration 1.5 --rate 20 --json --sys", broker.port()));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    boost::json::object report = boost::json::parse(r.output).as_object();
    const auto& figures = report.at("broker").as_object();
    // Mosquitto's first $SYS snapshot is from its start (no clients yet): the
    // figure is there, its value may still be 0.
    EXPECT_TRUE(figures.contains("broker.clients")) << r.output;

    CliRun without = lampi_load(fmt::format("publish -p {} -P 2 --qos 0 --duration 0.5 --rate 20 --json", broker.port()));
    ASSERT_EQ(without.exit_code, 0) << without.output;
    EXPECT_TRUE(boost::json::parse(without.output).at("broker").as_object().empty()) << "no $SYS without --sys";
}

// lampi-load raises its own open-file limit: 300 connections under a soft limit
// of 128 (the hard one allowing more) all get through; with the hard limit too
// low, as a user who may not raise it, it says what to run.
TEST(Cli, RaisesItsOwnDescriptorLimitOrSaysHowTo) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    CliRun raised = lampi_load_with("prlimit --nofile=128:4096 --",
                                    fmt::format("publish -p {} -P 300 -n 1 --qos 0 --quiet", broker.port()));
    ASSERT_EQ(raised.exit_code, 0) << raised.output;
    EXPECT_NE(raised.output.find("Connections: 300 attempted, 300 ok, 0 failed"), std::string::npos) << raised.output;

    // root may raise the hard limit, so the run drops to nobody first.
    std::string as_user = ::geteuid() == 0 ? " setpriv --reuid=65534 --regid=65534 --clear-groups --" : "";
    CliRun too_low = lampi_load_with("prlimit --nofile=128:200 --" + as_user,
                                     fmt::format("publish -p {} -P 300 -n 1 --qos 0 --quiet", broker.port()));
    EXPECT_NE(too_low.exit_code, 0) << too_low.output;
    EXPECT_NE(too_low.output.find("ulimit -Hn 364"), std::string::npos) << too_low.output;
}

// More web users than the process may hold sockets (a hard descriptor limit only
// root raises): they share the connections that fit, the run says so, and every
// user still makes its requests, none failed, never more sockets open than fit.
TEST(Cli, MoreWebUsersThanDescriptorsShareTheConnectionsThatFit) {
    TempDir dir;
    lampi::testing::SlowSite site(0);
    std::ofstream(dir / "get.lua") << "wait = {0.3, 0.6}\ntasks = {{run = function(user) user:get(\"/\") end}}\n";
    CliRun r = lampi_load_with(lampi::testing::fixed_descriptor_limit_command(300),
                               fmt::format("http --host {} -f {} -u 400 -r 400 -t 4 --threads 2 --json --quiet",
                                           site.url(), dir / "get.lua"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // 300 less 64 of its own.
    EXPECT_NE(r.output.find("over this process's hard limit of 300: they share 236 connections"), std::string::npos)
        << r.output;
    boost::json::object report = boost::json::parse(r.output.substr(r.output.find("\n{") + 1)).as_object();
    EXPECT_EQ(report.at("figures").as_object().at("users").to_number<double>(), 400) << r.output;
    const auto [requests, failures] = lampi::testing::request_totals(report);
    // 4 s of 0.3-0.6 s waits: every user several times over natively (about 2 500);
    // under qemu-user, with every request emulated, about 800.
    EXPECT_GT(requests, 400) << r.output;
    EXPECT_EQ(failures, 0) << r.output;
    // Its own count: the site sees a closed connection go only once its thread reads the end.
    EXPECT_LE(report.at("peak_connections").to_number<double>(), 300 - 64) << r.output;
    EXPECT_GT(report.at("peak_connections").to_number<double>(), 200) << r.output;
}

// --max-connections below the users, none of them thinking: every socket is busy,
// so a request waits for one to be answered; all are made, none fails.
TEST(Cli, MaxConnectionsCapsTheSocketsAndARequestWaitsForOne) {
    TempDir dir;
    lampi::testing::SlowSite site(0);
    // Each user's requests under a name of its own.
    std::ofstream(dir / "get.lua")
        << "wait = 0\ntasks = {{run = function(user) user:get(\"/\", {name = \"u\" .. user.number}) end}}\n";
    CliRun r =
        lampi_load(fmt::format("http --host {} -f {} -u 20 -r 100 -t 2 --threads 1 --max-connections 4 --json "
                               "--quiet",
                               site.url(), dir / "get.lua"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    boost::json::object report = boost::json::parse(r.output).as_object();
    EXPECT_EQ(report.at("figures").as_object().at("users").to_number<double>(), 20) << r.output;
    // In turns: no user keeps a socket while others wait for one.
    int users_seen = 0;
    for (const auto& row : report.at("requests").as_array()) {
        const boost::json::object& o = row.as_object();
        if (o.at("name").as_string() == "Aggregated") continue;
        ++users_seen;
        // Natively dozens each; a user left waiting has none.
        EXPECT_GT(o.at("requests").to_number<double>(), 3) << o.at("name").as_string() << ": " << r.output;
        EXPECT_EQ(o.at("failures").to_number<double>(), 0) << r.output;
    }
    EXPECT_EQ(users_seen, 20) << r.output;
    EXPECT_LE(report.at("peak_connections").to_number<double>(), 4) << r.output;
}

TEST(Cli, NothingListeningOnThePortIsAClearFailure) {
    int port = lampi::testing::free_port();
    CliRun r = lampi_load(fmt::format("publish -p {} -n 5 --quiet", port));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("Connection refused"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("is the broker running and listening there (check --host and --port)?"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("Result: FAILED"), std::string::npos);
}

TEST(Cli, AnUnknownHostIsAClearFailure) {
    CliRun r = lampi_load("subscribe -H no-such-host.invalid -p 1883 -d 1 --quiet");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("cannot connect to no-such-host.invalid:1883"), std::string::npos) << r.output;
}

// The password for a broker that wants a login comes from an owner-only file, so
// it is on no command line (a cluster's is readable on the cluster's broker).
TEST(Cli, APasswordFileLogsInToABrokerThatWantsALogin) {
    TempDir dir;
    auto line = lampi::stack::mosquitto_password_line("load", "the load password");
    ASSERT_TRUE(line) << line.status().message();
    lampi::testing::write_file(dir / "users", *line);
    lampi::stack::BrokerSettings settings;
    settings.allow_anonymous = false;
    settings.password_file = dir / "users";
    TestBroker broker(dir.path(), "login", settings);
    auto secret = [&](const std::string& name, const std::string& text) {
        std::string path = dir / name;
        lampi::testing::write_file(path, text + "\n");
        EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
        return path;
    };
    std::string good = secret("password", "the load password");
    CliRun r = lampi_load(fmt::format("publish -p {} -n 5 -u load --password-file {} --quiet", broker.port(), good));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Result: OK"), std::string::npos) << r.output;

    r = lampi_load(fmt::format("publish -p {} -n 5 -u load --password-file {} --quiet", broker.port(),
                               secret("guess", "a guessed password")));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    r = lampi_load(fmt::format("publish -p {} -n 5 --password-file {} --quiet", broker.port(), good));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--password-file needs --username"), std::string::npos) << r.output;
    r = lampi_load(
        fmt::format("publish -p {} -n 5 -u load --password-file {} --quiet", broker.port(), dir / "missing"));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--password-file " + dir / "missing"), std::string::npos) << r.output;
    r = lampi_load(fmt::format("publish -p {} -u load --password x --password-file {}", broker.port(), good));
    EXPECT_EQ(r.exit_code, 2) << "one or the other: " << r.output;
}

TEST(Cli, BadOptionsExitWithUsageErrors) {
    EXPECT_EQ(lampi_load("publish --qos 3").exit_code, 2);
    EXPECT_EQ(lampi_load("fleet --first-device-id xyz").exit_code, 2);
    CliRun help = lampi_load("fleet --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("--commands"), std::string::npos);
}

}  // namespace
