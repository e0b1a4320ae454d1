// lampi-cloud's --config: a file sets serve's options, an unknown key stops it.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>

#include "process.h"

namespace {

using lampi::testing::Process;
using lampi::testing::TempDir;
using namespace std::chrono_literals;

TEST(CloudConfigFile, AConfigFileSetsTheServeOptions) {
    TempDir dir;
    int port = lampi::testing::free_port();
    std::string config = "[serve]\n";
    config += "listen = \"127.0.0.1:" + std::to_string(port) + "\"\n";
    config += "db = \"sqlite://" + (dir / "cloud.sqlite3") + "\"\n";
    config += "mqtt-port = " + std::to_string(lampi::testing::free_port()) + "\n";
    config += "argon2-ops = 1\nargon2-memory-kib = 8\n";
    lampi::testing::write_file(dir / "cloud.toml", config);
    Process cloud({LAMPI_CLOUD_BINARY, "--config", dir / "cloud.toml", "serve"}, dir / "cloud.log");
    cloud.start();
    // Nothing on the command line names the port: only the file does.
    EXPECT_TRUE(lampi::testing::wait_for_port(port, 10s)) << cloud.log();
}

TEST(CloudConfigFile, AnUnknownKeyIsRefusedBeforeServing) {
    TempDir dir;
    lampi::testing::write_file(dir / "cloud.toml", "[serve]\nlissen = \"127.0.0.1:1\"\n");
    Process cloud({LAMPI_CLOUD_BINARY, "--config", dir / "cloud.toml", "serve"}, dir / "cloud.log");
    cloud.start();
    int status = cloud.wait(10s);
    ASSERT_NE(status, -1) << "lampi-cloud kept running with a misspelt key";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    EXPECT_NE(cloud.log().find("lissen"), std::string::npos) << cloud.log();
}

}  // namespace
