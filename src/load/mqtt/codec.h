// MQTT 3.1.1 packets as bytes: encoders that append to a buffer, and a decoder
// that reads one packet from the front of a buffer without copying.
//
// Pure functions, no I/O and no state, so the session can batch many packets
// into one write and decode many from one read, and so the decoder can be
// fuzzed on its own (src/load/fuzz/). The decoder accepts every packet a
// client receives (CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK,
// UNSUBACK, PINGRESP) and, so that every encoder here can be checked against
// it, the ones a client sends (CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT). It
// rejects what the specification calls malformed: wrong fixed-header flags,
// a length field longer than four bytes, lengths that disagree, packet id 0,
// invalid UTF-8 or wildcards in a PUBLISH topic, QoS 3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::load::mqtt {

enum class PacketType : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};

// Bigger packets are refused rather than buffered: a load tester's peers send
// small messages, and one bad length field must not cost gigabytes.
inline constexpr std::size_t kMaxPacketSize = 16 * 1024 * 1024;

struct Will {
    std::string_view topic;
    std::string_view payload;
    int qos = 0;
    bool retain = false;
};

struct Connect {
    std::string_view client_id;
    std::uint16_t keepalive_s = 60;
    bool clean_session = true;
    std::optional<std::string_view> username;
    std::optional<std::string_view> password;  // only with a username (3.1.1, 3.1.2.9)
    std::optional<Will> will;
};

// One decoded packet. Views point into the decoded buffer; fields that do not
// belong to `type` keep their defaults.
struct Packet {
    PacketType type = PacketType::pingresp;
    std::uint16_t packet_id = 0;  // PUBLISH at QoS > 0, the acks, SUBSCRIBE, SUBACK
    // CONNACK
    bool session_present = false;
    std::uint8_t return_code = 0;
    // PUBLISH (and SUBSCRIBE's first filter in `topic`, its QoS in `qos`)
    std::string_view topic;
    std::string_view payload;
    int qos = 0;
    bool retain = false;
    bool dup = false;
    // SUBACK: one return code per filter (0, 1, 2 or 0x80 for refused);
    // SUBSCRIBE: how many filters it carries.
    std::string_view granted;
    std::size_t filters = 0;
    // CONNECT
    Connect connect;
};

enum class DecodeStatus { ok, need_more, malformed };

struct Decoded {
    DecodeStatus status = DecodeStatus::need_more;
    // ok: bytes this packet took. need_more: the whole packet's size once its
    // fixed header is complete (0 before), so a reader can grow its buffer.
    std::size_t size = 0;
    Packet packet;
    const char* error = "";  // malformed: what was wrong, for a log line
};

Decoded decode(std::string_view input);

void encode_connect(std::string& out, const Connect& connect);
// `packet_id` is ignored at QoS 0.
void encode_publish(std::string& out, std::string_view topic, std::string_view payload, int qos, bool retain,
                    std::uint16_t packet_id, bool dup = false);
// PUBACK, PUBREC, PUBREL or PUBCOMP.
void encode_ack(std::string& out, PacketType type, std::uint16_t packet_id);
void encode_subscribe(std::string& out, std::uint16_t packet_id, std::string_view filter, int qos);
void encode_pingreq(std::string& out);
void encode_disconnect(std::string& out);
// For tests and the fuzzer: the packets a broker sends.
void encode_connack(std::string& out, bool session_present, std::uint8_t return_code);
void encode_suback(std::string& out, std::uint16_t packet_id, std::string_view granted);
void encode_pingresp(std::string& out);

// Words for a CONNACK return code, with what to check.
std::string_view connack_text(int return_code);

}  // namespace lampi::load::mqtt
