// The attacker's tools: a connection on loopback (plain TCP or TLS through
// OpenSSL) that sends exactly the bytes it is given, and the few MQTT 3.1.1 and
// HTTP/1.1 messages the attacks need. Ordinary clients (libmosquitto, libcurl)
// normalise or refuse what an attacker sends on purpose (`../` in a path, a
// plaintext CONNECT to a TLS port, a header that never ends), so attacks are
// written on the wire; what comes back is reported in the protocol's own words.
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

namespace lampi::testing {

struct TlsIdentity {
    std::string ca_file;    // verifies the server; empty: no verification
    std::string cert_file;  // client certificate (mutual TLS); empty: none
    std::string key_file;
};

// While one lives, new connections leave from `address` (another loopback
// address such as 127.0.0.7): the attacks play many clients from one machine.
class ScopedSourceAddress {
public:
    explicit ScopedSourceAddress(std::string address);
    ~ScopedSourceAddress();
    ScopedSourceAddress(const ScopedSourceAddress&) = delete;
    ScopedSourceAddress& operator=(const ScopedSourceAddress&) = delete;

private:
    std::string previous_;
};

class WireConnection {
public:
    // Connects to 127.0.0.1:port, with a TLS handshake when `tls` is set. On
    // failure returns nullptr and says why in `error` (the TLS alert, if any).
    static std::unique_ptr<WireConnection> open(int port, const std::optional<TlsIdentity>& tls, std::string& error,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~WireConnection();
    WireConnection(const WireConnection&) = delete;
    WireConnection& operator=(const WireConnection&) = delete;

    bool send(std::string_view bytes, std::string& error);
    // Whatever arrives within `timeout` (at least one byte), or "" with `error`
    // set ("closed by the server", "timed out", the TLS alert ...).
    std::string receive(std::chrono::milliseconds timeout, std::string& error);
    // Reads until the server closes the connection or `timeout` passes.
    std::string receive_all(std::chrono::milliseconds timeout, std::string& error);
    // True when the server has closed the connection (a read returns end of
    // stream or an error) within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout);

private:
    WireConnection(int fd, void* ssl) : fd_(fd), ssl_(ssl) {}
    int fd_;
    void* ssl_;  // SSL*, or nullptr for plain TCP
};

// ---- MQTT 3.1.1 -------------------------------------------------------------

struct MqttWill {
    std::string topic;
    std::string payload;
    int qos = 1;
    bool retain = false;
};
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
    bool accepted = false;        // CONNACK with return code 0
    std::string observed;         // "CONNACK 0 (accepted)", "CONNACK 5 (not authorized)", "TLS: ...", ...
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

// ---- HTTP/1.1 ---------------------------------------------------------------

struct HttpAnswer {
    int status = 0;  // 0: no response (see error)
    std::map<std::string, std::vector<std::string>> headers;  // lower-case names
    std::string body;
    std::string error;
    std::chrono::milliseconds elapsed{0};

    std::string header(const std::string& name) const;
    // The value of cookie `name` in the Set-Cookie headers, "" if not set.
    std::string set_cookie(const std::string& name) const;
    std::string describe() const;  // "HTTP 404" or "no response: <error>"
};

// Sends `raw` (a complete request, ideally with `Connection: close`) over one
// fresh connection and reads the answer to the end.
HttpAnswer http_exchange(int port, const TlsIdentity& tls, const std::string& raw,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Builds a request. `headers` are full lines without CRLF.
std::string http_request(const std::string& method, const std::string& target, int port,
                         const std::vector<std::string>& headers = {}, const std::string& body = "");

}  // namespace lampi::testing
