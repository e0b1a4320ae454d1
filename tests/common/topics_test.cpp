#include "lampi/topics.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

TEST(LampTopic, SplitsACloudTopicIntoTheDeviceAndTheLampSideTopic) {
    auto parsed = topics::parse_lamp_topic("devices/b827eb74663e/lamp/changed");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->device_id, "b827eb74663e");
    EXPECT_EQ(parsed->local, topics::kChanged);
    // The parts are views into the topic, which must outlive them.
    const std::string topic = topics::cloud("b827eb74663e", topics::connection_state("bridge"));
    auto state = topics::parse_lamp_topic(topic);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->local, "lamp/connection/bridge/state");
}

TEST(LampTopic, RefusesWhatIsNotDevicesSlashAValidIdSlashATopic) {
    for (const char* topic :
         {"", "devices/", "devices/b827eb74663e", "devices/b827eb74663e/", "devices//lamp/changed",
          "devices/B827EB74663E/lamp/changed", "devices/b827eb74663/lamp/changed", "devices/+/lamp/changed",
          "devices/#", "device/b827eb74663e/lamp/changed", "xdevices/b827eb74663e/lamp/changed", "lamp/changed"}) {
        EXPECT_FALSE(topics::parse_lamp_topic(topic)) << topic;
    }
}

TEST(ConnectionState, NamesTheClientAndRoundTrips) {
    EXPECT_EQ(topics::parse_connection_state("lamp/connection/lamp_service/state"), topics::kLampServiceClient);
    EXPECT_EQ(topics::parse_connection_state(topics::connection_state(topics::kBridgeClient)), topics::kBridgeClient);
    EXPECT_EQ(topics::parse_connection_state("lamp/connection/x/state"), "x");
}

TEST(ConnectionState, RefusesAnEmptyOrNestedClientAndOtherTopics) {
    for (const char* topic : {"lamp/connection//state", "lamp/connection/state", "lamp/connection/a/b/state",
                              "lamp/connection/bridge/state/", "lamp/connection/bridge", "lamp/changed",
                              "lamp/connection/bridge/status", "xlamp/connection/bridge/state", ""}) {
        EXPECT_FALSE(topics::parse_connection_state(topic)) << topic;
    }
}

TEST(WellKnownClients, AreTheLampServiceAndTheBridge) {
    EXPECT_EQ(topics::kLampServiceClient, "lamp_service");
    EXPECT_EQ(topics::kBridgeClient, "bridge");
    EXPECT_EQ(topics::lamp_client_id("b827eb74663e"), "lamp-b827eb74663e");
    EXPECT_EQ(topics::cloud_prefix("b827eb74663e"), "devices/b827eb74663e/");
}

}  // namespace
}  // namespace lampi
