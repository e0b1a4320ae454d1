// The Beast side of HttpServer. Each connection is one coroutine: read a
// request, hand it to the application, write the answer, repeat while both sides
// want keep-alive. The same coroutine template serves plain TCP and TLS streams.
#include "http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <map>
#include <vector>

#include "http/beast_streams.h"
#include "http/form.h"
#include "http/relay_session.h"
#include "lampi/log.h"

namespace lampi::cloud::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using StrandSocket = asio::basic_stream_socket<tcp, Executor>;

namespace {

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, TcpStream>;

// What stop() needs to reach a session: its strand, and whether it is waiting
// for the next request (then it can be closed without losing anything).
// `idle` and `evicted` are also read by the accept loop (to shed the oldest idle
// connection at the cap), hence atomic; `lowest` is touched only on the strand.
struct SessionControl {
    explicit SessionControl(Executor s) : strand(s) {}
    Executor strand;
    bool alive = true;
    std::atomic<bool> idle{true};
    std::atomic<bool> evicted{false};
    TcpStream* lowest = nullptr;
};

// Takes the body; the fields stay (a WebSocket upgrade still needs them).
Request to_request(bhttp::request<bhttp::string_body>& in, const std::string& remote, bool secure,
                   std::string& error) {
    Request out;
    out.method = std::string(in.method_string());
    out.target = std::string(in.target());
    auto target = parse_target(out.target);
    if (!target) {
        error = target.status().message();
        return out;
    }
    out.path = std::move(target.value().path);
    out.query = std::move(target.value().query);
    out.headers.reserve(16);
    for (const auto& field : in) out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    out.body = std::move(in.body());
    out.remote_address = remote;
    out.client_address = remote;
    out.secure = secure;
    return out;
}

bhttp::response<bhttp::string_body> to_beast(Response&& in, unsigned version, bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(in.status), version};
    for (Header& h : in.headers) out.insert(h.name, h.value);
    out.body() = std::move(in.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
}

}  // namespace

struct HttpServer::Impl {
    ServerOptions options;
    RequestHandler handler;
    asio::io_context ioc;
    // The acceptor and the signal set are only touched on this strand.
    Executor accept_strand = asio::make_strand(ioc);
    tcp::acceptor acceptor{accept_strand};
    std::unique_ptr<asio::ssl::context> tls;
    std::unique_ptr<Relay> relay;
    asio::signal_set signals{accept_strand};
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connections{0};
    std::atomic<std::uint64_t> evictions{0};
    std::mutex sessions_mutex;
    // Ordered by id, so the oldest idle connection is found first.
    std::map<std::uint64_t, std::shared_ptr<SessionControl>> sessions;
    std::uint64_t next_session = 0;
    int bound_port = 0;

    Impl(ServerOptions o, RequestHandler h) : options(std::move(o)), handler(std::move(h)) {}

    Response handle(Request& request) {
        try {
            return handler(request);
        } catch (const std::exception& e) {
            log::error("{} {}: unhandled error: {}", request.method, request.path, e.what());
            return text(500, "internal error; see the server log\n");
        }
    }

    // Waits, without blocking this thread, for an answer computed elsewhere.
    asio::awaitable<Response, Executor> finish_elsewhere(std::function<void(std::function<void(Response)>)> start) {
        struct Waiter {
            explicit Waiter(Executor e) : strand(e), timer(e) {}
            Executor strand;
            asio::steady_timer timer;
            std::optional<Response> result;
        };
        auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
        waiter->timer.expires_at(asio::steady_timer::time_point::max());
        start([waiter](Response r) {
            asio::post(waiter->strand, [waiter, r = std::move(r)]() mutable {
                waiter->result = std::move(r);
                waiter->timer.cancel();
            });
        });
        // The completion runs on this strand, so it cannot slip in between the
        // check and the wait.
        while (!waiter->result) co_await waiter->timer.async_wait(use_tuple);
        co_return std::move(*waiter->result);
    }

