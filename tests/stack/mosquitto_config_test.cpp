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

TEST(MosquittoConfig, EveryBrokerCapsPacketsMessagesAndQueues) {
    BrokerSettings settings;
    settings.data_dir = "/tmp/x";
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "max_packet_size 32768\n"));
    EXPECT_TRUE(contains(conf, "message_size_limit 4096\n"));
    EXPECT_TRUE(contains(conf, "max_queued_messages 1000\nmax_queued_bytes 1048576\n"));
    EXPECT_TRUE(contains(conf, "autosave_interval 5\npersistent_client_expiration 7d\n"));
    EXPECT_TRUE(contains(conf, "auto_id_prefix auto-\n"));
    settings.persistence = false;
    EXPECT_TRUE(contains(render_mosquitto_conf(settings), "max_packet_size 32768\n"));
}

TEST(MosquittoConfig, TheBridgeLogsInAsItsLampWithAShortKeepaliveAndAPersistentSession) {
    BrokerSettings settings;
    settings.bridge = BridgeSettings{"b827eb74663e", "127.0.0.1", 18830, std::nullopt};
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "remote_clientid lamp-b827eb74663e\nremote_username b827eb74663e\n"));
    EXPECT_TRUE(contains(conf, "cleansession false\nkeepalive_interval 15\n"));
    EXPECT_TRUE(contains(conf, "restart_timeout 1 5\n"));
}

}  // namespace
}  // namespace lampi::stack
