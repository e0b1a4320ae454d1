#include "mosquitto_config.h"

#include <gtest/gtest.h>

namespace lampi::stack {
namespace {

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

TEST(MosquittoConfig, ListensOnLoopbackOnly) {
    BrokerSettings settings;
    settings.port = 18830;
    settings.data_dir = "/tmp/x";
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "listener 18830 127.0.0.1\n"));
    EXPECT_TRUE(contains(conf, "persistence_location /tmp/x/\n"));
    EXPECT_FALSE(contains(conf, "connection "));
}

TEST(MosquittoConfig, AUnixSocketListenerHasNoAddressAndNoWebSocketsAreRendered) {
    BrokerSettings settings;
    settings.extra_listeners = {Listener{0, "", std::nullopt, "/run/lampi/broker.sock"}};
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "\nlistener 0 /run/lampi/broker.sock\n"));
    EXPECT_FALSE(contains(conf, "websockets"));
}

TEST(MosquittoConfig, BridgeMapsTheContractUnderTheDevicePrefix) {
    BrokerSettings settings;
    settings.bridge = BridgeSettings{"b827eb74663e", "127.0.0.1", 18830, std::nullopt};
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "address 127.0.0.1:18830\n"));
    EXPECT_TRUE(contains(conf, "topic lamp/set_config in 1 \"\" devices/b827eb74663e/\n"));
    EXPECT_TRUE(contains(conf, "topic lamp/changed out 1 \"\" devices/b827eb74663e/\n"));
    EXPECT_TRUE(contains(conf, "topic lamp/connection/+/state out 1 \"\" devices/b827eb74663e/\n"));
    EXPECT_TRUE(contains(conf, "topic lamp/associated both 1 \"\" devices/b827eb74663e/\n"));
    EXPECT_TRUE(contains(conf, "notification_topic devices/b827eb74663e/lamp/connection/bridge/state\n"));
    EXPECT_FALSE(contains(conf, "bridge_cafile"));
}

TEST(MosquittoConfig, BridgeTlsUsesTheLampsOwnCertificate) {
    BrokerSettings settings;
    settings.bridge = BridgeSettings{"b827eb74663e", "cloud.example", 8883, BridgeTls{"/ca.pem", "/lamp.pem", "/lamp.key"}};
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "bridge_cafile /ca.pem\nbridge_certfile /lamp.pem\nbridge_keyfile /lamp.key\n"));
}

}  // namespace
}  // namespace lampi::stack
