// Session: one MQTT connection driven from outside (libmosquitto's external-loop
// API), owned by exactly one Worker and touched only on that worker's thread.
//
// The session does no I/O on its own: the worker watches socket() in epoll and
// calls read()/write()/housekeeping(); libmosquitto then calls back into the
// SessionHandler (on that same thread). A session is created unconnected;
// start_connect() begins a non-blocking connect from the given source address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lampi/status.h"
#include "mqtt/client_options.h"

struct mosquitto;
struct mosquitto_message;

namespace lampi::load {

class Session;

class SessionHandler {
public:
    virtual ~SessionHandler() = default;
    // rc 0: CONNACK accepted; otherwise the broker's refusal (see connack_text()).
    virtual void on_connect(Session& session, int rc) = 0;
    // rc 0: we asked for it; otherwise the connection was lost or never came up.
    virtual void on_disconnect(Session& session, int rc) = 0;
    // QoS 0: written to the socket; QoS 1: PUBACK; QoS 2: PUBCOMP.
    virtual void on_publish(Session& /*session*/, int /*mid*/) {}
    virtual void on_message(Session& /*session*/, const mosquitto_message& /*message*/) {}
    virtual void on_subscribe(Session& /*session*/, int /*mid*/) {}
};

class Session {
public:
    enum class State { idle, connecting, connected, closed };

    // `index` is the caller's handle for the session (e.g. its slot in a vector).
    Session(std::size_t index, std::string client_id, SessionHandler& handler);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // TLS, credentials and the Last Will must be set before start_connect().
    Status configure(const ClientOptions& options, std::string_view cert_file = {}, std::string_view key_file = {});
    Status set_will(std::string_view topic, std::string_view payload, int qos, bool retain);
    Status start_connect(const ClientOptions& options, const std::string& bind_address);

    // Returns the libmosquitto error code (0 on success); `mid` receives the id.
    int publish(std::string_view topic, std::string_view payload, int qos, bool retain, int* mid = nullptr);
    int subscribe(std::string_view pattern, int qos, int* mid = nullptr);
    void disconnect();
    // Drops the connection at once, without DISCONNECT and without callbacks.
    void abort();

    // Driven by the worker.
    int socket() const;
    bool wants_write() const;
    void read();
    void write();
    void housekeeping();

    State state() const { return state_; }
    // True once the broker accepted this session's CONNECT.
    bool was_connected() const { return was_connected_; }
    std::size_t index() const { return index_; }
    const std::string& client_id() const { return client_id_; }
    std::int64_t connect_started_ns() const { return connect_started_ns_; }

    // Worker bookkeeping: the fd registered in epoll and whether EPOLLOUT is armed.
    int registered_fd = -1;
    bool write_armed = false;
    bool dirty = false;
    bool tracked = false;

private:
    static void handle_connect(mosquitto*, void* self, int rc);
    static void handle_disconnect(mosquitto*, void* self, int rc);
    static void handle_publish(mosquitto*, void* self, int mid);
    static void handle_message(mosquitto*, void* self, const mosquitto_message* message);
    static void handle_subscribe(mosquitto*, void* self, int mid, int count, const int* granted);

    std::size_t index_;
    std::string client_id_;
    SessionHandler& handler_;
    mosquitto* handle_ = nullptr;
    State state_ = State::idle;
    bool was_connected_ = false;
    std::int64_t connect_started_ns_ = 0;
};

// Words for a CONNACK return code ("not authorised", "bad user name or password").
std::string connack_text(int rc);

}  // namespace lampi::load
