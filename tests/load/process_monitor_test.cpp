// --watch-pid/--watch-name: the figures of a watched process against what the
// test itself did (CPU burnt, files opened, memory touched), and lampi-load
// reporting a real broker's figures beside a run.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "monitor/process_monitor.h"
#include "mqtt_harness.h"
#include "process.h"

namespace lampi::load {
namespace {

using Clock = std::chrono::steady_clock;

double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string own_key(const ProcessMonitor& m, const std::string& figure) {
    const auto& w = m.watched().front();
    return fmt::format("proc.{}.{}.{}", w.name, w.pid, figure);
}

#ifdef LAMPI_TESTS_EMULATED
// qemu-user answers a process's own /proc/<pid>/stat itself, with no CPU times:
// there the CPU figure is not checked, the open files and memory are.
constexpr bool kCpuTimesReadable = false;
#else
constexpr bool kCpuTimesReadable = true;
#endif

TEST(ProcessMonitor, ReadsTheCpuFilesAndMemoryThisProcessUsed) {
    ProcessMonitor monitor({::getpid()}, {});
    ASSERT_TRUE(monitor.start());
    auto before = monitor.sample();
    double files_before = before.at(own_key(monitor, "open_files"));
    double rss_before = before.at(own_key(monitor, "rss_mib"));

    auto wall_start = Clock::now();
    double cpu_start = own_cpu_seconds();
    volatile double sink = 0;
    while (own_cpu_seconds() - cpu_start < 0.4) sink = sink + 1;
    std::vector<int> fds;
    fds.reserve(5);
    for (int i = 0; i < 5; ++i) fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    std::vector<char> block(64 << 20);
    std::memset(block.data(), 1, block.size());  // touched, so resident
    double burnt_percent =
        100.0 * (own_cpu_seconds() - cpu_start) / std::chrono::duration<double>(Clock::now() - wall_start).count();

    auto after = monitor.sample();
    EXPECT_EQ(after.at(own_key(monitor, "open_files")), files_before + 5);
    EXPECT_GE(after.at(own_key(monitor, "rss_mib")) - rss_before, 60.0);
    double cpu = after.at(own_key(monitor, "cpu_percent"));
    if (kCpuTimesReadable) {
        // The monitor's window also holds the sample() calls around the burn.
        EXPECT_GT(cpu, burnt_percent * 0.6) << "burnt " << burnt_percent << " % of a core";
        EXPECT_LT(cpu, burnt_percent * 1.5 + 10);
    }
    EXPECT_TRUE(after.count("host.net_rx_bytes_per_s") && after.count("host.net_tx_bytes_per_s"));
    for (int fd : fds) ::close(fd);
}

TEST(ProcessMonitor, FindsProcessesByNameAndRefusesWhatIsNotThere) {
    std::string own_name = lampi::testing::read_file("/proc/self/comm");
    own_name.erase(own_name.find_last_not_of('\n') + 1);
    ProcessMonitor by_name({}, {own_name});
    ASSERT_TRUE(by_name.start());
    bool found_self = false;
    for (const auto& w : by_name.watched()) found_self = found_self || w.pid == ::getpid();
    EXPECT_TRUE(found_self);

    ProcessMonitor nobody({}, {"no-such-program-here"});
    Status s = nobody.start();
    EXPECT_FALSE(s);
    EXPECT_NE(s.message().find("no-such-program-here"), std::string::npos) << s.message();
    ProcessMonitor gone({999'999'999}, {});
    EXPECT_FALSE(gone.start());
}

TEST(ProcessMonitor, LampiLoadReportsTheWatchedBrokerBesideTheRun) {
    lampi::testing::TempDir dir;
    lampi::testing::TestBroker broker(dir.path(), "broker");
    auto r = lampi::testing::run({LAMPI_LOAD_BINARY, "publish", "-n", "200", "-P", "4", "-T", "200", "-p",
                                  std::to_string(broker.port()), "--watch-pid", std::to_string(broker.pid()), "--json",
                                  "--quiet"},
                                 std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto report = boost::json::parse(r.output.substr(r.output.find('{'))).as_object();
    const auto& host = report.at("host").as_object();
    std::string prefix = fmt::format("proc.mosquitto.{}.", broker.pid());
    ASSERT_TRUE(host.contains(prefix + "rss_mib.max")) << boost::json::serialize(host);
    EXPECT_GT(host.at(prefix + "rss_mib.max").to_number<double>(), 0.5);
    EXPECT_GE(host.at(prefix + "open_files.max").to_number<double>(), 4 + 1) << "4 clients and a listener";
    EXPECT_GT(host.at("host.net_rx_bytes_per_s.max").to_number<double>(), 0);
    EXPECT_GE(host.at(prefix + "cpu_percent.mean").to_number<double>(), 0);

    auto bad = lampi::testing::run({LAMPI_LOAD_BINARY, "publish", "-n", "1", "-p", std::to_string(broker.port()),
                                    "--watch-name", "no-such-program-here", "--quiet"});
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    EXPECT_NE(bad.output.find("--watch-name no-such-program-here"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace lampi::load
