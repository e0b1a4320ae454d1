// The relay's Beast side: one coroutine per relayed connection, with two pumps
// (client -> broker, broker -> client) and a watchdog for stuck writes, all on
// the connection's strand.
#include "http/relay_session.h"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <chrono>
#include <optional>

#include "lampi/log.h"

namespace lampi::cloud::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using Clock = std::chrono::steady_clock;
using BrokerSocket = asio::basic_stream_socket<asio::generic::stream_protocol, Executor>;
using asio::experimental::awaitable_operators::operator&&;
using asio::experimental::awaitable_operators::operator||;

namespace {

// Holds one of the relay's connection slots for as long as it lives.
class Slot {
public:
    explicit Slot(std::atomic<std::size_t>& open) : open_(open), before_(open.fetch_add(1)) {}
    ~Slot() { open_.fetch_sub(1); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    std::size_t others() const { return before_; }

private:
    std::atomic<std::size_t>& open_;
    std::size_t before_;
};

asio::generic::stream_protocol::endpoint to_endpoint(const BrokerEndpoint& broker, beast::error_code& ec) {
    if (broker.unix_socket) return asio::local::stream_protocol::endpoint(broker.path);
    auto address = asio::ip::make_address(broker.address, ec);
    return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(broker.port));
}

// Connects to the broker within `limit`. Mosquitto listens on its unix socket
// with a backlog of 10, and a connect to a full backlog fails at once (EAGAIN),
// which a non-blocking connect may even report as success: only a peer name
// proves the connection. Such attempts are retried with a short backoff (pages
// reconnecting together after a restart); a broker that is down fails at once.
asio::awaitable<beast::error_code, Executor> connect_to_broker(BrokerSocket& broker,
                                                              const asio::generic::stream_protocol::endpoint& endpoint,
                                                              std::chrono::milliseconds limit) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto deadline = Clock::now() + limit;
    auto pause = std::chrono::milliseconds(2);
    for (;;) {
        timer.expires_at(deadline);
        auto result = co_await (broker.async_connect(endpoint, use_tuple) || timer.async_wait(use_tuple));
        beast::error_code ec = result.index() == 1 ? beast::error_code(asio::error::timed_out)
                                                   : std::get<0>(std::get<0>(result));
        if (!ec) broker.remote_endpoint(ec);
        if (!ec) co_return ec;
        bool busy = ec == asio::error::would_block || ec == asio::error::try_again || ec == asio::error::not_connected;
        if (!busy || Clock::now() + pause >= deadline) co_return ec;
        beast::error_code ignored;
        broker.close(ignored);
        timer.expires_after(pause);
        co_await timer.async_wait(use_tuple);
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
}

template <class Stream>
asio::awaitable<void, Executor> refuse(Stream& stream, const RelayOptions& options, int status,
                                       const std::string& reason, unsigned version) {
    Response r = text(status, reason + "\n");
    add_strict_security_headers(r);
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status), version};
    for (Header& h : r.headers) out.insert(h.name, h.value);
    out.body() = std::move(r.body);
    out.keep_alive(false);
    out.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(options.write_timeout);
    co_await bhttp::async_write(stream, out, use_tuple);
}

// Both directions of one relayed connection and what the watchdog watches.
template <class Stream>
struct Pipe {
    const RelayOptions& options;
    websocket::stream<Stream&> ws;
    BrokerSocket broker;
    asio::steady_timer watchdog_timer;
    // When the write in progress began; nullopt while none is.
    std::optional<Clock::time_point> ws_write_since;
    std::optional<Clock::time_point> broker_write_since;
    // When one side ended: the other gets handshake_timeout to finish.
    std::optional<Clock::time_point> ending_since;
    bool closing_websocket = false;
    int pumps_running = 2;

    Pipe(const RelayOptions& o, Stream& stream, BrokerSocket socket)
        : options(o), ws(stream), broker(std::move(socket)), watchdog_timer(broker.get_executor()) {}

    // One side ended: close the broker connection, which ends the other pump's
    // broker read or write at once.
    void end_side() {
        if (!ending_since) ending_since = Clock::now();
        beast::error_code ignored;
        broker.close(ignored);
        if (--pumps_running == 0) watchdog_timer.cancel();
    }

    // Cuts both connections: every pending operation completes with an error.
    void force_close() {
        beast::error_code ignored;
        broker.close(ignored);
        beast::get_lowest_layer(ws).close();
    }

    asio::awaitable<void, Executor> close_websocket(websocket::close_code code) {
        if (closing_websocket || !ws.is_open()) co_return;
        closing_websocket = true;
        co_await ws.async_close(code, use_tuple);
    }

