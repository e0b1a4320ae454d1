// HttpServer: the HTTP/1.1 front of lampi-cloud, on Boost.Beast and Asio.
//
// One session (a coroutine on its own strand) per connection, keep-alive, a
// deadline on every socket operation, limits on header and body size, and a
// graceful stop: new connections are refused, idle keep-alive connections are
// closed, requests in flight finish (up to `drain_timeout`). With a certificate
// and key set, every connection is TLS; plain and TLS share the same session code.
//
// Each of the server's threads serves its own share of the connections (given
// out in turn at accept). The handler runs on the connection's thread and may
// block briefly (the database), holding that thread's other connections as long;
// it must be thread-safe. Malformed requests never reach it: the
// server answers them itself (400, 413, 431) and closes the connection.
// A WebSocket upgrade for the MQTT relay's path (when one is configured) never
// reaches the handler either: the relay takes the connection over.
// Beast stays behind this header (pimpl).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/message.h"
#include "http/relay_policy.h"
#include "lampi/status.h"

namespace lampi::cloud::http {

struct ServerOptions {
    std::string address = "127.0.0.1";
    int port = 8000;          // 0 picks a free port (see HttpServer::port())
    int threads = 2;
    std::size_t header_limit = 8 * 1024;
    std::size_t body_limit = 64 * 1024;
    // A connection waits up to idle_timeout for the first byte of a request; from
    // then the whole header must arrive within header_timeout (so a client that
    // dribbles a header byte by byte, "slowloris", holds a connection no longer
    // than that), then the body within read_timeout.
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds read_timeout{15'000};
    std::chrono::milliseconds write_timeout{15'000};
    std::chrono::milliseconds drain_timeout{5'000};
    // At max_connections a new connection closes the oldest idle one (waiting for
    // a request or for its TLS handshake) and is refused only when none is idle;
    // from half of it on, idle connections wait idle_timeout_under_pressure.
    std::size_t max_connections = 10'000;
    std::chrono::milliseconds idle_timeout_under_pressure{5'000};
    // Both set: serve HTTPS only.
    std::string tls_cert_file;
    std::string tls_key_file;
    // MQTT over WebSocket at relay.path, relayed to the broker (relay_policy.h);
    // off while relay.broker is empty.
    RelayOptions relay;
    // Stop on SIGINT/SIGTERM.
    bool handle_signals = false;
};

using RequestHandler = std::function<Response(Request&)>;

class HttpServer {
public:
    HttpServer(ServerOptions options, RequestHandler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens; after this, port() is the bound port.
    Status listen();
    int port() const;
    // Serves on `threads` threads (the caller's among them) until stop().
    void run();
    // Thread-safe and async-signal-unsafe; callable from any thread, repeatedly.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace lampi::cloud::http
