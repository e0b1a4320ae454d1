// The MQTT relay's rules (http/relay_policy.h): which upgrades open a relayed
// connection. The relay itself runs against real processes in
// tests/adversarial/relay_attacks_test.cpp.
#include "http/relay_policy.h"

#include <gtest/gtest.h>

namespace lampi::cloud::http {
namespace {

Request page_upgrade() {
    Request r;
    r.method = "GET";
    r.path = "/mqtt";
    r.secure = true;
    r.headers = {{"Host", "127.0.0.1:18832"},
                 {"Upgrade", "websocket"},
                 {"Connection", "keep-alive, Upgrade"},
                 {"Sec-WebSocket-Version", "13"},
                 {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                 {"Sec-WebSocket-Protocol", "mqtt"},
                 {"Origin", "https://127.0.0.1:18832"}};
    return r;
}

RelayOptions relay() {
    RelayOptions o;
    o.broker = "unix:/run/broker.sock";
    return o;
}

void set(Request& r, const std::string& name, const std::string& value) {
    for (Header& h : r.headers)
        if (iequals(h.name, name)) h.value = value;
}

TEST(RelayPolicy, ThePagesOwnUpgradeIsAccepted) {
    EXPECT_TRUE(is_relay_request(page_upgrade(), relay()));
    EXPECT_TRUE(check_relay_request(page_upgrade(), relay(), 0).accepted());
    RelayOptions off;
    EXPECT_FALSE(is_relay_request(page_upgrade(), off)) << "no broker configured: no relay";
}

TEST(RelayPolicy, OtherOriginsAreRefusedAndConfiguredOnesReplaceTheHost) {
    Request r = page_upgrade();
    for (const char* origin : {"https://evil.example", "null", "http://127.0.0.1:18832", "https://127.0.0.1:18832.evil",
                               "https://127.0.0.1"}) {
        set(r, "Origin", origin);
        EXPECT_EQ(check_relay_request(r, relay(), 0).status, 403) << origin;
    }
    RelayOptions behind_proxy = relay();
    behind_proxy.allowed_origins = {"https://lampi.example.com"};
    r = page_upgrade();
    r.secure = false;  // TLS ends at the proxy
    set(r, "Host", "lampi.example.com");
    set(r, "Origin", "https://lampi.example.com");
    EXPECT_TRUE(check_relay_request(r, behind_proxy, 0).accepted());
    set(r, "Origin", "https://127.0.0.1:18832");
    EXPECT_EQ(check_relay_request(r, behind_proxy, 0).status, 403);
    r.headers.erase(r.headers.begin() + 6);  // a program: no Origin at all
    EXPECT_TRUE(check_relay_request(r, behind_proxy, 0).accepted());
}

TEST(RelayPolicy, OnlyAWebSocketUpgradeAskingForMqttWithinTheCapIsAccepted) {
    Request r = page_upgrade();
    r.method = "POST";
    EXPECT_EQ(check_relay_request(r, relay(), 0).status, 405);
    r = page_upgrade();
    set(r, "Upgrade", "h2c");
    EXPECT_EQ(check_relay_request(r, relay(), 0).status, 426);
    r = page_upgrade();
    set(r, "Sec-WebSocket-Version", "8");
    EXPECT_EQ(check_relay_request(r, relay(), 0).status, 426);
    r = page_upgrade();
    set(r, "Sec-WebSocket-Protocol", "mqttv3.1, chat");
    EXPECT_EQ(check_relay_request(r, relay(), 0).status, 400);
    set(r, "Sec-WebSocket-Protocol", "chat, mqtt");
    EXPECT_TRUE(check_relay_request(r, relay(), 0).accepted());
    RelayOptions capped = relay();
    capped.max_connections = 3;
    EXPECT_TRUE(check_relay_request(page_upgrade(), capped, 2).accepted());
    EXPECT_EQ(check_relay_request(page_upgrade(), capped, 3).status, 503);
}

TEST(RelayPolicy, BrokerEndpointsAreUnixSocketsOrAddressAndPort) {
    auto unix_socket = parse_broker_endpoint("unix:/run/lampi/broker.sock");
    ASSERT_TRUE(unix_socket);
    EXPECT_TRUE(unix_socket->unix_socket);
    EXPECT_EQ(unix_socket->path, "/run/lampi/broker.sock");
    auto tcp = parse_broker_endpoint("127.0.0.1:1883");
    ASSERT_TRUE(tcp);
    EXPECT_EQ(tcp->address, "127.0.0.1");
    EXPECT_EQ(tcp->port, 1883);
    for (const char* bad : {"", "unix:", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":1883", "host:12x"})
        EXPECT_FALSE(parse_broker_endpoint(bad)) << bad;
    EXPECT_FALSE(parse_broker_endpoint("unix:/" + std::string(200, 'a'))) << "longer than sockaddr_un holds";
}

}  // namespace
}  // namespace lampi::cloud::http
