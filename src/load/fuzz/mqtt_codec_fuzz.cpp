// Fuzzes lampi-load's MQTT decoder as a session uses it: a stream of bytes from
// a broker, decoded packet after packet. Decoding never crashes or reads past
// its input, a packet's size never exceeds what it was given, and whatever
// decodes re-encodes to bytes that decode to the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mqtt/codec.h"

namespace {

using namespace lampi::load::mqtt;

void check(bool condition) {
    if (!condition) std::abort();
}

// Encodes `p` again with the encoder for its type; false for types that have none.
bool reencode(const Packet& p, std::string& out) {
    switch (p.type) {
        case PacketType::connect: encode_connect(out, p.connect); return true;
        case PacketType::connack: encode_connack(out, p.session_present, p.return_code); return true;
        case PacketType::publish: encode_publish(out, p.topic, p.payload, p.qos, p.retain, p.packet_id, p.dup); return true;
        case PacketType::puback:
        case PacketType::pubrec:
        case PacketType::pubrel:
        case PacketType::pubcomp: encode_ack(out, p.type, p.packet_id); return true;
        case PacketType::suback: encode_suback(out, p.packet_id, p.granted); return true;
        case PacketType::pingreq: encode_pingreq(out); return true;
        case PacketType::pingresp: encode_pingresp(out); return true;
        case PacketType::disconnect: encode_disconnect(out); return true;
        default: return false;  // SUBSCRIBE: only the first filter is kept; UNSUBACK: never sent by us
    }
}

bool same(const Packet& a, const Packet& b) {
    bool connect_same = a.connect.client_id == b.connect.client_id && a.connect.keepalive_s == b.connect.keepalive_s &&
                        a.connect.clean_session == b.connect.clean_session &&
                        a.connect.username == b.connect.username && a.connect.password == b.connect.password &&
                        a.connect.will.has_value() == b.connect.will.has_value() &&
                        (!a.connect.will || (a.connect.will->topic == b.connect.will->topic &&
                                             a.connect.will->payload == b.connect.will->payload &&
                                             a.connect.will->qos == b.connect.will->qos &&
                                             a.connect.will->retain == b.connect.will->retain));
    return a.type == b.type && a.packet_id == b.packet_id && a.session_present == b.session_present &&
           a.return_code == b.return_code && a.topic == b.topic && a.payload == b.payload && a.qos == b.qos &&
           a.retain == b.retain && a.dup == b.dup && a.granted == b.granted && connect_same;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    while (!rest.empty()) {
        Decoded d = decode(rest);
        if (d.status != DecodeStatus::ok) {
            check(d.status == DecodeStatus::malformed || d.size == 0 || d.size > rest.size());
            break;
        }
        check(d.size > 0 && d.size <= rest.size());
        std::string again;
        if (reencode(d.packet, again)) {
            Decoded d2 = decode(again);
            check(d2.status == DecodeStatus::ok && d2.size == again.size() && same(d.packet, d2.packet));
        }
        rest.remove_prefix(d.size);
    }
    return 0;
}
