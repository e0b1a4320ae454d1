// MQTT 3.1.1 on the wire for the attacks and benches: packets written on a raw
// connection (connection.h), so a test decides every byte a client sends and
// reports what comes back in the protocol's own words. Well-formed packets come
// from lampi-load's codec (src/load/mqtt/codec.h), the one MQTT codec of the
// tests, the benches and lampi-load; only malformed ones are written by hand,
// where a test needs them.
//
// Everything blocks with a deadline: no call waits longer than its timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connection.h"
#include "lampi/mqtt_client.h"

namespace lampi::testing {

// ---- MQTT 3.1.1 -------------------------------------------------------------

// A will is lampi::MqttWill (topic, payload, QoS, retain), as the platform's client has.
struct MqttConnect {
    // MqttConnect{id, username, password}: the rest keep their defaults.
    MqttConnect(std::string client_id = "adversary", std::optional<std::string> username = std::nullopt,
                std::optional<std::string> password = std::nullopt)
        : client_id(std::move(client_id)), username(std::move(username)), password(std::move(password)) {}
    std::string client_id;
    std::optional<std::string> username;
    std::optional<std::string> password;
    bool clean_session = true;
    std::uint16_t keepalive = 30;
    std::optional<MqttWill> will;
};
// A CONNECT with no username or password: lamps on mutual TLS, or a probe.
inline MqttConnect client_id_only(std::string client_id) {
    MqttConnect connect;
    connect.client_id = std::move(client_id);
    return connect;
}
std::string mqtt_connect_packet(const MqttConnect& connect);
std::string mqtt_subscribe_packet(std::uint16_t packet_id, const std::string& filter, int qos = 1);
std::string mqtt_publish_packet(const std::string& topic, const std::string& payload, int qos = 0,
                                std::uint16_t packet_id = 0, bool retain = false);

// A PUBLISH received on a session.
struct MqttMessageOnWire {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
};
// Reads packets until a PUBLISH on `topic` whose payload contains `marker`
// arrives (acknowledging QoS 1 ones), or `timeout` passes; `observed` says what happened.
std::optional<MqttMessageOnWire> mqtt_wait_publish(WireConnection& session, const std::string& topic,
                                                   const std::string& marker, std::chrono::milliseconds timeout,
                                                   std::string& observed);

// CONNECT and wait for the CONNACK. `session` holds the connection when the
// broker accepted it, for further packets.
struct MqttAttempt {
    bool accepted = false;  // CONNACK with return code 0
    std::string observed;   // "CONNACK 0 (accepted)", "CONNACK 5 (not authorized)", "TLS: ...", ...
    std::unique_ptr<WireConnection> session;
};
MqttAttempt mqtt_connect(int port, const std::optional<TlsIdentity>& tls, const MqttConnect& connect,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

// SUBSCRIBE on an accepted session; the SUBACK return code (0..2 granted,
// 0x80 refused), kSubscribeCut when the broker closed the connection instead,
// or kSubscribeUnanswered when nothing came within 5 s (observed says which).
constexpr int kSubscribeCut = -1;
constexpr int kSubscribeUnanswered = -2;
int mqtt_subscribe(WireConnection& session, const std::string& filter, std::string& observed);
inline bool subscription_granted(int code) { return code >= 0 && code <= 2; }
// A refusal is an answer: SUBACK 0x80, or the broker cutting the client. Silence
// is not one (a broker that hangs would otherwise pass every refusal test).
inline bool subscription_refused(int code) { return code == 0x80 || code == kSubscribeCut; }

// PUBLISH at QoS 1 and wait for its PUBACK (other packets are skipped): once it
// came, the broker has decided on the message, before anything sent afterwards
// by any client. False when no PUBACK came within 5 s (observed says why).
bool mqtt_publish_acknowledged(WireConnection& session, const std::string& topic, const std::string& payload,
                               std::string& observed);
// Reads packets until one of `type` (0x40 PUBACK, 0x70 PUBCOMP, ...) for
// `packet_id` arrives, skipping others; false after 5 s or a closed connection.
bool mqtt_wait_ack(WireConnection& session, unsigned char type, std::uint16_t packet_id, std::string& observed);

}  // namespace lampi::testing
