// The MQTT-over-WebSocket relay's rules, without Beast: which requests are relay
// requests, which of those may open a relayed connection, and where the broker is.
//
// The relay (http/relay_session.h) lets browsers reach the cloud broker through
// lampi-cloud's own HTTPS port at `path`: it accepts the WebSocket and copies its
// binary messages to and from a plain MQTT listener of the broker on a unix
// socket (or loopback TCP). The broker then needs no WebSocket listener of its
// own, and the page's broker is on the page's origin.
//
// Contract: check_relay_request never throws and trusts nothing in the request;
// it decides from the method, path and headers only (no cookies: the broker
// credential inside MQTT is what authenticates, and the Origin check keeps other
// sites' pages out).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "lampi/status.h"

namespace lampi::cloud::http {

struct RelayOptions {
    std::string path = "/mqtt";
    // "unix:/path/to.sock" or "127.0.0.1:1883"; empty turns the relay off.
    std::string broker;
    // Origins allowed to open the relay ("https://lampi.example.com"). Empty: the
    // site's own origin as the request names it (scheme of this hop + Host),
    // which is wrong behind a TLS-terminating proxy: set them there.
    std::vector<std::string> allowed_origins;
    // The largest WebSocket message a client may send. MQTT packets from the
    // control page are a few hundred bytes (a CONNECT with its credential, a
    // SUBSCRIBE of two topics per lamp, set_config of ~100 bytes); 8 KiB holds a
    // SUBSCRIBE for ~100 lamps. It must not exceed the broker's max_packet_size.
    std::size_t max_message = 8 * 1024;
    // Relayed connections at once. Each costs up to ~60 KiB (two message
    // buffers, TLS and socket buffers), so the cap bounds the relay near 60 MB,
    // and it stays well below the HTTP server's own connection cap so relayed
    // connections never use up the slots the login page needs.
    std::size_t max_connections = 1000;
    // A client that sends nothing for this long is cut off. The page pings every
    // 30 s (MQTT keepalive) and the broker itself allows keepalive x 1.5; 120 s
    // is above that for mqtt.js's default keepalive of 60 s too.
    std::chrono::milliseconds idle_timeout{120'000};
    // Opening handshake, connecting to the broker, and the closing handshake.
    std::chrono::milliseconds handshake_timeout{10'000};
    // A write (to the browser or to the broker) that cannot finish in this time
    // means a peer that stopped reading: the connection is closed rather than
    // letting data pile up.
    std::chrono::milliseconds write_timeout{15'000};

    bool enabled() const { return !broker.empty(); }
};

// The WebSocket subprotocol mqtt.js asks for (MQTT 3.1.1 and 5).
inline constexpr std::string_view kMqttSubprotocol = "mqtt";

// Is this a request the relay handles (a GET for the relay's path)? Others go
// to the application as usual.
bool is_relay_request(const Request& request, const RelayOptions& options);

struct RelayVerdict {
    int status = 0;      // 0: accept; else the HTTP status to refuse with
    std::string reason;  // for the refusal's body and the log
    bool accepted() const { return status == 0; }
};

// Whether a relay request may open a relayed connection, given how many are
// open now.
RelayVerdict check_relay_request(const Request& request, const RelayOptions& options, std::size_t open_connections);

// The broker endpoint named by RelayOptions::broker.
struct BrokerEndpoint {
    bool unix_socket = false;
    std::string path;     // unix socket
    std::string address;  // TCP
    int port = 0;
};
Result<BrokerEndpoint> parse_broker_endpoint(std::string_view text);

}  // namespace lampi::cloud::http
