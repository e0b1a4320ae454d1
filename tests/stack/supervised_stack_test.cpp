// The stack `./lampi up` runs, under the real supervisord: lamps report through
// the cloud, and a crashed lampid is brought back.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"

namespace lampi::testing {
namespace {

class SupervisedStack : public ::testing::Test {
protected:
    void SetUp() override {
        // A base whose whole range (cloud + lamps) was free a moment ago.
        for (int attempt = 0; attempt < 50 && port_base == 0; ++attempt) {
            int candidate = 20000 + (free_port() % 20000);
            bool free = true;
            for (int offset : {0, 10, 11}) free = free && !wait_for_port(candidate + offset, 0ms);
            if (free) port_base = candidate;
        }
        Process render({LAMPI_STACK_BINARY, "render", "--dir", dir / "stack", "--lamps", "2", "--port-base",
                        std::to_string(port_base), "--bin-dir", std::filesystem::path(LAMPID_BINARY).parent_path().string()},
                       dir / "render.log");
        render.start();
        ASSERT_EQ(render.wait(), 0) << render.log();
        supervisord = std::make_unique<Process>(
            std::vector<std::string>{"/usr/bin/supervisord", "-n", "-c", dir / "stack/supervisord.conf"},
            dir / "supervisord.out");
        supervisord->start();
    }
    void TearDown() override {
        if (supervisord) {
            EXPECT_EQ(supervisord->stop(SIGTERM, 15s), 0) << "supervisord did not stop cleanly";
        }
    }

    std::string supervisorctl(const std::string& args) {
        std::string out = dir / "ctl.out";
        std::string command = "/usr/bin/supervisorctl -c " + (dir / "stack/supervisord.conf") + " " + args + " > " + out;
        if (std::system(command.c_str()) < 0) return "";
        return read_file(out);
    }

    TempDir dir;
    int port_base = 0;
    std::unique_ptr<Process> supervisord;
};

TEST_F(SupervisedStack, EveryLampReportsThroughTheCloudAndACrashedLampidIsRestarted) {
    ASSERT_NE(port_base, 0);
    ASSERT_TRUE(wait_for_port(port_base, 10s)) << read_file(dir / "stack/logs/supervisord.log");
    MqttProbe cloud(port_base, {"devices/#"});
    ASSERT_TRUE(cloud.wait_connected());
    for (std::string id : {"020000000001", "020000000002"}) {
        EXPECT_TRUE(cloud.wait_for(topics::cloud(id, topics::kChanged), nullptr, 15s)) << id;
    }
    const std::string connection = topics::cloud("020000000002", topics::connection_state(topics::kLampServiceClient));
    ASSERT_TRUE(cloud.wait_for(connection, [](const MqttMessage& m) { return m.payload == "1"; }));

    std::string pid = supervisorctl("pid lampid-020000000002");
    ASSERT_GT(std::atoi(pid.c_str()), 0) << pid;
    cloud.clear();
    ::kill(std::atoi(pid.c_str()), SIGKILL);
    EXPECT_TRUE(cloud.wait_for(connection, [](const MqttMessage& m) { return m.payload == "0"; }));
    EXPECT_TRUE(cloud.wait_for(connection, [](const MqttMessage& m) { return m.payload == "1"; }, 15s))
        << "supervisord did not restart lampid";
    EXPECT_NE(supervisorctl("pid lampid-020000000002"), pid);
}

}  // namespace
}  // namespace lampi::testing
