// The relay's Beast side: one coroutine per relayed connection, with two pumps
// (client -> broker, broker -> client) and a watchdog for stuck writes, all on
// the connection's strand.
#include "http/relay_session.h"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_executor.hpp>
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

// The client's connection, TCP or TLS, behind one type: Beast's WebSocket code, by
// far the heaviest templates of the server, is compiled once for this stream instead
// of once per stream type (which took twice the time, most of it for TLS). Only the
// byte-level operations below cross a virtual call.
class ClientStream {
public:
    using executor_type = Executor;
    using TransferHandler = asio::any_completion_handler<void(beast::error_code, std::size_t)>;
    using TeardownHandler = asio::any_completion_handler<void(beast::error_code)>;
    // A _some operation may move fewer bytes than asked: the first buffers are enough.
    static constexpr std::size_t kMaxBuffers = 8;
    template <class Buffer>
    struct Buffers {
        std::array<Buffer, kMaxBuffers> items;
        std::size_t count = 0;
        const Buffer* begin() const { return items.data(); }
        const Buffer* end() const { return items.data() + count; }
    };

    virtual ~ClientStream() = default;
    virtual Executor get_executor() = 0;
    // Cuts the connection: every pending operation completes with an error.
    virtual void close() = 0;
    // The TCP stream's own deadline, for what is written before the WebSocket's
    // timeouts take over.
    virtual void expires_after(std::chrono::milliseconds limit) = 0;
    virtual void expires_never() = 0;
    virtual void set_no_delay(beast::error_code& ec) = 0;

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, Buffers<asio::mutable_buffer> first) { start_read(first, std::move(handler)); }, token,
            first_buffers<asio::mutable_buffer>(buffers));
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return asio::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, Buffers<asio::const_buffer> first) { start_write(first, std::move(handler)); }, token,
            first_buffers<asio::const_buffer>(buffers));
    }
    // The WebSocket's closing handshake ends with this (found by argument-dependent lookup).
    template <class Handler>
    friend void async_teardown(beast::role_type role, ClientStream& stream, Handler&& handler) {
        stream.start_teardown(role, TeardownHandler(std::forward<Handler>(handler)));
    }
    // How Beast closes a stream's lowest layer (a WebSocket timeout, a failed handshake).
    friend void beast_close_socket(ClientStream& stream) { stream.close(); }

protected:
    virtual void start_read(const Buffers<asio::mutable_buffer>& buffers, TransferHandler handler) = 0;
    virtual void start_write(const Buffers<asio::const_buffer>& buffers, TransferHandler handler) = 0;
    virtual void start_teardown(beast::role_type role, TeardownHandler handler) = 0;

private:
    template <class Buffer, class Sequence>
    static Buffers<Buffer> first_buffers(const Sequence& sequence) {
        Buffers<Buffer> out;
        for (auto it = asio::buffer_sequence_begin(sequence); it != asio::buffer_sequence_end(sequence); ++it) {
            Buffer buffer(*it);
            if (buffer.size() == 0) continue;
            out.items[out.count++] = buffer;
            if (out.count == kMaxBuffers) break;
        }
        return out;
    }
};

namespace {

template <class Stream>
class ClientStreamOver final : public ClientStream {
public:
    explicit ClientStreamOver(Stream& stream) : stream_(stream) {}
    Executor get_executor() override { return stream_.get_executor(); }
    void close() override { beast::get_lowest_layer(stream_).close(); }
    void expires_after(std::chrono::milliseconds limit) override {
        beast::get_lowest_layer(stream_).expires_after(limit);
    }
    void expires_never() override { beast::get_lowest_layer(stream_).expires_never(); }
    void set_no_delay(beast::error_code& ec) override {
        beast::get_lowest_layer(stream_).socket().set_option(asio::ip::tcp::no_delay(true), ec);
    }

protected:
    void start_read(const Buffers<asio::mutable_buffer>& buffers, TransferHandler handler) override {
        stream_.async_read_some(buffers, on_strand(std::move(handler)));
    }
    void start_write(const Buffers<asio::const_buffer>& buffers, TransferHandler handler) override {
        stream_.async_write_some(buffers, on_strand(std::move(handler)));
    }
    void start_teardown(beast::role_type role, TeardownHandler handler) override {
        using websocket::async_teardown;
        async_teardown(role, stream_, on_strand(std::move(handler)));
    }

private:
    // Beast posts some completions through the handler's executor, which Asio 1.81
    // cannot do with a type-erased handler's own: the strand stands in (it is the
    // executor the handler came from).
    template <class Handler>
    auto on_strand(Handler handler) {
        return asio::bind_executor(stream_.get_executor(), std::move(handler));
    }

    Stream& stream_;
};

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

asio::awaitable<void, Executor> refuse(ClientStream& stream, const RelayOptions& options, int status,
                                       const std::string& reason, unsigned version) {
    Response r = text(status, reason + "\n");
    add_strict_security_headers(r);
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status), version};
    for (Header& h : r.headers) out.insert(h.name, h.value);
    out.body() = std::move(r.body);
    out.keep_alive(false);
    out.prepare_payload();
    stream.expires_after(options.write_timeout);
    co_await bhttp::async_write(stream, out, use_tuple);
}

// Both directions of one relayed connection and what the watchdog watches.
struct Pipe {
    const RelayOptions& options;
    websocket::stream<ClientStream&> ws;
    BrokerSocket broker;
    asio::steady_timer watchdog_timer;
    // When the write in progress began; nullopt while none is.
    std::optional<Clock::time_point> ws_write_since;
    std::optional<Clock::time_point> broker_write_since;
    // When one side ended: the other gets handshake_timeout to finish.
    std::optional<Clock::time_point> ending_since;
    bool closing_websocket = false;
    int pumps_running = 2;

    Pipe(const RelayOptions& o, ClientStream& stream, BrokerSocket socket)
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
    ClientStreamOver<Stream> client(stream);
    co_await serve_client(client, upgrade, request);
}

asio::awaitable<void, Executor> Relay::serve_client(ClientStream& stream,
                                                    const bhttp::request<bhttp::string_body>& upgrade,
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
    stream.expires_never();  // the WebSocket's own timeouts take over
    stream.set_no_delay(ec);
    if (!broker_.unix_socket) broker.set_option(asio::ip::tcp::no_delay(true), ec);

    Pipe pipe(options_, stream, std::move(broker));
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
