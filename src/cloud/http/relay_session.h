// The MQTT-over-WebSocket relay: the part of lampi-cloud's HTTP server that
// takes over a connection whose request is a WebSocket upgrade for the relay's
// path (rules in http/relay_policy.h). Internal to lampi_cloud_http.
//
// One relayed connection is one call of serve() on the connection's strand:
// refuse with an HTTP answer, or connect to the broker, accept the WebSocket and
// copy in both directions until either side ends. Each direction holds at most
// one message (client -> broker: one WebSocket message of at most max_message
// bytes; broker -> client: one read of at most kBrokerChunk bytes) and waits for
// its write to finish before reading again, so a slow reader on either side
// stops the other side's reads instead of filling memory; a write that takes
// longer than write_timeout closes the connection.
//
// Contract: thread-safe (the connection count is atomic); serve() returns only
// when every operation it started has finished, so the stream it was given may
// be destroyed then. It never throws.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/beast_streams.h"
#include "http/message.h"
#include "http/relay_policy.h"

namespace lampi::cloud::http {

class ClientStream;

class Relay {
public:
    // Bytes read from the broker and sent as one WebSocket message.
    static constexpr std::size_t kBrokerChunk = 16 * 1024;

    Relay(RelayOptions options, BrokerEndpoint broker) : options_(std::move(options)), broker_(std::move(broker)) {}
    const RelayOptions& options() const { return options_; }
    std::size_t open_connections() const { return open_.load(); }

    // `upgrade` is the request as Beast parsed it (for the WebSocket handshake),
    // `request` the same request as the rules see it.
    template <class Stream>
    boost::asio::awaitable<void, Executor> serve(Stream& stream,
                                                 boost::beast::http::request<boost::beast::http::string_body> upgrade,
                                                 const Request& request);

private:
    // `upgrade` lives in serve()'s frame until this returns.
    boost::asio::awaitable<void, Executor> serve_client(
        ClientStream& stream, const boost::beast::http::request<boost::beast::http::string_body>& upgrade,
        const Request& request);

    RelayOptions options_;
    BrokerEndpoint broker_;
    std::atomic<std::size_t> open_{0};
};

extern template boost::asio::awaitable<void, Executor> Relay::serve<TcpStream>(
    TcpStream&, boost::beast::http::request<boost::beast::http::string_body>, const Request&);
extern template boost::asio::awaitable<void, Executor> Relay::serve<TlsStream>(
    TlsStream&, boost::beast::http::request<boost::beast::http::string_body>, const Request&);

}  // namespace lampi::cloud::http
