// Test support: a WebSocket client over TLS (Boost.Beast) for lampi-cloud's MQTT
// relay, as a browser's would be, but one that also sends what a browser never
// does (text frames, oversized messages, a forged Origin). Every call blocks
// with a deadline.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lampi::testing {

struct WsOptions {
    int port = 0;  // on 127.0.0.1, TLS verified against ca_file
    std::string ca_file;
    std::string host_header = "127.0.0.1";  // the Host the handshake names (port appended)
    std::string target = "/mqtt";
    std::optional<std::string> origin;  // nullopt: no Origin header
    std::vector<std::string> subprotocols = {"mqtt"};
    std::chrono::milliseconds timeout{5000};
};

class WsClient {
public:
    // Connects and upgrades. On failure returns nullptr with `error` set and
    // `http_status` the server's answer when it refused the upgrade (else 0).
    static std::unique_ptr<WsClient> connect(const WsOptions& options, std::string& error, int& http_status);
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // The subprotocol the server chose.
    std::string subprotocol() const;
    bool send_binary(std::string_view bytes, std::string& error);
    bool send_text(std::string_view text, std::string& error);
    // The next message within `timeout`, or nullopt with `error` set ("closed
    // (code 1009)", "timed out", ...).
    std::optional<std::string> receive(std::chrono::milliseconds timeout, std::string& error);
    // The close code the server sent, 0 if none yet.
    int close_code() const;
    void close();

private:
    struct Impl;
    explicit WsClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// ---- a few MQTT 3.1.1 packets over the relay ---------------------------------

std::string ws_mqtt_connect(const std::string& client_id, const std::string& username, const std::string& password,
                            int keepalive_seconds = 30);
std::string ws_mqtt_subscribe(std::uint16_t packet_id, const std::string& filter, int qos);
std::string ws_mqtt_publish(const std::string& topic, const std::string& payload, int qos, std::uint16_t packet_id);

// Reads MQTT packets from the relay's messages (a packet may span messages, a
// message may hold several packets).
class MqttOverWs {
public:
    explicit MqttOverWs(WsClient& ws) : ws_(ws) {}
    // A packet decoded by lampi-load's codec; fields that do not belong to its type stay empty.
    struct Packet {
        int type = 0;          // 2 CONNACK, 3 PUBLISH, 4 PUBACK, 9 SUBACK, 13 PINGRESP ...
        int return_code = -1;  // CONNACK
        std::string granted;   // SUBACK: a return code per filter
        std::string topic;     // PUBLISH
        std::string payload;
    };
    // The next packet within `timeout`.
    std::optional<Packet> next(std::chrono::milliseconds timeout, std::string& error);
    // Skips packets until one of `type` arrives.
    std::optional<Packet> wait_for(int type, std::chrono::milliseconds timeout, std::string& error);

private:
    WsClient& ws_;
    std::string pending_;
};

}  // namespace lampi::testing
