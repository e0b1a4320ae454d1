// What the lampi-load cluster tests share: a real Mosquitto, workers and a
// controller, each a lampi-load process as a user starts them, and readers of
// the JSON they print.
#pragma once

#include <gtest/gtest.h>

#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mqtt_harness.h"
#include "process.h"

namespace lampi::load::cluster {

inline constexpr std::string_view kSecret = "a secret shared by the cluster";

class ClusterHarness : public ::testing::Test {
protected:
    void SetUp() override {
        lampi::testing::write_file(secret_file_, std::string(kSecret) + "\n");
        ASSERT_EQ(::chmod(secret_file_.c_str(), 0600), 0);
    }

    // n more workers, w0 ... w<n-1> at first (numbered on after those started before), each
    // started by `launcher_of(i)` when given (else worker_launcher_).
    void start_workers(int n, const std::function<std::vector<std::string>(int)>& launcher_of = {}) {
        const int before = static_cast<int>(workers_.size());
        for (int i = before; i < before + n; ++i) {
            std::string id = fmt::format("w{}", i);
            std::vector<std::string> argv = launcher_of ? launcher_of(i) : worker_launcher_;
            for (const std::string& word :
                 {std::string(LAMPI_LOAD_BINARY), std::string("worker"), std::string("--controller"), cluster_broker(),
                  std::string("--id"), id, std::string("--secret-file"), secret_file_})
                argv.push_back(word);
            argv.insert(argv.end(), cluster_flags_.begin(), cluster_flags_.end());
            argv.insert(argv.end(), worker_flags_.begin(), worker_flags_.end());
            workers_.push_back(std::make_unique<lampi::testing::Process>(argv, dir_ / (id + ".log")));
            workers_.back()->start();
        }
        for (int i = before; i < before + n; ++i) {
            ASSERT_TRUE(lampi::testing::eventually(
                [&] {
                    return workers_[static_cast<std::size_t>(i)]->log().find("waiting for runs") != std::string::npos;
                },
                std::chrono::seconds(10)))
                << workers_[static_cast<std::size_t>(i)]->log();
        }
    }

    // A controller for `workers` running `command` (the words after --), with `flags` of its own.
    std::unique_ptr<lampi::testing::Process> controller_process(int workers, const std::vector<std::string>& command,
                                                                const std::vector<std::string>& flags = {}) {
        std::vector<std::string> argv = controller_launcher_;
        for (const std::string& word :
             {std::string(LAMPI_LOAD_BINARY), std::string("controller"), std::string("--broker"), cluster_broker(),
              std::string("--workers"), std::to_string(workers), std::string("--silence"), silence_,
              std::string("--secret-file"), secret_file_})
            argv.push_back(word);
        if (controller_json_) argv.emplace_back("--json");
        argv.insert(argv.end(), cluster_flags_.begin(), cluster_flags_.end());
        argv.insert(argv.end(), flags.begin(), flags.end());
        argv.emplace_back("--");
        argv.insert(argv.end(), command.begin(), command.end());
        auto p = std::make_unique<lampi::testing::Process>(argv, dir_ / "controller.log");
        p->start();
        return p;
    }

    // The words of `text`, split at white space.
    static std::vector<std::string> words(const std::string& text) {
        std::vector<std::string> out;
        std::istringstream in(text);
        for (std::string w; in >> w;) out.push_back(w);
        return out;
    }

    // Whether the controller said its run started (on the workers), within 20 s.
    static bool run_started(lampi::testing::Process& control) {
        return lampi::testing::eventually(
            [&] { return control.log().find("lampi-load controller: run ") != std::string::npos; },
            std::chrono::seconds(20));
    }

    // The id of the run the controller started (it prints it), or "" when none started within 20 s.
    static std::string run_of(lampi::testing::Process& control) {
        const std::string_view said = "lampi-load controller: run ";
        std::string run;
        bool started = lampi::testing::eventually(
            [&] {
                std::string log = control.log();
                std::size_t at = log.find(said);
                if (at == std::string::npos) return false;
                at += said.size();
                std::size_t end = log.find(' ', at);  // the whole id, not a line still being written
                if (end == std::string::npos) return false;
                run = log.substr(at, end - at);
                return true;
            },
            std::chrono::seconds(20));
        return started ? run : std::string();
    }

    // Whether a worker said its run ended well, within `timeout`.
    static bool run_ended(lampi::testing::Process& worker, std::chrono::seconds timeout = std::chrono::seconds(10)) {
        return lampi::testing::eventually(
            [&] { return worker.log().find("ended with exit code 0") != std::string::npos; }, timeout);
    }

