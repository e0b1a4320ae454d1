// lampi-load's controller and workers on hosts of their own: each a network
// namespace of a lab the test makes (network_lab.h), the cluster's broker (and
// the load's target) on a fourth, reached by name. The load comes from each
// worker's own address, and a worker whose link is cut mid-run is reported
// vanished while the run goes on with the other.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "network_lab.h"
#include "process.h"

namespace lampi::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr const char* kBrokerAddress = "10.78.0.1";
constexpr const char* kSecret = "a secret the lab's cluster shares";

class ClusterHosts : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        skip_reason_ = new std::string(NetworkLab::unavailable());
        if (!skip_reason_->empty()) return;
        lab_ = new NetworkLab(fmt::format("c{}", ::getpid()));
        setup_error_ = new std::string(build_lab());
    }

    static void TearDownTestSuite() {
        delete lab_;
        delete setup_error_;
        delete skip_reason_;
        lab_ = nullptr;
        setup_error_ = nullptr;
        skip_reason_ = nullptr;
    }

    static std::string build_lab() {
        for (auto [host, address] : {std::pair{"broker", kBrokerAddress},
                                     {"load1", "10.78.0.11"},
                                     {"load2", "10.78.0.12"},
                                     {"control", "10.78.0.21"}})
            if (auto e = lab_->add_host(host, address); !e.empty()) return e;
        return lab_->set_names({{kBrokerAddress, "broker.lab"}});
    }

    void SetUp() override {
        if (!skip_reason_->empty()) GTEST_SKIP() << *skip_reason_;
        ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
        write_file(dir_ / "secret", std::string(kSecret) + "\n");
        ASSERT_EQ(::chmod((dir_ / "secret").c_str(), 0600), 0);
        // Every address of the broker's host, which are only the lab's.
        write_file(dir_ / "mosquitto.conf",
                   "listener 1883\nallow_anonymous true\nuser root\npersistence false\nlog_dest stderr\n"
                   "log_type all\n");
        broker_ = in("broker", {"/usr/sbin/mosquitto", "-c", dir_ / "mosquitto.conf"}, "broker.log");
        ASSERT_TRUE(eventually(
            [&] { return broker_->log().find("Opening ipv4 listen socket on port 1883") != std::string::npos; }, 10s))
            << broker_->log();
    }

    void TearDown() override {
        for (const char* host : {"load1", "load2"}) (void)lab_->set_link(host, true);
    }

    // `argv` run on `host`, its output in `log`.
    std::unique_ptr<Process> in(const std::string& host, std::vector<std::string> argv, const std::string& log) {
        argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", lab_->namespace_of(host)});
        auto p = std::make_unique<Process>(argv, dir_ / log);
        p->start();
        return p;
    }

    void start_worker(const std::string& host, const std::string& id) {
        workers_.push_back(in(host,
                              {LAMPI_LOAD_BINARY, "worker", "--controller", "broker.lab:1883", "--id", id,
                               "--secret-file", dir_ / "secret"},
                              id + ".log"));
    }

    std::unique_ptr<Process> controller(const std::vector<std::string>& flags, const std::string& load) {
        std::vector<std::string> argv{LAMPI_LOAD_BINARY, "controller",    "--broker",
                                      "broker.lab:1883", "--workers",     "2",
                                      "--json",          "--secret-file", dir_ / "secret"};
        argv.insert(argv.end(), flags.begin(), flags.end());
        for (const char* word : {"--", "publish", "-H", "broker.lab", "-p", "1883"}) argv.emplace_back(word);
        std::istringstream words(load);
        for (std::string w; words >> w;) argv.push_back(w);
        return in("control", argv, "controller.log");
    }

    static json::object last_json(const std::string& log) {
        std::size_t at = log.rfind("\n{");
        at = at == std::string::npos ? log.find('{') : at + 1;
        return json::parse(log.substr(at, log.find('\n', at) - at)).as_object();
    }

    static std::map<std::string, std::string> states(const json::object& merged) {
        std::map<std::string, std::string> out;
        for (const auto& w : merged.at("workers").as_array())
            out[std::string(w.at("id").as_string())] = std::string(w.at("state").as_string());
        return out;
    }

    static std::uint64_t confirmed(const json::object& report) {
        return report.at("counters").as_object().at("confirmed").to_number<std::uint64_t>();
    }

    static inline std::string* skip_reason_ = nullptr;
    static inline std::string* setup_error_ = nullptr;
    static inline NetworkLab* lab_ = nullptr;
    TempDir dir_;
    std::unique_ptr<Process> broker_;
    std::vector<std::unique_ptr<Process>> workers_;
};

TEST_F(ClusterHosts, WorkersOnHostsOfTheirOwnRunOneLoadAndTheBrokerSeesEachFromItsAddress) {
    start_worker("load1", "w0");
    start_worker("load2", "w1");
    auto control = controller({}, "-P 4 -n 50 --quiet");
    int status = control->wait(60s);
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 0) << control->log();
    json::object merged = last_json(control->log());
    EXPECT_EQ(confirmed(merged), 4u * 50) << control->log();
    EXPECT_EQ(states(merged), (std::map<std::string, std::string>{{"w0", "done"}, {"w1", "done"}}));
    // Each worker's clients came from its own host.
    std::string log = broker_->log();
    for (const char* client : {"lampi-load-w0-0", "lampi-load-w0-1", "lampi-load-w1-0", "lampi-load-w1-1"}) {
        std::size_t at = log.find(fmt::format(" as {} ", client));
        ASSERT_NE(at, std::string::npos) << client << "\n" << log;
        std::size_t line = log.rfind('\n', at);
        std::string connected = log.substr(line + 1, at - line - 1);
        const char* host = std::string_view(client).starts_with("lampi-load-w0") ? "10.78.0.11" : "10.78.0.12";
        EXPECT_NE(connected.find(fmt::format("from {}:", host)), std::string::npos) << connected;
    }
}

TEST_F(ClusterHosts, AWorkerWhoseLinkIsCutIsReportedVanishedAndTheRunGoesOnWithTheOther) {
    start_worker("load1", "w0");
    start_worker("load2", "w1");
    auto control = controller({"--silence", "3"}, "-P 2 -T 20 -d 8 --quiet");
    ASSERT_TRUE(eventually([&] { return control->log().find("started on 2 workers") != std::string::npos; }, 30s))
        << control->log();
    std::this_thread::sleep_for(2s);
    ASSERT_EQ(lab_->set_link("load2", false), "");
    int status = control->wait(60s);
    ASSERT_TRUE(WIFEXITED(status)) << control->log();
    EXPECT_EQ(WEXITSTATUS(status), 1) << "a vanished worker fails the run: " << control->log();
    EXPECT_NE(control->log().find("worker w1 vanished"), std::string::npos) << control->log();
    json::object merged = last_json(control->log());
    EXPECT_EQ(states(merged), (std::map<std::string, std::string>{{"w0", "done"}, {"w1", "vanished"}}))
        << control->log();
    // w0 ran its whole share: one client at 20 a second for 8 s.
    std::uint64_t w0 = 0;
    for (const auto& w : merged.at("workers").as_array())
        if (w.at("id").as_string() == "w0") w0 = confirmed(w.as_object());
    EXPECT_GE(w0, 150u) << control->log();
    EXPECT_GE(confirmed(merged), w0) << "w1's figures up to the cut are kept";
}

}  // namespace
}  // namespace lampi::testing
