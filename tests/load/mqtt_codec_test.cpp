// The MQTT 3.1.1 codec: what each encoder writes decodes to the same fields,
// packets split anywhere wait for their rest, and malformed input is refused.
#include <gtest/gtest.h>

#include <string>

#include "mqtt/codec.h"

namespace lampi::load::mqtt {
namespace {

Packet decode_one(const std::string& bytes) {
    Decoded d = decode(bytes);
    EXPECT_EQ(d.status, DecodeStatus::ok) << d.error;
    EXPECT_EQ(d.size, bytes.size());
    return d.packet;
}

std::string bytes(std::initializer_list<int> values) {
    std::string s;
    for (int v : values) s += static_cast<char>(v);
    return s;
}

TEST(MqttCodec, ConnectWithWillAndCredentialsRoundTrips) {
    Connect c;
    c.client_id = "lamp-b827eb74663e";
    c.keepalive_s = 30;
    c.clean_session = false;
    c.username = "operator";
    c.password = std::string_view("s\0cret", 6);
    c.will = Will{"devices/b827eb74663e/lamp/connection/bridge/state", "0", 1, true};
    std::string out;
    encode_connect(out, c);
    Packet p = decode_one(out);
    ASSERT_EQ(p.type, PacketType::connect);
    EXPECT_EQ(p.connect.client_id, c.client_id);
    EXPECT_EQ(p.connect.keepalive_s, 30);
    EXPECT_FALSE(p.connect.clean_session);
    EXPECT_EQ(p.connect.username, c.username);
    EXPECT_EQ(p.connect.password, c.password);
    ASSERT_TRUE(p.connect.will);
    EXPECT_EQ(p.connect.will->topic, c.will->topic);
    EXPECT_EQ(p.connect.will->payload, "0");
    EXPECT_EQ(p.connect.will->qos, 1);
    EXPECT_TRUE(p.connect.will->retain);
}

TEST(MqttCodec, MinimalConnectIsTheBytesTheSpecificationShows) {
    Connect c;
    c.client_id = "a";
    c.keepalive_s = 60;
    std::string out;
    encode_connect(out, c);
    EXPECT_EQ(out, bytes({0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 'a'}));
}

class PublishAtQos : public ::testing::TestWithParam<int> {};

TEST_P(PublishAtQos, RoundTrips) {
    const int qos = GetParam();
    std::string out;
    encode_publish(out, "lampi-load/x", "payload", qos, true, 4711, qos > 0);
    Packet p = decode_one(out);
    ASSERT_EQ(p.type, PacketType::publish);
    EXPECT_EQ(p.topic, "lampi-load/x");
    EXPECT_EQ(p.payload, "payload");
    EXPECT_EQ(p.qos, qos);
    EXPECT_TRUE(p.retain);
    EXPECT_EQ(p.dup, qos > 0);
    EXPECT_EQ(p.packet_id, qos > 0 ? 4711 : 0);
}

INSTANTIATE_TEST_SUITE_P(Qos, PublishAtQos, ::testing::Values(0, 1, 2));

TEST(MqttCodec, LargePayloadsUseMultiByteLengths) {
    for (std::size_t size : {0u, 1u, 121u, 122u, 16'383u, 16'384u, 2'097'151u, 2'097'152u}) {
        std::string payload(size, 'x');
        std::string out;
        encode_publish(out, "t", payload, 1, false, 1);
        Packet p = decode_one(out);
        EXPECT_EQ(p.payload.size(), size);
    }
}

TEST(MqttCodec, AcksSubscribeAndPingsRoundTrip) {
    for (PacketType t : {PacketType::puback, PacketType::pubrec, PacketType::pubrel, PacketType::pubcomp}) {
        std::string out;
        encode_ack(out, t, 65535);
        Packet p = decode_one(out);
        EXPECT_EQ(p.type, t);
        EXPECT_EQ(p.packet_id, 65535);
    }
    std::string out;
    encode_ack(out, PacketType::pubrel, 9);
    EXPECT_EQ(out, bytes({0x62, 2, 0, 9})) << "PUBREL carries flags 0010";

    out.clear();
    encode_subscribe(out, 7, "devices/+/lamp/changed", 1);
    Packet s = decode_one(out);
    EXPECT_EQ(s.type, PacketType::subscribe);
    EXPECT_EQ(s.packet_id, 7);
    EXPECT_EQ(s.topic, "devices/+/lamp/changed");
    EXPECT_EQ(s.qos, 1);
    EXPECT_EQ(s.filters, 1u);

    out.clear();
    encode_pingreq(out);
    EXPECT_EQ(decode_one(out).type, PacketType::pingreq);
    out.clear();
    encode_disconnect(out);
    EXPECT_EQ(decode_one(out).type, PacketType::disconnect);
}

TEST(MqttCodec, BrokerPacketsDecode) {
    std::string out;
    encode_connack(out, true, 5);
    Packet c = decode_one(out);
    EXPECT_EQ(c.type, PacketType::connack);
    EXPECT_TRUE(c.session_present);
    EXPECT_EQ(c.return_code, 5);

    out.clear();
    encode_suback(out, 3, bytes({1, 0x80}));
    Packet s = decode_one(out);
    EXPECT_EQ(s.type, PacketType::suback);
    EXPECT_EQ(s.packet_id, 3);
    EXPECT_EQ(s.granted, bytes({1, 0x80}));

    out.clear();
    encode_pingresp(out);
    EXPECT_EQ(decode_one(out).type, PacketType::pingresp);
}

TEST(MqttCodec, ASplitPacketWaitsForTheRestAndSaysHowBigItIs) {
    std::string out;
    encode_publish(out, "topic", std::string(300, 'p'), 1, false, 1);
    for (std::size_t cut = 0; cut < out.size(); ++cut) {
        Decoded d = decode(std::string_view(out).substr(0, cut));
        ASSERT_EQ(d.status, DecodeStatus::need_more) << "cut at " << cut;
        // The fixed header here is 3 bytes; once they are in, the size is known.
        EXPECT_EQ(d.size, cut >= 3 ? out.size() : 0u) << "cut at " << cut;
    }
}

TEST(MqttCodec, SeveralPacketsInOneBufferDecodeOneAfterAnother) {
    std::string out;
    encode_ack(out, PacketType::puback, 1);
    encode_publish(out, "a/b", "x", 0, false, 0);
    encode_ack(out, PacketType::puback, 2);
    std::string_view rest = out;
    std::vector<PacketType> seen;
    while (!rest.empty()) {
        Decoded d = decode(rest);
        ASSERT_EQ(d.status, DecodeStatus::ok);
        seen.push_back(d.packet.type);
        rest.remove_prefix(d.size);
    }
    EXPECT_EQ(seen, (std::vector<PacketType>{PacketType::puback, PacketType::publish, PacketType::puback}));
}

TEST(MqttCodec, MalformedPacketsAreRefused) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"reserved type 0", bytes({0x00, 0})},
        {"reserved type 15", bytes({0xF0, 0})},
        {"five length bytes", bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})},
        {"too large", bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F})},
        {"PUBACK with flags", bytes({0x41, 2, 0, 1})},
        {"PUBREL without its flags", bytes({0x60, 2, 0, 1})},
        {"PUBACK with id 0", bytes({0x40, 2, 0, 0})},
        {"PUBACK of 3 bytes", bytes({0x40, 3, 0, 1, 0})},
        {"CONNACK reserved bits", bytes({0x20, 2, 0x02, 0})},
        {"PUBLISH QoS 3", bytes({0x36, 5, 0, 1, 't', 0, 1})},
        {"PUBLISH QoS 0 with DUP", bytes({0x38, 3, 0, 1, 't'})},
        {"PUBLISH empty topic", bytes({0x30, 2, 0, 0})},
        {"PUBLISH wildcard topic", bytes({0x30, 3, 0, 1, '#'})},
        {"PUBLISH topic with NUL", bytes({0x30, 3, 0, 1, 0})},
        {"PUBLISH topic bad UTF-8", bytes({0x30, 4, 0, 2, 0xC3, 0x28})},
        {"PUBLISH topic surrogate", bytes({0x30, 5, 0, 3, 0xED, 0xA0, 0x80})},
        {"PUBLISH topic overlong", bytes({0x30, 4, 0, 2, 0xC0, 0xAF})},
        {"PUBLISH topic longer than packet", bytes({0x30, 3, 0, 9, 't'})},
        {"PUBLISH QoS 1 id 0", bytes({0x32, 5, 0, 1, 't', 0, 0})},
        {"SUBACK bad code", bytes({0x90, 3, 0, 1, 3})},
        {"SUBACK no codes", bytes({0x90, 2, 0, 1})},
        {"PINGRESP with body", bytes({0xD0, 1, 0})},
        {"CONNECT wrong protocol", bytes({0x10, 13, 0, 4, 'M', 'Q', 'I', 'T', 4, 0x02, 0, 60, 0, 1, 'a'})},
        {"CONNECT password only", bytes({0x10, 15, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x42, 0, 60, 0, 1, 'a', 0, 0})},
    };
    for (const auto& [name, input] : cases) {
        EXPECT_EQ(decode(input).status, DecodeStatus::malformed) << name;
    }
}

TEST(MqttCodec, ValidUtf8TopicsAreAccepted) {
    std::string out;
    encode_publish(out, "lampe/k\xC3\xBC" "che/\xF0\x9F\x92\xA1", "", 0, false, 0);
    EXPECT_EQ(decode(out).status, DecodeStatus::ok);
}

}  // namespace
}  // namespace lampi::load::mqtt