    template <class Stream>
    asio::awaitable<void, Executor> serve(Stream& stream, SessionControl& control, std::string remote) {
        TcpStream& lowest = beast::get_lowest_layer(stream);
        beast::flat_buffer buffer;
        for (;;) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
            parser.body_limit(options.body_limit);
            // Bytes of the next request already read (pipelined, or sent right
            // after the answer) make it a request in flight: a stop lets it finish.
            control.idle = buffer.size() == 0;
            if (control.evicted || (stopping && control.idle)) co_return;
            if (buffer.size() == 0) {
                // Idle: only the wait for the first byte gets the long deadline,
                // and a short one while connections are scarce.
                lowest.expires_after(under_pressure() ? options.idle_timeout_under_pressure : options.idle_timeout);
                auto [fec, fn] = co_await stream.async_read_some(buffer.prepare(1024), use_tuple);
                buffer.commit(fn);
                if (fec && fn == 0) break;
            }
            control.idle = false;
            // basic_stream deadlines are absolute: this one covers every read of the
            // header however slowly its bytes arrive.
            lowest.expires_after(options.header_timeout);
            auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
            beast::error_code ec = hec;
            if (!ec && !parser.is_done()) {
                lowest.expires_after(options.read_timeout);
                auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
                ec = bec;
            }
            if (ec) {
                int status = 0;
                std::string why;
                if (ec == bhttp::error::body_limit) {
                    status = 413;
                    why = fmt::format("request body larger than {} bytes\n", options.body_limit);
                } else if (ec == bhttp::error::header_limit) {
                    status = 431;
                    why = fmt::format("request header larger than {} bytes\n", options.header_limit);
                } else if (ec.category() == make_error_code(bhttp::error::bad_method).category() &&
                           ec != bhttp::error::end_of_stream &&
                           ec != bhttp::error::partial_message) {
                    status = 400;
                    why = fmt::format("malformed HTTP request: {}\n", ec.message());
                }
                if (status != 0) {
                    Response r = text(status, why);
                    add_strict_security_headers(r);
                    auto out = to_beast(std::move(r), 11, false);
                    lowest.expires_after(options.write_timeout);
                    co_await bhttp::async_write(stream, out, use_tuple);
                }
                break;
            }
            auto message = parser.release();
            unsigned version = message.version();
            bool keep_alive = message.keep_alive();
            std::string target_error;
            Request request = to_request(message, remote, kIsTls<Stream>, target_error);
            if (relay && target_error.empty() && is_relay_request(request, relay->options())) {
                // The connection now belongs to the relay; stop() may cut it like an idle one.
                control.idle = true;
                co_await relay->serve(stream, std::move(message), request);
                break;
            }
            Response response = target_error.empty() ? handle(request) : text(400, target_error + "\n");
            if (response.deferred) response = co_await finish_elsewhere(std::move(response.deferred));
            if (!target_error.empty()) add_strict_security_headers(response);
            keep_alive = keep_alive && !response.close && !stopping;
            auto out = to_beast(std::move(response), version, keep_alive);
            lowest.expires_after(options.write_timeout);
            auto [wec, wn] = co_await bhttp::async_write(stream, out, use_tuple);
            if (wec || !keep_alive) break;
        }
        beast::error_code ignored;
        if constexpr (kIsTls<Stream>) {
            lowest.expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(use_tuple);
        } else {
            lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
    }

