#include "ws_client.h"

#include "mqtt/codec.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace lampi::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

struct WsClient::Impl {
    asio::io_context ioc;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    websocket::stream<asio::ssl::stream<tcp::socket>> ws{ioc, tls};
    std::chrono::milliseconds timeout{5000};
    std::string subprotocol;
    beast::flat_buffer incoming;
    bool read_pending = false;
    bool read_done = false;
    beast::error_code read_error;

    // Runs the io_context until `done` or the deadline.
    bool run_until(const bool& done, std::chrono::milliseconds limit) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (!done) {
            auto left = deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::steady_clock::duration::zero()) return false;
            if (ioc.stopped()) ioc.restart();
            ioc.run_one_for(left);
        }
        return true;
    }
    bool write(std::string_view bytes, bool binary, std::string& error) {
        ws.binary(binary);
        bool done = false;
        beast::error_code ec;
        ws.async_write(asio::buffer(bytes.data(), bytes.size()), [&](beast::error_code e, std::size_t) {
            ec = e;
            done = true;
        });
        if (!run_until(done, timeout)) {
            error = "write timed out";
            beast::get_lowest_layer(ws).close();
            run_until(done, std::chrono::seconds(1));
            return false;
        }
        if (ec) error = ec.message();
        return !ec;
    }
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() { close(); }

std::unique_ptr<WsClient> WsClient::connect(const WsOptions& options, std::string& error, int& http_status) {
    http_status = 0;
    auto impl = std::make_unique<Impl>();
    Impl& s = *impl;
    s.timeout = options.timeout;
    beast::error_code ec;
    if (!options.ca_file.empty()) {
        s.tls.load_verify_file(options.ca_file, ec);
        s.ws.next_layer().set_verify_mode(asio::ssl::verify_peer);
        s.ws.next_layer().set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    }
    if (ec) {
        error = "cannot load " + options.ca_file + ": " + ec.message();
        return nullptr;
    }
    bool done = false;
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(options.port));
    beast::get_lowest_layer(s.ws).async_connect(endpoint, [&](beast::error_code e) {
        ec = e;
        done = true;
    });
    if (!s.run_until(done, options.timeout) || ec) {
        error = "TCP connect: " + (ec ? ec.message() : std::string("timed out"));
        return nullptr;
    }
    done = false;
    s.ws.next_layer().async_handshake(asio::ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
    });
    if (!s.run_until(done, options.timeout) || ec) {
        error = "TLS handshake: " + (ec ? ec.message() : std::string("timed out"));
        return nullptr;
    }
    std::string protocols;
    for (const std::string& p : options.subprotocols) protocols += (protocols.empty() ? "" : ", ") + p;
    s.ws.set_option(websocket::stream_base::decorator([&options, protocols](websocket::request_type& request) {
        if (options.origin) request.set(beast::http::field::origin, *options.origin);
        if (!protocols.empty()) request.set(beast::http::field::sec_websocket_protocol, protocols);
    }));
    websocket::response_type response;
    done = false;
    std::string host = options.host_header + ":" + std::to_string(options.port);
    s.ws.async_handshake(response, host, options.target, [&](beast::error_code e) {
        ec = e;
        done = true;
    });
    if (!s.run_until(done, options.timeout)) {
        error = "WebSocket handshake timed out";
        return nullptr;
    }
    if (ec) {
        http_status = response.result_int();
        error = "WebSocket handshake: " + ec.message() + " (HTTP " + std::to_string(http_status) + ")";
        return nullptr;
    }
    s.subprotocol = std::string(response[beast::http::field::sec_websocket_protocol]);
    return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

std::string WsClient::subprotocol() const { return impl_->subprotocol; }

bool WsClient::send_binary(std::string_view bytes, std::string& error) { return impl_->write(bytes, true, error); }
bool WsClient::send_text(std::string_view text, std::string& error) { return impl_->write(text, false, error); }

std::optional<std::string> WsClient::receive(std::chrono::milliseconds timeout, std::string& error) {
    Impl& s = *impl_;
    if (!s.read_pending) {
        s.read_pending = true;
        s.read_done = false;
        s.ws.async_read(s.incoming, [&s](beast::error_code e, std::size_t) {
            s.read_error = e;
            s.read_done = true;
        });
    }
    if (!s.run_until(s.read_done, timeout)) {
        error = "timed out";
        return std::nullopt;  // the read stays pending for the next call
    }
    s.read_pending = false;
    if (s.read_error) {
        error = s.read_error == websocket::error::closed
                    ? "closed (code " + std::to_string(close_code()) + ")"
                    : s.read_error.message() + " (close code " + std::to_string(close_code()) + ")";
        return std::nullopt;
    }
    std::string out = beast::buffers_to_string(s.incoming.data());
    s.incoming.consume(s.incoming.size());
    return out;
}

int WsClient::close_code() const { return static_cast<int>(impl_->ws.reason().code); }

void WsClient::close() {
    if (!impl_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(impl_->ws).close(ignored);
    bool done = !impl_->read_pending;
    if (impl_->read_pending) {
        impl_->read_pending = false;
        impl_->run_until(impl_->read_done, std::chrono::seconds(1));
    }
    (void)done;
}

// ---- MQTT (packets from lampi-load's codec) ------------------------------------

std::string ws_mqtt_connect(const std::string& client_id, const std::string& username, const std::string& password,
                            int keepalive_seconds) {
    load::mqtt::Connect connect;
    connect.client_id = client_id;
    connect.keepalive_s = static_cast<std::uint16_t>(keepalive_seconds);
    connect.username = username;
    connect.password = password;
    std::string out;
    load::mqtt::encode_connect(out, connect);
    return out;
}

std::string ws_mqtt_subscribe(std::uint16_t packet_id, const std::string& filter, int qos) {
    std::string out;
    load::mqtt::encode_subscribe(out, packet_id, filter, qos);
    return out;
}

std::string ws_mqtt_publish(const std::string& topic, const std::string& payload, int qos, std::uint16_t packet_id) {
    std::string out;
    load::mqtt::encode_publish(out, topic, payload, qos, false, packet_id);
    return out;
}

std::optional<MqttOverWs::Packet> MqttOverWs::next(std::chrono::milliseconds timeout, std::string& error) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        load::mqtt::Decoded decoded = load::mqtt::decode(pending_);
        if (decoded.status == load::mqtt::DecodeStatus::malformed) {
            error = std::string("a malformed MQTT packet from the relay: ") + decoded.error;
            return std::nullopt;
        }
        if (decoded.status == load::mqtt::DecodeStatus::ok) {
            const load::mqtt::Packet& p = decoded.packet;
            Packet packet{static_cast<int>(p.type), p.type == load::mqtt::PacketType::connack ? p.return_code : -1,
                          std::string(p.granted), std::string(p.topic), std::string(p.payload)};
            pending_.erase(0, decoded.size);
            return packet;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            error = "timed out waiting for an MQTT packet";
            return std::nullopt;
        }
        auto message = ws_.receive(left, error);
        if (!message) return std::nullopt;
        pending_ += *message;
    }
}

std::optional<MqttOverWs::Packet> MqttOverWs::wait_for(int type, std::chrono::milliseconds timeout,
                                                       std::string& error) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto p = next(std::max(left, std::chrono::milliseconds(1)), error);
        if (!p || p->type == type) return p;
    }
}

}  // namespace lampi::testing
