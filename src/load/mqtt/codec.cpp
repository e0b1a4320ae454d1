#include "mqtt/codec.h"

namespace lampi::load::mqtt {
namespace {

// Reads big-endian fields from a packet's variable header and payload.
class Reader {
public:
    explicit Reader(std::string_view body) : body_(body) {}

    bool u8(std::uint8_t& v) {
        if (left() < 1) return false;
        v = static_cast<std::uint8_t>(body_[pos_++]);
        return true;
    }
    bool u16(std::uint16_t& v) {
        if (left() < 2) return false;
        v = static_cast<std::uint16_t>((static_cast<std::uint8_t>(body_[pos_]) << 8) |
                                       static_cast<std::uint8_t>(body_[pos_ + 1]));
        pos_ += 2;
        return true;
    }
    // A length-prefixed string (or binary blob).
    bool str(std::string_view& v) {
        std::uint16_t n = 0;
        if (!u16(n) || left() < n) return false;
        v = body_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    std::string_view rest() {
        std::string_view r = body_.substr(pos_);
        pos_ = body_.size();
        return r;
    }
    std::size_t left() const { return body_.size() - pos_; }

private:
    std::string_view body_;
    std::size_t pos_ = 0;
};

// Well-formed UTF-8 without U+0000 (MQTT 3.1.1, 1.5.3); surrogates and
// overlong forms are not well-formed.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<std::uint8_t>(s[i]);
        if (c == 0) return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07;
        else return false;
        if (i + n >= s.size()) return false;  // continuation bytes run past the end
        for (std::size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<std::uint8_t>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

bool valid_topic_name(std::string_view t) {
    return !t.empty() && t.find_first_of("+#") == std::string_view::npos && valid_utf8(t);
}

Decoded malformed(const char* why) {
    Decoded d;
    d.status = DecodeStatus::malformed;
    d.error = why;
    return d;
}

void put_u16(std::string& out, std::uint16_t v) {
    out += static_cast<char>(v >> 8);
    out += static_cast<char>(v & 0xFF);
}

void put_str(std::string& out, std::string_view s) {
    put_u16(out, static_cast<std::uint16_t>(s.size()));
    out.append(s);
}

void put_header(std::string& out, std::uint8_t first, std::size_t remaining) {
    out += static_cast<char>(first);
    do {
        auto byte = static_cast<std::uint8_t>(remaining % 128);
        remaining /= 128;
        if (remaining > 0) byte |= 0x80;
        out += static_cast<char>(byte);
    } while (remaining > 0);
}

std::uint8_t first_byte(PacketType type, std::uint8_t flags = 0) {
    return static_cast<std::uint8_t>((static_cast<std::uint8_t>(type) << 4) | flags);
}

const char* decode_connect(Reader& r, Packet& p) {
    std::string_view protocol;
    std::uint8_t level = 0, flags = 0;
    if (!r.str(protocol) || !r.u8(level) || !r.u8(flags) || !r.u16(p.connect.keepalive_s)) return "CONNECT too short";
    if (protocol != "MQTT" || level != 4) return "CONNECT is not MQTT 3.1.1";
    if (flags & 0x01) return "CONNECT reserved flag set";
    p.connect.clean_session = flags & 0x02;
    bool will = flags & 0x04;
    int will_qos = (flags >> 3) & 0x03;
    bool will_retain = flags & 0x20;
    bool password = flags & 0x40;
    bool username = flags & 0x80;
    if (!will && (will_qos != 0 || will_retain)) return "CONNECT Will flags without a Will";
    if (will_qos == 3) return "CONNECT Will QoS 3";
    if (password && !username) return "CONNECT password without user name";
    if (!r.str(p.connect.client_id) || !valid_utf8(p.connect.client_id)) return "CONNECT bad client id";
    if (will) {
        Will w;
        w.qos = will_qos;
        w.retain = will_retain;
        if (!r.str(w.topic) || !valid_topic_name(w.topic) || !r.str(w.payload)) return "CONNECT bad Will";
        p.connect.will = w;
    }
    if (username) {
        std::string_view u;
        if (!r.str(u) || !valid_utf8(u)) return "CONNECT bad user name";
        p.connect.username = u;
    }
    if (password) {
        std::string_view pw;
        if (!r.str(pw)) return "CONNECT bad password";
        p.connect.password = pw;
    }
    if (r.left() != 0) return "CONNECT has trailing bytes";
    return nullptr;
}

const char* decode_body(PacketType type, std::uint8_t flags, std::string_view body, Packet& p) {
    Reader r(body);
    switch (type) {
        case PacketType::connect:
            return decode_connect(r, p);
        case PacketType::connack: {
            std::uint8_t ack = 0;
            if (body.size() != 2 || !r.u8(ack) || !r.u8(p.return_code)) return "CONNACK is not 2 bytes";
            if (ack & 0xFE) return "CONNACK reserved flags set";
            p.session_present = ack & 0x01;
            return nullptr;
        }
        case PacketType::publish: {
            p.qos = (flags >> 1) & 0x03;
            p.retain = flags & 0x01;
            p.dup = flags & 0x08;
            if (p.qos == 3) return "PUBLISH QoS 3";
            if (p.qos == 0 && p.dup) return "PUBLISH QoS 0 with DUP";
            if (!r.str(p.topic) || !valid_topic_name(p.topic)) return "PUBLISH bad topic";
            if (p.qos > 0 && (!r.u16(p.packet_id) || p.packet_id == 0)) return "PUBLISH bad packet id";
            p.payload = r.rest();
            return nullptr;
        }
        case PacketType::puback:
        case PacketType::pubrec:
        case PacketType::pubrel:
        case PacketType::pubcomp:
        case PacketType::unsuback:
            if (body.size() != 2 || !r.u16(p.packet_id) || p.packet_id == 0) return "ack is not a 2-byte packet id";
            return nullptr;
        case PacketType::subscribe: {
            if (!r.u16(p.packet_id) || p.packet_id == 0) return "SUBSCRIBE bad packet id";
            while (r.left() > 0) {
                std::string_view filter;
                std::uint8_t qos = 0;
                if (!r.str(filter) || filter.empty() || !valid_utf8(filter) || !r.u8(qos) || qos > 2) {
                    return "SUBSCRIBE bad filter";
                }
                if (p.filters++ == 0) {
                    p.topic = filter;
                    p.qos = qos;
                }
            }
            if (p.filters == 0) return "SUBSCRIBE without filters";
            return nullptr;
        }
        case PacketType::suback: {
            if (!r.u16(p.packet_id) || p.packet_id == 0) return "SUBACK bad packet id";
            p.granted = r.rest();
            if (p.granted.empty()) return "SUBACK without return codes";
            for (char c : p.granted) {
                auto code = static_cast<std::uint8_t>(c);
                if (code > 2 && code != 0x80) return "SUBACK bad return code";
            }
            return nullptr;
        }
        case PacketType::pingreq:
        case PacketType::pingresp:
        case PacketType::disconnect:
            return body.empty() ? nullptr : "PINGREQ/PINGRESP/DISCONNECT with a body";
        case PacketType::unsubscribe:
            return "UNSUBSCRIBE is not supported";
    }
    return "unknown packet type";
}

}  // namespace

Decoded decode(std::string_view input) {
    Decoded d;
    if (input.size() < 2) return d;
    auto first = static_cast<std::uint8_t>(input[0]);
    std::size_t remaining = 0;
    std::size_t i = 1;
    for (std::size_t shift = 0;; shift += 7, ++i) {
        if (i == 5) return malformed("remaining length longer than 4 bytes");
        if (i >= input.size()) return d;
        auto byte = static_cast<std::uint8_t>(input[i]);
        remaining |= static_cast<std::size_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) break;
    }
    std::size_t total = i + 1 + remaining;
    if (total > kMaxPacketSize) return malformed("packet larger than 16 MiB");
    auto type_bits = static_cast<std::uint8_t>(first >> 4);
    auto flags = static_cast<std::uint8_t>(first & 0x0F);
    if (type_bits == 0 || type_bits == 15) return malformed("reserved packet type");
    auto type = static_cast<PacketType>(type_bits);
    bool needs_0010 = type == PacketType::pubrel || type == PacketType::subscribe || type == PacketType::unsubscribe;
    if (type != PacketType::publish && flags != (needs_0010 ? 0x02 : 0x00)) return malformed("bad fixed-header flags");
    if (input.size() < total) {
        d.size = total;
        return d;
    }
    d.packet.type = type;
    if (const char* why = decode_body(type, flags, input.substr(i + 1, remaining), d.packet)) return malformed(why);
    d.status = DecodeStatus::ok;
    d.size = total;
    return d;
}

void encode_connect(std::string& out, const Connect& c) {
    std::size_t remaining = 10 + 2 + c.client_id.size();
    std::uint8_t flags = c.clean_session ? 0x02 : 0x00;
    if (c.will) {
        remaining += 4 + c.will->topic.size() + c.will->payload.size();
        flags |= static_cast<std::uint8_t>(0x04 | (c.will->qos << 3) | (c.will->retain ? 0x20 : 0));
    }
    if (c.username) {
        remaining += 2 + c.username->size();
        flags |= 0x80;
        if (c.password) {
            remaining += 2 + c.password->size();
            flags |= 0x40;
        }
    }
    put_header(out, first_byte(PacketType::connect), remaining);
    put_str(out, "MQTT");
    out += static_cast<char>(4);
    out += static_cast<char>(flags);
    put_u16(out, c.keepalive_s);
    put_str(out, c.client_id);
    if (c.will) {
        put_str(out, c.will->topic);
        put_str(out, c.will->payload);
    }
    if (c.username) {
        put_str(out, *c.username);
        if (c.password) put_str(out, *c.password);
    }
}

void encode_publish(std::string& out, std::string_view topic, std::string_view payload, int qos, bool retain,
                    std::uint16_t packet_id, bool dup) {
    std::size_t remaining = 2 + topic.size() + (qos > 0 ? 2 : 0) + payload.size();
    auto flags = static_cast<std::uint8_t>((dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0));
    put_header(out, first_byte(PacketType::publish, flags), remaining);
    put_str(out, topic);
    if (qos > 0) put_u16(out, packet_id);
    out.append(payload);
}

void encode_ack(std::string& out, PacketType type, std::uint16_t packet_id) {
    put_header(out, first_byte(type, type == PacketType::pubrel ? 0x02 : 0x00), 2);
    put_u16(out, packet_id);
}

void encode_subscribe(std::string& out, std::uint16_t packet_id, std::string_view filter, int qos) {
    put_header(out, first_byte(PacketType::subscribe, 0x02), 2 + 2 + filter.size() + 1);
    put_u16(out, packet_id);
    put_str(out, filter);
    out += static_cast<char>(qos);
}

void encode_pingreq(std::string& out) { put_header(out, first_byte(PacketType::pingreq), 0); }
void encode_disconnect(std::string& out) { put_header(out, first_byte(PacketType::disconnect), 0); }
void encode_pingresp(std::string& out) { put_header(out, first_byte(PacketType::pingresp), 0); }

void encode_connack(std::string& out, bool session_present, std::uint8_t return_code) {
    put_header(out, first_byte(PacketType::connack), 2);
    out += static_cast<char>(session_present ? 1 : 0);
    out += static_cast<char>(return_code);
}

void encode_suback(std::string& out, std::uint16_t packet_id, std::string_view granted) {
    put_header(out, first_byte(PacketType::suback), 2 + granted.size());
    put_u16(out, packet_id);
    out.append(granted);
}

std::string_view connack_text(int return_code) {
    switch (return_code) {
        case 0: return "connection accepted";
        case 1: return "unacceptable protocol version (the broker does not speak MQTT 3.1.1)";
        case 2: return "client identifier rejected";
        case 3: return "server unavailable";
        case 4: return "bad user name or password";
        case 5: return "not authorised";
        default: return "unknown CONNACK return code";
    }
}

}  // namespace lampi::load::mqtt