    asio::awaitable<void, Executor> session(StrandSocket socket) {
        Executor strand = co_await asio::this_coro::executor;
        beast::error_code ec;
        auto endpoint = socket.remote_endpoint(ec);
        std::string remote = ec ? std::string("?") : endpoint.address().to_string();
        auto control = std::make_shared<SessionControl>(strand);
        std::uint64_t id;
        {
            std::lock_guard lock(sessions_mutex);
            id = next_session++;
            sessions.emplace(id, control);
        }
        TcpStream plain(std::move(socket));
        if (tls) {
            TlsStream stream(std::move(plain), *tls);
            control->lowest = &beast::get_lowest_layer(stream);
            // Until its handshake is done a connection has asked for nothing: it
            // counts as idle, so a flood of silent TLS sockets can be shed too.
            beast::get_lowest_layer(stream).expires_after(under_pressure() ? options.idle_timeout_under_pressure
                                                                           : options.read_timeout);
            auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
            if (!hec && !control->evicted) co_await serve(stream, *control, remote);
        } else {
            control->lowest = &plain;
            co_await serve(plain, *control, remote);
        }
        control->alive = false;
        control->lowest = nullptr;
        {
            std::lock_guard lock(sessions_mutex);
            sessions.erase(id);
        }
        --connections;
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            Executor strand = asio::make_strand(ioc);
            auto [ec, socket] = co_await acceptor.async_accept(strand, asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (stopping || ec == asio::error::operation_aborted) co_return;
                log::warn("accept failed: {}", ec.message());
                if (ec == asio::error::no_descriptors) {
                    // Out of file descriptors: free one, and do not spin.
                    evict_oldest_idle();
                    asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
                    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
                }
                continue;
            }
            // At the cap the oldest idle connection makes room, so silent sockets
            // can never lock out someone who has a request to make.
            if (connections.load() >= options.max_connections && !evict_oldest_idle()) {
                log::warn("refusing a connection: {} open, none idle (--max-connections)", connections.load());
                continue;  // the socket closes as it goes out of scope
            }
            ++connections;
            asio::co_spawn(strand, session(std::move(socket)), asio::detached);
        }
    }

    bool under_pressure() const { return connections.load() >= options.max_connections / 2; }

    // Closes the oldest connection that is waiting for a request (or for its TLS
    // handshake); false when every connection is busy with one.
    bool evict_oldest_idle() {
        std::shared_ptr<SessionControl> victim;
        {
            std::lock_guard lock(sessions_mutex);
            for (auto& [id, c] : sessions) {
                if (c->idle && !c->evicted) {
                    victim = c;
                    break;
                }
            }
        }
        if (!victim) return false;
        victim->evicted = true;
        ++evictions;
        asio::post(victim->strand, [victim] {
            if (victim->alive && victim->idle && victim->lowest) victim->lowest->cancel();
        });
        return true;
    }

    // Waits for the open sessions to finish, then ends run(); requests still
    // running after the drain time are cut off.
    asio::awaitable<void> drain() {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
        while (connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
            timer.expires_after(std::chrono::milliseconds(20));
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        if (connections.load() > 0) log::warn("{} connection(s) did not finish in time", connections.load());
        ioc.stop();
    }

    void begin_stop() {
        if (stopping.exchange(true)) return;
        log::info("stopping: {} connection(s) open", connections.load());
        asio::post(accept_strand, [this] {
            beast::error_code ignored;
            acceptor.close(ignored);
            signals.cancel(ignored);
        });
        std::vector<std::shared_ptr<SessionControl>> open;
        {
            std::lock_guard lock(sessions_mutex);
            for (auto& [id, c] : sessions) open.push_back(c);
        }
        for (auto& c : open) {
            asio::post(c->strand, [c] {
                if (c->alive && c->idle && c->lowest) c->lowest->cancel();
            });
        }
        asio::co_spawn(ioc, drain(), asio::detached);
    }
};

HttpServer::HttpServer(ServerOptions options, RequestHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::listen() {
    Impl& s = *impl_;
    beast::error_code ec;
    if (!s.options.tls_cert_file.empty() || !s.options.tls_key_file.empty()) {
        if (s.options.tls_cert_file.empty() || s.options.tls_key_file.empty())
            return Status::error("TLS needs both a certificate and a key file");
        s.tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
        s.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1);
        s.tls->use_certificate_chain_file(s.options.tls_cert_file, ec);
        if (ec) return Status::error(fmt::format("cannot load TLS certificate {}: {}", s.options.tls_cert_file, ec.message()));
        s.tls->use_private_key_file(s.options.tls_key_file, asio::ssl::context::pem, ec);
        if (ec) return Status::error(fmt::format("cannot load TLS key {}: {}", s.options.tls_key_file, ec.message()));
    }
    if (s.options.relay.enabled()) {
        auto broker = parse_broker_endpoint(s.options.relay.broker);
        if (!broker) return broker.status();
        s.relay = std::make_unique<Relay>(s.options.relay, std::move(broker).value());
    }
    auto address = asio::ip::make_address(s.options.address, ec);
    if (ec) return Status::error(fmt::format("'{}' is not an IP address to listen on", s.options.address));
    tcp::endpoint endpoint(address, static_cast<unsigned short>(s.options.port));
    // Taken before the port opens, so a SIGTERM from whoever saw the port open
    // is held for run() and ends the server cleanly, not by the signal's default.
    if (s.options.handle_signals) {
        s.signals.add(SIGINT);
        s.signals.add(SIGTERM);
    }
    s.acceptor.open(endpoint.protocol(), ec);
    if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(endpoint, ec);
    if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return Status::error(fmt::format("cannot listen on {}:{}: {} (is another server using that port?)",
                                         s.options.address, s.options.port, ec.message()));
    s.bound_port = s.acceptor.local_endpoint().port();
    return Status::ok();
}

int HttpServer::port() const { return impl_->bound_port; }

void HttpServer::run() {
    Impl& s = *impl_;
    if (s.options.handle_signals) {
        s.signals.async_wait([&s](beast::error_code ec, int signal) {
            if (ec) return;
            log::info("signal {}: shutting down", signal);
            s.begin_stop();
        });
    }
    asio::co_spawn(s.accept_strand, s.accept_loop(), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < s.options.threads; ++i) threads.emplace_back([&s] { s.ioc.run(); });
    s.ioc.run();
    for (auto& t : threads) t.join();
}

void HttpServer::stop() { impl_->begin_stop(); }

}  // namespace lampi::cloud::http
