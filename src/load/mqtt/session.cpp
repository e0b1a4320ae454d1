#include "mqtt/session.h"

#include <fmt/core.h>
#include <mosquitto.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "run/clock.h"

namespace lampi::load {
namespace {

void init_library_once() {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

std::string connack_text(int rc) { return mosquitto_connack_string(rc); }

Session::Session(std::size_t index, std::string client_id, SessionHandler& handler)
    : index_(index), client_id_(std::move(client_id)), handler_(handler) {
    init_library_once();
}

Session::~Session() {
    if (handle_) mosquitto_destroy(handle_);
}

Status Session::configure(const ClientOptions& options, std::string_view cert_file, std::string_view key_file) {
    // Created only now: each libmosquitto handle holds a socketpair (two descriptors)
    // from birth, so thousands of not-yet-connected sessions would exhaust the limit.
    const char* id = client_id_.empty() ? nullptr : client_id_.c_str();
    if (!handle_) {
        handle_ = mosquitto_new(id, options.clean_session, this);
    } else {
        mosquitto_reinitialise(handle_, id, options.clean_session, this);
    }
    if (!handle_) {
        return Status::error(fmt::format("cannot create an MQTT client: {}: raise the open-file limit (ulimit -n)",
                                         std::strerror(errno)));
    }
    mosquitto_int_option(handle_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    // Without it Nagle holds small packets back until the peer's delayed ACK
    // (~40 ms on Linux), which would be measured as latency that no lamp sees.
    mosquitto_int_option(handle_, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(handle_, &Session::handle_connect);
    mosquitto_disconnect_callback_set(handle_, &Session::handle_disconnect);
    mosquitto_publish_callback_set(handle_, &Session::handle_publish);
    mosquitto_message_callback_set(handle_, &Session::handle_message);
    mosquitto_subscribe_callback_set(handle_, &Session::handle_subscribe);
    if (!options.username.empty()) {
        int rc = mosquitto_username_pw_set(handle_, options.username.c_str(),
                                           options.password.empty() ? nullptr : options.password.c_str());
        if (rc != MOSQ_ERR_SUCCESS) return Status::error(fmt::format("user name rejected: {}", mosquitto_strerror(rc)));
    }
    if (options.tls) {
        std::string cert(cert_file.empty() ? options.tls->cert_file : std::string(cert_file));
        std::string key(key_file.empty() ? options.tls->key_file : std::string(key_file));
        int rc = mosquitto_tls_set(handle_, options.tls->ca_file.empty() ? nullptr : options.tls->ca_file.c_str(),
                                   nullptr, cert.empty() ? nullptr : cert.c_str(), key.empty() ? nullptr : key.c_str(),
                                   nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            return Status::error(fmt::format("TLS setup failed ({}): check that --cafile, --cert and --key name "
                                             "readable PEM files (CA '{}', cert '{}', key '{}')",
                                             mosquitto_strerror(rc), options.tls->ca_file, cert, key));
        }
        if (options.tls_insecure) mosquitto_tls_insecure_set(handle_, true);
    }
    return Status::ok();
}

Status Session::set_will(std::string_view topic, std::string_view payload, int qos, bool retain) {
    std::string t(topic);
    int rc = mosquitto_will_set(handle_, t.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
    if (rc != MOSQ_ERR_SUCCESS) return Status::error(fmt::format("cannot set the Last Will on '{}': {}", t, mosquitto_strerror(rc)));
    return Status::ok();
}

Status Session::start_connect(const ClientOptions& options, const std::string& bind_address) {
    state_ = State::connecting;
    connect_started_ns_ = now_ns();
    errno = 0;
    int rc = mosquitto_connect_bind_async(handle_, options.host.c_str(), options.port, options.keepalive_seconds,
                                          bind_address.empty() ? nullptr : bind_address.c_str());
    if (rc == MOSQ_ERR_SUCCESS) return Status::ok();
    state_ = State::closed;
    std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
    return Status::error(fmt::format("cannot connect to {}:{}{}: {}: is the broker running and listening there "
                                     "(check --host and --port)?",
                                     options.host, options.port, bind_address.empty() ? "" : " from " + bind_address, why));
}

int Session::publish(std::string_view topic, std::string_view payload, int qos, bool retain, int* mid) {
    // libmosquitto wants a NUL-terminated topic; topics are short, so a copy is cheap.
    std::string t(topic);
    return mosquitto_publish(handle_, mid, t.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
}

int Session::subscribe(std::string_view pattern, int qos, int* mid) {
    std::string p(pattern);
    return mosquitto_subscribe(handle_, mid, p.c_str(), qos);
}

void Session::disconnect() {
    if (handle_ && (state_ == State::connected || state_ == State::connecting)) mosquitto_disconnect(handle_);
}

void Session::abort() {
    if (!handle_) return;
    // Re-initialising closes the socket; the client id and callbacks are set again
    // by configure() should the session ever be reused.
    mosquitto_reinitialise(handle_, client_id_.empty() ? nullptr : client_id_.c_str(), true, this);
    state_ = State::closed;
}

int Session::socket() const { return handle_ ? mosquitto_socket(handle_) : -1; }
bool Session::wants_write() const { return handle_ && mosquitto_want_write(handle_); }
void Session::read() {
    if (handle_) mosquitto_loop_read(handle_, 100);
}
void Session::write() {
    if (handle_) mosquitto_loop_write(handle_, 100);
}
void Session::housekeeping() {
    if (handle_) mosquitto_loop_misc(handle_);
}

void Session::handle_connect(mosquitto*, void* self, int rc) {
    auto* s = static_cast<Session*>(self);
    if (rc == 0) {
        s->state_ = State::connected;
        s->was_connected_ = true;
    }
    s->handler_.on_connect(*s, rc);
    if (rc != 0) {
        // A refused CONNECT leaves the socket open; close it so the worker forgets it.
        s->state_ = State::closed;
        mosquitto_disconnect(s->handle_);
    }
}

void Session::handle_disconnect(mosquitto*, void* self, int rc) {
    auto* s = static_cast<Session*>(self);
    if (s->state_ == State::closed) return;  // a refusal was already reported by handle_connect
    s->state_ = State::closed;
    s->handler_.on_disconnect(*s, rc);
}

void Session::handle_publish(mosquitto*, void* self, int mid) {
    auto* s = static_cast<Session*>(self);
    s->handler_.on_publish(*s, mid);
}

void Session::handle_message(mosquitto*, void* self, const mosquitto_message* message) {
    auto* s = static_cast<Session*>(self);
    s->handler_.on_message(*s, *message);
}

void Session::handle_subscribe(mosquitto*, void* self, int mid, int, const int*) {
    auto* s = static_cast<Session*>(self);
    s->handler_.on_subscribe(*s, mid);
}

}  // namespace lampi::load