    // After a break in the controller's link to the broker: the run ended well, the
    // controller said it lost and regained the broker, every worker is done, and the
    // merged sent is the sum of the workers' own final figures.
    void expect_the_run_outlived_the_break(lampi::testing::Process& control) {
        int status = control.wait(std::chrono::seconds(60));
        ASSERT_TRUE(WIFEXITED(status)) << control.log();
        std::string log = control.log();
        EXPECT_EQ(WEXITSTATUS(status), 0) << log;
        EXPECT_NE(log.find("lost the broker"), std::string::npos) << log;
        EXPECT_NE(log.find("back on the broker"), std::string::npos) << log;
        boost::json::object merged = last_json(log);
        for (const auto& w : merged.at("workers").as_array()) EXPECT_EQ(w.at("state").as_string(), "done") << log;
        std::uint64_t sent = 0;
        for (auto& w : workers_) {
            ASSERT_TRUE(run_ended(*w)) << w->log();
            sent += counter(last_json(w->log()), "sent");
        }
        EXPECT_EQ(counter(merged, "sent"), sent) << "the final figures, not the last ones before the break: " << log;
    }

    // A ramp over w0 and w1 in steps of 2 that found the knee of 4 (of `unit`: "users" or
    // "clients"): both stepped up together, three steps of 2, 4 and 6, the third met the stop
    // condition, and both workers finished as the controller told them. Its merged figures.
    boost::json::object expect_the_knee_of_four_over_two_workers(const std::string& log, const char* unit) {
        EXPECT_NE(log.find(fmt::format("the ramp steps up to 4 {}: w0 2, w1 2", unit)), std::string::npos) << log;
        EXPECT_NE(log.find(fmt::format("the ramp steps up to 6 {}: w0 3, w1 3", unit)), std::string::npos) << log;
        EXPECT_NE(log.find("the ramp is over"), std::string::npos) << log;
        boost::json::object merged = last_json(log);
        const boost::json::object& ramp = merged.at("ramp").as_object();
        EXPECT_TRUE(ramp.at("knee_users").is_int64() && ramp.at("knee_users").as_int64() == 4) << log;
        const boost::json::array& steps = ramp.at("steps").as_array();
        EXPECT_EQ(steps.size(), 3u) << log;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            EXPECT_EQ(steps[i].at("users").as_int64(), static_cast<std::int64_t>(2 * (i + 1))) << log;
            EXPECT_GT(steps[i].at("operations").to_number<std::uint64_t>(), 0u) << "step " << i << ": " << log;
        }
        EXPECT_TRUE(!steps.empty() && steps.back().at("stop_condition_held").as_bool()) << log;
        EXPECT_NE(ramp.at("outcome").as_string().find("held at 6 users"), std::string::npos) << log;
        for (const auto& w : merged.at("workers").as_array()) EXPECT_EQ(w.at("state").as_string(), "done") << log;
        for (auto& w : workers_) EXPECT_NE(w->log().find("finished by its controller"), std::string::npos) << w->log();
        return merged;
    }

    // The last JSON object a process printed (a worker's own report, the controller's).
    static boost::json::object last_json(const std::string& log) {
        std::size_t at = log.rfind("\n{");
        at = at == std::string::npos ? log.find('{') : at + 1;
        std::string line = log.substr(at, log.find('\n', at) - at);
        return boost::json::parse(line).as_object();
    }

    static std::uint64_t counter(const boost::json::object& report, const char* name) {
        return report.at("counters").as_object().at(name).to_number<std::uint64_t>();
    }

    // Where the controller and workers meet: broker_ unless a test gives another.
    std::string cluster_broker() const {
        return fmt::format("127.0.0.1:{}", cluster_port_ ? cluster_port_ : broker_.port());
    }

    lampi::testing::TempDir dir_;
    std::string secret_file_ = dir_ / "cluster-secret";
    lampi::testing::TestBroker broker_{dir_.path(),
                                       "broker"};  // the cluster's, and the one a publish load runs against
    int cluster_port_ = 0;
    std::vector<std::string> cluster_flags_;        // how the controller and workers reach theirs: TLS, login
    std::vector<std::string> worker_flags_;         // the workers' own options
    std::vector<std::string> worker_launcher_;      // what starts a worker (limits), before its command line
    std::vector<std::string> controller_launcher_;  // the same for the controller
    std::string silence_ = "5";
    bool controller_json_ = true;  // the controller prints --json (false: its text)
    std::vector<std::unique_ptr<lampi::testing::Process>> workers_;
};


}  // namespace lampi::load::cluster
