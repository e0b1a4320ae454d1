// Session: one MQTT 3.1.1 client connection, owned by exactly one Worker and
// touched only on that worker's thread.
//
// The session does no I/O on its own: the worker watches socket() in epoll and
// calls read()/write(), flush() once per loop turn for sessions that queued
// packets, and housekeeping() (keepalive) once a second. Packets are encoded into
// one output buffer and written together; a read takes everything the socket
// holds and decodes every whole packet in it (mqtt/codec.h). So a busy
// connection costs a few system calls per loop turn, not several per message.
// A session is created unconnected; start_connect() begins a non-blocking
// connect, and a closed session may be started again (reconnects).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"
#include "mqtt/client_options.h"
#include "mqtt/stream.h"
#include "run/connection.h"

namespace lampi::load {

namespace mqtt {
struct Packet;
}

class Session;

// A received PUBLISH; the views are valid only during on_message().
// The fields of codec.h's Will, apart: this one is received, that one sent.
struct Message {
    std::string_view topic;
    std::string_view payload;
    int qos = 0;
    bool retain = false;
};

class SessionHandler {
public:
    virtual ~SessionHandler() = default;
    // rc 0: CONNACK accepted; otherwise the broker's refusal (see connack_text()),
    // after which the session closes without on_disconnect().
    virtual void on_connect(Session& session, int rc) = 0;
    // `why` is ok when we asked for it (disconnect()); otherwise it says why the
    // connection was lost or never came up. The session is closed by then.
    virtual void on_disconnect(Session& session, const Status& why) = 0;
    // QoS 0: written to the socket; QoS 1: PUBACK; QoS 2: PUBCOMP.
    virtual void on_publish(Session& /*session*/, int /*mid*/) {}
    virtual void on_message(Session& /*session*/, const Message& /*message*/) {}
    // `granted` is false when the broker refused the subscription (SUBACK 0x80).
    virtual void on_subscribe(Session& /*session*/, int /*mid*/, bool /*granted*/) {}
};

class Session : public Connection {
public:
    enum class State { idle, connecting, connected, closed };

    // `index` is the caller's handle for the session (e.g. its slot in a vector).
    Session(std::size_t index, std::string client_id, SessionHandler& handler);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Before start_connect(). `options` must outlive the session; `tls` is null
    // for plain TCP. The client certificate overrides the context's for this
    // session only (a lamp's own certificate).
    void configure(const ClientOptions& options, std::shared_ptr<TlsContext> tls);
    void set_client_certificate(std::string cert_file, std::string key_file);
    void set_will(std::string topic, std::string payload, int qos, bool retain);
    Status start_connect(const std::string& bind_address);

    // False when the session is not connected (nothing is queued then).
    bool publish(std::string_view topic, std::string_view payload, int qos, bool retain, int* mid = nullptr);
    bool subscribe(std::string_view filter, int qos, int* mid = nullptr);
    // Sends DISCONNECT once everything queued is written, then closes
    // (on_disconnect with an ok status). Before CONNACK it just closes.
    void disconnect();
    // Drops the connection at once, without DISCONNECT and without callbacks.
    void abort();

    // Driven by the worker (run/connection.h).
    int socket() const override { return stream_.fd(); }
    bool wants_write() const override;
    void read() override;
    void write() override;
    void flush() override;
    void housekeeping(std::int64_t now) override;

    State state() const;
    // True once the broker accepted this connection attempt's CONNECT.
    bool was_connected() const { return was_connected_; }
    std::size_t index() const { return index_; }
    const std::string& client_id() const { return client_id_; }
    std::int64_t connect_started_ns() const { return connect_started_ns_; }

private:
    enum class Phase { idle, opening, awaiting_connack, connected, disconnecting, closed };

    void advance();
    void take_input(std::string_view data);
    // Handles one packet; false when the session closed while handling it.
    bool dispatch(const mqtt::Packet& packet);
    void lose(std::string why);
    void close_quietly();
    void confirm_written();
    std::uint16_t next_packet_id();

    std::size_t index_;
    std::string client_id_;
    SessionHandler& handler_;
    const ClientOptions* options_ = nullptr;
    std::shared_ptr<TlsContext> tls_;
    std::string cert_file_, key_file_;
    std::string will_topic_, will_payload_;
    int will_qos_ = -1;  // no Will
    bool will_retain_ = false;

    Stream stream_;
    Phase phase_ = Phase::idle;
    bool was_connected_ = false;
    std::int64_t connect_started_ns_ = 0;
    std::uint16_t last_packet_id_ = 0;

    std::string out_;               // encoded packets not yet written
    std::size_t out_pos_ = 0;       // how much of out_ is written
    std::uint64_t written_total_ = 0;  // bytes written since the connect
    // QoS 0 publishes confirm once written: (stream offset of their end, mid).
    std::vector<std::pair<std::uint64_t, int>> qos0_ends_;
    std::size_t qos0_head_ = 0;
    std::string in_;                // the start of a packet that has not fully arrived
    std::vector<std::uint16_t> awaiting_pubrel_;  // incoming QoS 2, delivered once

    // Bumped whenever the connection closes, so code that ran a callback can
    // tell that the connection it was working on is gone.
    std::uint64_t generation_ = 0;
    bool disconnect_queued_ = false;
    std::int64_t last_write_ns_ = 0;
    std::int64_t ping_sent_ns_ = 0;
    bool ping_outstanding_ = false;
};

// Words for a CONNACK return code ("not authorised", "bad user name or password").
std::string connack_text(int rc);

}  // namespace lampi::load
