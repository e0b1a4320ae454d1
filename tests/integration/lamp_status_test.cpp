// `lampid status` on a lamp bridged to a cloud broker: what the operator of a Pi
// reads about the broker, the cloud link, the last command and a stop, from
// the real lampid's status file.
#include <gtest/gtest.h>

#include <csignal>

#include "lamp_fixture.h"
#include "process.h"

namespace lampi::testing {
namespace {

struct StatusSeen {
    int exit_code = -1;
    std::string text;
};

class LampStatusCommand : public LampOnCloud {
protected:
    StatusSeen status() {
        RunResult r = run({LAMPID_BINARY, "status", "--state-file", dir / "lamp-state.json"});
        return {r.exit_code, r.output};
    }
    // Waits until `lampid status` exits with `code` and says `words`; the last answer otherwise.
    StatusSeen wait_status(int code, const std::string& words, std::chrono::milliseconds timeout = 15s) {
        StatusSeen seen;
        lampi::testing::eventually(
            [&] {
                seen = status();
                return seen.exit_code == code && seen.text.find(words) != std::string::npos;
            },
            timeout);
        return seen;
    }
};

TEST_F(LampStatusCommand, TellsTheOperatorTheBrokerTheCloudAndTheLastCommand) {
    StatusSeen seen = wait_status(0, "cloud          linked");
    ASSERT_EQ(seen.exit_code, 0) << seen.text;
    EXPECT_NE(seen.text.find("connected to 127.0.0.1:" + std::to_string(lamp_broker->port())), std::string::npos)
        << seen.text;
    EXPECT_NE(seen.text.find("running (pid " + std::to_string(lampid->pid())), std::string::npos) << seen.text;

    command(R"({"on": true, "brightness": 0.42, "client": "page"})");
    auto state = wait_changed([](const LampState& s) { return s.client == "page"; });
    ASSERT_TRUE(state);
    seen = wait_status(0, "from page: applied");
    EXPECT_NE(seen.text.find("from page: applied"), std::string::npos) << seen.text;
    EXPECT_NE(seen.text.find("last save      version " + std::to_string(state->version)), std::string::npos)
        << seen.text;

    command("{not json");
    seen = wait_status(0, "from an unknown client: rejected");
    EXPECT_NE(seen.text.find("from an unknown client: rejected"), std::string::npos) << seen.text;
}

TEST_F(LampStatusCommand, ALostCloudLinkIsShownAndIsNoFaultOfTheLamp) {
    ASSERT_EQ(wait_status(0, "cloud          linked").exit_code, 0);
    cloud_broker->stop();
    StatusSeen seen = wait_status(0, "cloud          not linked");
    EXPECT_NE(seen.text.find("cloud          not linked"), std::string::npos) << seen.text;
    EXPECT_EQ(seen.exit_code, 0) << "the lamp works locally: " << seen.text;
}

TEST_F(LampStatusCommand, ALostBrokerIsAFaultAndAStopIsNotRunning) {
    ASSERT_EQ(wait_status(0, "connected to").exit_code, 0);
    lamp_broker->stop();
    StatusSeen seen = wait_status(1, "NOT connected");
    EXPECT_EQ(seen.exit_code, 1) << seen.text;
    EXPECT_NE(seen.text.find("is mosquitto running?"), std::string::npos) << seen.text;

    ASSERT_EQ(lampid->stop(SIGTERM), 0);
    seen = status();
    EXPECT_EQ(seen.exit_code, 3) << seen.text;
    EXPECT_NE(seen.text.find("stopped"), std::string::npos) << seen.text;
}

TEST_F(LampStatusCommand, AKilledLampidIsNotTakenForARunningOne) {
    ASSERT_EQ(wait_status(0, "connected to").exit_code, 0);
    lampid->kill9();
    StatusSeen seen = status();
    EXPECT_EQ(seen.exit_code, 3) << seen.text;
    EXPECT_NE(seen.text.find("crashed or was killed"), std::string::npos) << seen.text;
}

}  // namespace
}  // namespace lampi::testing
