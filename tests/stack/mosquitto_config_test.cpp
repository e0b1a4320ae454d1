#include "mosquitto_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "mqtt_harness.h"
#include "process.h"

namespace lampi::stack {
namespace {

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

// Each of `parts` stands in `conf`; a failure names the missing part.
void expect_contains_each(const std::string& conf, const std::vector<std::string>& parts) {
    for (const std::string& part : parts) EXPECT_TRUE(contains(conf, part)) << "not in the config: " << part;
}

TEST(MosquittoConfig, RendersTheListenerAndPersistenceWithNoBridge) {
    BrokerSettings settings;
    settings.port = 18830;
    settings.data_dir = "/tmp/x";
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "listener 18830 127.0.0.1\n"));
    EXPECT_TRUE(contains(conf, "persistence_location /tmp/x/\n"));
    EXPECT_FALSE(contains(conf, "connection "));
}

// A TCP socket a process listens on: its address as /proc/net/tcp{,6} spells it
// (hex, each 32-bit word in host order) and its port.
struct ListeningSocket {
    std::string address_hex;
    int port = 0;
    bool ipv6 = false;
};

// Every TCP socket `pid` listens on, found by matching the socket inodes among
// its descriptors with the LISTEN entries of /proc/<pid>/net/tcp and tcp6.
std::vector<ListeningSocket> listening_sockets(pid_t pid) {
    const std::string proc = "/proc/" + std::to_string(pid);
    std::set<std::string> inodes;
    for (const auto& fd : std::filesystem::directory_iterator(proc + "/fd")) {
        std::error_code ec;
        std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
        if (!ec && target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
    }
    std::vector<ListeningSocket> out;
    for (bool ipv6 : {false, true}) {
        std::istringstream table(lampi::testing::read_file(proc + (ipv6 ? "/net/tcp6" : "/net/tcp")));
        std::string line;
        std::getline(table, line);  // the header
        while (std::getline(table, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
            constexpr const char* kListen = "0A";
            if (state != kListen || !inodes.count(inode)) continue;
            auto colon = local.find(':');
            out.push_back({local.substr(0, colon), std::stoi(local.substr(colon + 1), nullptr, 16), ipv6});
        }
    }
    return out;
}

// 127.0.0.0/8 or ::1 (or ::ffff:127.x.y.z), in /proc/net's spelling on this
// little-endian machine: the first byte of an IPv4 address is the last hex pair.
bool on_loopback(const ListeningSocket& s) {
    if (!s.ipv6) return s.address_hex.size() == 8 && s.address_hex.substr(6) == "7F";
    return s.address_hex == "00000000000000000000000001000000" ||
           (s.address_hex.substr(0, 24) == "0000000000000000FFFF0000" && s.address_hex.substr(30) == "7F");
}

// The broker as rendered, running: every TCP socket it listens on is on
// loopback, and the ones it was given are there (so an empty answer cannot pass).
TEST(MosquittoConfig, ListensOnLoopbackOnly) {
    lampi::testing::TempDir dir;
    BrokerSettings settings;
    const int extra_port = lampi::testing::free_port();
    settings.extra_listeners = {Listener{extra_port, "127.0.0.1", std::nullopt, ""},
                                Listener{0, "", std::nullopt, dir / "broker.sock"}};
    lampi::testing::TestBroker broker(dir.path(), "broker", settings);
    auto sockets = listening_sockets(broker.pid());
    std::set<int> ports;
    for (const auto& s : sockets) {
        ports.insert(s.port);
        EXPECT_TRUE(on_loopback(s)) << "listens beyond loopback: " << (s.ipv6 ? "[" : "") << s.address_hex
                                    << (s.ipv6 ? "]" : "") << ":" << s.port;
    }
    EXPECT_EQ(ports, (std::set<int>{broker.port(), extra_port})) << "the broker's TCP listeners";
}

TEST(MosquittoConfig, AUnixSocketListenerHasNoAddressAndNoWebSocketsAreRendered) {
    BrokerSettings settings;
    settings.extra_listeners = {Listener{0, "", std::nullopt, "/run/lampi/broker.sock"}};
    std::string conf = render_mosquitto_conf(settings);
    EXPECT_TRUE(contains(conf, "\nlistener 0 /run/lampi/broker.sock\n"));
    EXPECT_FALSE(contains(conf, "websockets"));
}

// A lamp's broker, bridged without TLS to a cloud broker on this machine.
std::string lamp_broker_conf() {
    BrokerSettings settings;
    settings.bridge = BridgeSettings{"b827eb74663e", "127.0.0.1", 18830, std::nullopt};
    return render_mosquitto_conf(settings);
}

TEST(MosquittoConfig, BridgeMapsTheContractUnderTheDevicePrefix) {
    std::string conf = lamp_broker_conf();
    const std::vector<std::string> lines = {
        "address 127.0.0.1:18830\n",
        "topic lamp/set_config in 1 \"\" devices/b827eb74663e/\n",
        "topic lamp/changed out 1 \"\" devices/b827eb74663e/\n",
        "topic lamp/connection/+/state out 1 \"\" devices/b827eb74663e/\n",
        "topic lamp/associated both 1 \"\" devices/b827eb74663e/\n",
        "notification_topic devices/b827eb74663e/lamp/connection/bridge/state\n",
    };
    expect_contains_each(conf, lines);
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
    const std::vector<std::string> lines = {
        "max_packet_size 32768\n",
        "message_size_limit 4096\n",
        "max_queued_messages 1000\nmax_queued_bytes 1048576\n",
        "autosave_interval 5\npersistent_client_expiration 7d\n",
        "auto_id_prefix auto-\n",
    };
    expect_contains_each(conf, lines);
    settings.persistence = false;
    EXPECT_TRUE(contains(render_mosquitto_conf(settings), "max_packet_size 32768\n"));
}

TEST(MosquittoConfig, TheBridgeLogsInAsItsLampWithAShortKeepaliveAndAPersistentSession) {
    std::string conf = lamp_broker_conf();
    // A list like BridgeMapsTheContractUnderTheDevicePrefix's on purpose: the
    // same bridge, another behaviour, so its own test.
    const std::vector<std::string> lines = {
        "remote_clientid lamp-b827eb74663e\nremote_username b827eb74663e\n",
        "cleansession false\nkeepalive_interval 15\n",
        "restart_timeout 1 5\n",
    };
    expect_contains_each(conf, lines);
}

}  // namespace
}  // namespace lampi::stack