    asio::awaitable<void, Executor> client_to_broker() {
        beast::flat_buffer message;
        for (;;) {
            message.clear();
            auto [ec, n] = co_await ws.async_read(message, use_tuple);
            if (ec) break;  // closed, too big (Beast answered 1009), idle timeout, cut
            if (!ws.got_binary()) {
                // MQTT over WebSocket is binary only (MQTT 3.1.1, section 6).
                end_side();
                co_await close_websocket(websocket::close_code::unknown_data);
                co_return;
            }
            broker_write_since = Clock::now();
            auto [wec, wn] = co_await asio::async_write(broker, message.data(), use_tuple);
            broker_write_since.reset();
            if (wec) break;
        }
        end_side();
    }

    asio::awaitable<void, Executor> broker_to_client() {
        std::array<char, Relay::kBrokerChunk> chunk;
        bool broker_ended = false;
        for (;;) {
            auto [ec, n] = co_await broker.async_read_some(asio::buffer(chunk), use_tuple);
            if (ec) {
                broker_ended = !ending_since;  // the broker closed, not the relay
                break;
            }
            ws_write_since = Clock::now();
            auto [wec, wn] = co_await ws.async_write(asio::buffer(chunk.data(), n), use_tuple);
            ws_write_since.reset();
            if (wec) break;
        }
        end_side();
        // The broker closed the connection (a refused CONNECT, a kick): say so to
        // the client with a close frame, as a broker's own listener would.
        if (broker_ended) co_await close_websocket(websocket::close_code::normal);
    }

    asio::awaitable<void, Executor> watchdog() {
        const auto tick = std::chrono::milliseconds(250);
        auto stuck = [&](const std::optional<Clock::time_point>& since, std::chrono::milliseconds limit) {
            return since && Clock::now() - *since > limit;
        };
        while (pumps_running > 0) {
            watchdog_timer.expires_after(tick);
            co_await watchdog_timer.async_wait(use_tuple);
            if (pumps_running == 0) break;
            if (stuck(ws_write_since, options.write_timeout) || stuck(broker_write_since, options.write_timeout) ||
                stuck(ending_since, options.handshake_timeout)) {
                force_close();
            }
        }
    }
};

}  // namespace

template <class Stream>
asio::awaitable<void, Executor> Relay::serve(Stream& stream, bhttp::request<bhttp::string_body> upgrade,
                                             const Request& request) {
    Slot slot(open_);
    RelayVerdict verdict = check_relay_request(request, options_, slot.others());
    if (!verdict.accepted()) {
        if (verdict.status == 503) log::warn("MQTT relay: {}", verdict.reason);
        else log::debug("MQTT relay: refused {} from {}: {}", verdict.status, request.client_address, verdict.reason);
        co_await refuse(stream, options_, verdict.status, verdict.reason, upgrade.version());
        co_return;
    }
    Executor strand = co_await asio::this_coro::executor;
    BrokerSocket broker(strand);
    beast::error_code ec;
    auto endpoint = to_endpoint(broker_, ec);
    if (!ec) ec = co_await connect_to_broker(broker, endpoint, options_.handshake_timeout);
    if (ec) {
        log::warn("MQTT relay: cannot reach the broker at {}: {}", options_.broker, ec.message());
        co_await refuse(stream, options_, 503, "the broker is unreachable; try again in a moment", upgrade.version());
        co_return;
    }
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_never();  // the WebSocket's own timeouts take over
    lowest.socket().set_option(asio::ip::tcp::no_delay(true), ec);
    if (!broker_.unix_socket) broker.set_option(asio::ip::tcp::no_delay(true), ec);

    Pipe<Stream> pipe(options_, stream, std::move(broker));
    pipe.ws.set_option(websocket::stream_base::timeout{options_.handshake_timeout, options_.idle_timeout, false});
    pipe.ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
        response.set(bhttp::field::sec_websocket_protocol, kMqttSubprotocol);
    }));
    pipe.ws.read_message_max(options_.max_message);
    pipe.ws.binary(true);
    pipe.ws.auto_fragment(false);
    auto [aec] = co_await pipe.ws.async_accept(upgrade, use_tuple);
    if (aec) {
        log::debug("MQTT relay: WebSocket handshake with {} failed: {}", request.client_address, aec.message());
        co_return;
    }
    co_await (pipe.client_to_broker() && pipe.broker_to_client() && pipe.watchdog());
}

template asio::awaitable<void, Executor> Relay::serve<TcpStream>(TcpStream&, bhttp::request<bhttp::string_body>,
                                                                 const Request&);
template asio::awaitable<void, Executor> Relay::serve<TlsStream>(TlsStream&, bhttp::request<bhttp::string_body>,
                                                                 const Request&);

}  // namespace lampi::cloud::http
