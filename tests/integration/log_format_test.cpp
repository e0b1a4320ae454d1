// --log-format json on each daemon, as run: every line it writes is one JSON
// object with "time", "level", "program" and "message", so a log collector
// takes the whole stream without a parsing rule per program.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <sstream>

#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"
#include "process.h"

namespace lampi::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kDevice = "b827eb74663e";

// Fails the test for every line of `log` that is not a JSON object with string
// "time", "level", "program" and "message"; returns how many lines it read.
int expect_json_lines(const std::string& log, const std::string& program) {
    std::istringstream lines(log);
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        ++count;
        boost::system::error_code ec;
        json::value value = json::parse(line, ec);
        if (ec || !value.is_object()) {
            ADD_FAILURE() << program << " wrote a line that is not a JSON object: " << line;
            continue;
        }
        for (const char* key : {"time", "level", "program", "message"}) {
            const json::value* field = value.as_object().if_contains(key);
            EXPECT_TRUE(field && field->is_string()) << program << ": no string \"" << key << "\" in " << line;
        }
    }
    return count;
}

TEST(LogFormatJson, LampidWritesOnlyJsonLines) {
    TempDir dir;
    TestBroker broker(dir.path(), "lamp");
    Process lampid({LAMPID_BINARY, "--port", std::to_string(broker.port()), "--device-id", kDevice, "--state-file",
                    dir / "state.json", "--simulated-output", dir / "led", "--log-level", "debug", "--log-format",
                    "json"},
                   dir / "lampid.log");
    lampid.start();
    MqttProbe lamp(broker.port(), {std::string(topics::kChanged)});
    ASSERT_TRUE(lamp.wait_for(std::string(topics::kChanged))) << lampid.log();
    // A command it applies and one it rejects: both are logged.
    ASSERT_TRUE(lamp.publish(std::string(topics::kSetConfig), R"({"on": true, "client": "log-test"})"));
    ASSERT_TRUE(lamp.publish(std::string(topics::kSetConfig), "{not json"));
    ASSERT_TRUE(lamp.wait_for(std::string(topics::kChanged), [](const MqttMessage& m) {
        auto state = decode_changed(m.payload);
        return state && state->client == "log-test";
    }));
    EXPECT_EQ(lampid.stop(SIGTERM), 0);
    EXPECT_GE(expect_json_lines(lampid.log(), "lampid"), 3) << lampid.log();
    EXPECT_NE(lampid.log().find(R"("program":"lampid[b827eb74663e]")"), std::string::npos);
    EXPECT_NE(lampid.log().find(R"("level":"warn")"), std::string::npos) << "the rejected command";
}

TEST(LogFormatJson, LampiUiWritesOnlyJsonLines) {
    TempDir dir;
    TestBroker broker(dir.path(), "lamp");
    MqttProbe lamp(broker.port(), {});
    ASSERT_TRUE(lamp.wait_connected());
    LampState state;
    ASSERT_TRUE(lamp.publish(std::string(topics::kChanged), encode_changed(state), 1, true));
    RunResult ui = run({LAMPI_UI_BINARY, "--port", std::to_string(broker.port()), "--device-id", kDevice,
                        "--screenshot", dir / "shot.png", "--log-level", "debug", "--log-format", "json"},
                       dir / "ui.log", 30s);
    EXPECT_EQ(ui.exit_code, 0) << ui.output;
    EXPECT_GE(expect_json_lines(ui.output, "lampi-ui"), 1) << ui.output;
}

#ifdef LAMPI_CLOUD_BINARY
TEST(LogFormatJson, LampiCloudWritesOnlyJsonLines) {
    TempDir dir;
    int port = free_port();
    Process cloud({LAMPI_CLOUD_BINARY, "serve", "--db", "sqlite://" + (dir / "cloud.sqlite3"), "--listen",
                   "127.0.0.1:" + std::to_string(port), "--mqtt-host", "", "--log-level", "debug", "--log-format",
                   "json"},
                  dir / "cloud.log");
    cloud.start();
    ASSERT_TRUE(wait_for_port(port, 10s)) << cloud.log();
    EXPECT_EQ(cloud.stop(SIGTERM), 0);
    EXPECT_GE(expect_json_lines(cloud.log(), "lampi-cloud"), 2) << cloud.log();
    EXPECT_NE(cloud.log().find(R"("program":"lampi-cloud")"), std::string::npos);
}
#endif

}  // namespace
}  // namespace lampi::testing
