#include "wire.h"

#include "mqtt/codec.h"

namespace lampi::testing {
namespace {

namespace codec = lampi::load::mqtt;
using Clock = std::chrono::steady_clock;

// One packet from the server, copied out of the buffer the codec decoded it in.
struct Received {
    codec::PacketType type = codec::PacketType::pingresp;
    std::uint16_t packet_id = 0;
    std::uint8_t return_code = 0;  // CONNACK
    std::string granted;           // SUBACK
    MqttMessageOnWire message;     // PUBLISH
};

// The whole packet at the front of `buffer`, decoded with lampi-load's codec;
// nullopt while incomplete, or with `malformed` set to what was wrong.
std::optional<Received> take_packet(std::string& buffer, std::string& malformed) {
    codec::Decoded decoded = codec::decode(buffer);
    if (decoded.status == codec::DecodeStatus::malformed) {
        malformed = std::string("a malformed packet from the server: ") + decoded.error;
        buffer.clear();
    }
    if (decoded.status != codec::DecodeStatus::ok) return std::nullopt;
    const codec::Packet& p = decoded.packet;
    Received received{p.type, p.packet_id, p.return_code, std::string(p.granted),
                      MqttMessageOnWire{std::string(p.topic), std::string(p.payload), p.qos, p.retain}};
    buffer.erase(0, decoded.size);
    return received;
}

std::string connack_name(int code) {
    return "CONNACK " + std::to_string(code) + " (" + std::string(codec::connack_text(code)) + ")";
}

}  // namespace

std::string mqtt_connect_packet(const MqttConnect& connect) {
    codec::Connect c;
    c.client_id = connect.client_id;
    c.keepalive_s = connect.keepalive;
    c.clean_session = connect.clean_session;
    if (connect.username) c.username = *connect.username;
    if (connect.password) c.password = *connect.password;
    if (connect.will)
        c.will = codec::Will{connect.will->topic, connect.will->payload, connect.will->qos, connect.will->retain};
    std::string out;
    codec::encode_connect(out, c);
    return out;
}

std::string mqtt_subscribe_packet(std::uint16_t packet_id, const std::string& filter, int qos) {
    std::string out;
    codec::encode_subscribe(out, packet_id, filter, qos);
    return out;
}

std::string mqtt_publish_packet(const std::string& topic, const std::string& payload, int qos, std::uint16_t packet_id,
                                bool retain) {
    std::string out;
    codec::encode_publish(out, topic, payload, qos, retain, packet_id);
    return out;
}

std::optional<MqttMessageOnWire> mqtt_wait_publish(WireConnection& session, const std::string& topic,
                                                   const std::string& marker, std::chrono::milliseconds timeout,
                                                   std::string& observed) {
    auto deadline = Clock::now() + timeout;
    std::string buffer;
    std::string error;
    while (true) {
        while (auto packet = take_packet(buffer, error)) {
            if (packet->type != codec::PacketType::publish) continue;
            if (packet->message.qos > 0) {
                std::string ack;
                codec::encode_ack(ack, packet->message.qos == 1 ? codec::PacketType::puback : codec::PacketType::pubrec,
                                  packet->packet_id);
                session.send(ack, error);
            }
            const MqttMessageOnWire& message = packet->message;
            if (message.topic == topic && message.payload.find(marker) != std::string::npos) {
                observed = "PUBLISH " + topic + " \"" + message.payload.substr(0, 60) + "\"";
                return message;
            }
        }
        if (!error.empty() || time_left(deadline).count() <= 0) break;
        std::string part = session.receive(time_left(deadline), error);
        if (part.empty()) break;
        buffer += part;
    }
    observed = "no PUBLISH on " + topic +
               (error.empty() ? " within " + std::to_string(timeout.count()) + " ms" : ": " + error);
    return std::nullopt;
}

MqttAttempt mqtt_connect(int port, const std::optional<TlsIdentity>& tls, const MqttConnect& connect,
                         std::chrono::milliseconds timeout) {
    MqttAttempt attempt;
    std::string error;
    auto connection = WireConnection::open(port, tls, error, timeout);
    if (!connection) {
        attempt.observed = error;
        return attempt;
    }
    if (!connection->send(mqtt_connect_packet(connect), error)) {
        // The server's reason (a TLS alert) is waiting to be read.
        std::string reason;
        connection->receive(std::chrono::milliseconds(500), reason);
        attempt.observed = "CONNECT not delivered: " + (reason.empty() ? error : reason);
        return attempt;
    }
    auto deadline = Clock::now() + timeout;
    std::string buffer;
    while (time_left(deadline).count() > 0) {
        if (auto packet = take_packet(buffer, error)) {
            if (packet->type != codec::PacketType::connack) {
                attempt.observed = "not a CONNACK (packet type " + std::to_string(static_cast<int>(packet->type)) + ")";
                return attempt;
            }
            int code = packet->return_code;
            attempt.observed = connack_name(code);
            attempt.accepted = code == 0;
            if (attempt.accepted) attempt.session = std::move(connection);
            return attempt;
        }
        std::string part = error.empty() ? connection->receive(time_left(deadline), error) : "";
        if (part.empty()) {
            attempt.observed = "no CONNACK: " + error;
            return attempt;
        }
        buffer += part;
    }
    attempt.observed = "no CONNACK: timed out";
    return attempt;
}

bool mqtt_publish_acknowledged(WireConnection& session, const std::string& topic, const std::string& payload,
                               std::string& observed) {
    static std::uint16_t next_id = 30000;
    std::uint16_t id = next_id++;
    std::string error;
    if (!session.send(mqtt_publish_packet(topic, payload, 1, id), error)) {
        observed = "PUBLISH not delivered: " + error;
        return false;
    }
    return mqtt_wait_ack(session, 0x40, id, observed);
}

bool mqtt_wait_ack(WireConnection& session, unsigned char type, std::uint16_t packet_id, std::string& observed) {
    const std::string name = std::string(type == 0x40   ? "PUBACK"
                                         : type == 0x50 ? "PUBREC"
                                         : type == 0x70 ? "PUBCOMP"
                                                        : "ack") +
                             " for id " + std::to_string(packet_id);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    std::string buffer;
    std::string error;
    while (time_left(deadline).count() > 0) {
        while (auto packet = take_packet(buffer, error)) {
            if (static_cast<int>(packet->type) != (type >> 4) || packet->packet_id != packet_id) continue;
            observed = name;
            return true;
        }
        std::string part = error.empty() ? session.receive(time_left(deadline), error) : "";
        if (part.empty()) {
            observed = "no ";
            observed.append(name).append(": ").append(error);
            return false;
        }
        buffer += part;
    }
    observed = "no " + name + ": timed out";
    return false;
}

int mqtt_subscribe(WireConnection& session, const std::string& filter, std::string& observed) {
    static std::uint16_t next_id = 1;
    std::uint16_t id = next_id++;
    std::string error;
    if (!session.send(mqtt_subscribe_packet(id, filter), error)) {
        observed = "SUBSCRIBE not delivered: " + error;
        return kSubscribeUnanswered;
    }
    auto deadline = Clock::now() + std::chrono::seconds(5);
    std::string buffer;
    while (time_left(deadline).count() > 0) {
        while (auto packet = take_packet(buffer, error)) {
            // Skips messages from an earlier subscription.
            if (packet->type != codec::PacketType::suback || packet->packet_id != id || packet->granted.empty())
                continue;
            int code = static_cast<unsigned char>(packet->granted[0]);
            observed = code == 0x80 ? "SUBACK 0x80 (refused)" : "SUBACK " + std::to_string(code) + " (granted)";
            return code;
        }
        std::string part = error.empty() ? session.receive(time_left(deadline), error) : "";
        if (part.empty()) {
            observed = "no SUBACK: " + error;
            return error.rfind("closed by the server", 0) == 0 ? kSubscribeCut : kSubscribeUnanswered;
        }
        buffer += part;
    }
    observed = "no SUBACK: timed out";
    return kSubscribeUnanswered;
}

}  // namespace lampi::testing
