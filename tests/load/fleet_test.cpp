// The simulated fleet speaks the lamp contract: a probe on the cloud broker sees
// what it would see from real bridged lamps.
#include <gtest/gtest.h>

#include <future>

#include "fleet/fleet.h"
#include "lampi/lamp_codec.h"
#include "mqtt_harness.h"
#include "short_run.h"

namespace lampi::load {
namespace {

using lampi::testing::MqttProbe;
using lampi::testing::TempDir;
using lampi::testing::TestBroker;
using namespace std::chrono_literals;

FleetOptions small_fleet(int port) {
    FleetOptions o;
    o.client.port = port;
    o.lamps = 20;
    o.connect_rate = 200;
    return o;
}

TEST(Fleet, CommandsToRandomLampsAreAnsweredWithChanged) {
    TempDir dir;
    TestBroker broker(dir.path(), "cloud");
    FleetOptions o = small_fleet(broker.port());
    o.commands_per_s = 100;
    o.duration_s = 1;
    FleetScenario fleet(o);
    RunReport report = short_run(fleet);

    auto figure = [&](const std::string& key) {
        for (const Figure& f : report.figures) {
            if (f.key == key) return f.value;
        }
        return -1.0;
    };
    EXPECT_TRUE(report.ok()) << (report.failures.empty() ? "" : report.failures.front());
    EXPECT_GE(figure("commands_sent"), 50);
    EXPECT_EQ(figure("commands_answered"), figure("commands_sent"));
    EXPECT_EQ(report.totals.latency(Latency::primary).count(), static_cast<std::uint64_t>(figure("commands_sent")));
    EXPECT_EQ(report.totals.get(Counter::connect_ok), 21u);  // 20 lamps and the commander
}

// Set up like the test above on purpose: each test reads as one whole run.
TEST(Fleet, ALampAnswersSetConfigOnItsCloudTopicsLikeABridgedLamp) {
    TempDir dir;
    TestBroker broker(dir.path(), "cloud");
    FleetOptions o = small_fleet(broker.port());
    o.lamps = 2;
    o.duration_s = 3;
    FleetScenario fleet(o);
    auto running = std::async(std::launch::async, [&] { return short_run(fleet); });

    std::string id = FleetScenario::device_id(o.first_device_id, 1);
    MqttProbe probe(broker.port(), {"devices/" + id + "/lamp/#"});
    ASSERT_TRUE(probe.wait_connected());
    // Retained state and presence, as the bridge leaves them on the cloud broker.
    auto online = probe.wait_for("devices/" + id + "/lamp/connection/bridge/state");
    ASSERT_TRUE(online);
    EXPECT_EQ(online->payload, "1");
    ASSERT_TRUE(probe.wait_for("devices/" + id + "/lamp/changed"));

    ASSERT_TRUE(probe.publish("devices/" + id + "/lamp/set_config",
                              R"({"on": true, "brightness": 0.25, "client": "probe"})"));
    auto changed = probe.wait_for("devices/" + id + "/lamp/changed", [](const MqttMessage& m) {
        auto s = decode_changed(m.payload);
        return s && s->client == "probe";
    });
    ASSERT_TRUE(changed);
    auto state = decode_changed(changed->payload);
    EXPECT_TRUE(state->on);
    EXPECT_DOUBLE_EQ(state->brightness, 0.25);
    EXPECT_EQ(state->version, 1u);

    RunReport report = running.get();
    EXPECT_TRUE(report.ok());
    // A lamp leaving cleanly marks itself offline.
    EXPECT_TRUE(probe.wait_for("devices/" + id + "/lamp/connection/bridge/state",
                               [](const MqttMessage& m) { return m.payload == "0"; }, 5s));
}

}  // namespace
}  // namespace lampi::load
