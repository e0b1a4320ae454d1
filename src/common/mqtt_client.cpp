#include "lampi/mqtt_client.h"

#include <mosquitto.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "lampi/errno_text.h"
#include "lampi/files.h"
#include "lampi/log.h"

namespace lampi {
namespace {

void init_library_once() {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

// Sleeps up to `duration`, waking early when `stop` is set.
void sleep_unless_stopped(std::chrono::milliseconds duration, const std::atomic<bool>& stop) {
    auto deadline = std::chrono::steady_clock::now() + duration;
    while (!stop.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
            std::chrono::milliseconds(50), duration));
    }
}

constexpr int kMaxDrainPasses = 1000;

bool socket_readable(mosquitto* handle) {
    pollfd fd{mosquitto_socket(handle), POLLIN, 0};
    return fd.fd >= 0 && ::poll(&fd, 1, 0) == 1 && (fd.revents & POLLIN);
}

}  // namespace

// Message ids the broker has acknowledged, for publish_confirmed(). An ack may
// arrive before the publisher starts waiting, so acks are kept until claimed;
// the oldest are dropped after 1024 newer acks (publications nobody waits for,
// QoS 0 ones included), long before libmosquitto reuses an id 65535 later.
struct MqttClient::Confirmations {
    static constexpr std::size_t kUnclaimedKept = 1024;
    std::mutex mutex;
    std::condition_variable acked_cv;
    std::unordered_set<int> acked;
    std::deque<int> acked_order;

    void acknowledge(int mid) {
        {
            std::lock_guard lock(mutex);
            if (acked.insert(mid).second) acked_order.push_back(mid);
            while (acked_order.size() > kUnclaimedKept) {
                acked.erase(acked_order.front());
                acked_order.pop_front();
            }
        }
        acked_cv.notify_all();
    }
    bool wait(int mid, std::chrono::steady_clock::time_point deadline) {
        std::unique_lock lock(mutex);
        bool done = acked_cv.wait_until(lock, deadline, [&] { return acked.count(mid) > 0; });
        acked.erase(mid);
        return done;
    }
};

std::string mqtt_error_text(int rc) {
    if (rc == MOSQ_ERR_ERRNO) return errno_text();
    return mosquitto_strerror(rc);
}

MqttClient::MqttClient(MqttOptions options)
    : confirmations_(std::make_unique<Confirmations>()), options_(std::move(options)) {
    init_library_once();
    handle_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(),
                            options_.clean_session, this);
}

MqttClient::~MqttClient() {
    if (background_) stop_background();
    if (handle_) mosquitto_destroy(handle_);
}

std::string MqttClient::endpoint() const { return fmt::format("{}:{}", options_.host, options_.port); }

Status MqttClient::configure() {
    if (!handle_) return Status::error("cannot create an MQTT client (out of memory or bad client id)");
    mosquitto_int_option(handle_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(handle_, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_max_inflight_messages_set(handle_, static_cast<unsigned>(options_.max_inflight));
    mosquitto_connect_callback_set(handle_, &MqttClient::handle_connect);
    mosquitto_disconnect_callback_set(handle_, &MqttClient::handle_disconnect);
    mosquitto_message_callback_set(handle_, &MqttClient::handle_message);
    mosquitto_publish_callback_set(handle_, &MqttClient::handle_publish);
    if (!options_.username.empty()) {
        int rc = mosquitto_username_pw_set(handle_, options_.username.c_str(),
                                           options_.password.empty() ? nullptr : options_.password.c_str());
        if (rc != MOSQ_ERR_SUCCESS) return Status::error("invalid MQTT username: " + mqtt_error_text(rc));
    }
    if (options_.will) {
        const MqttWill& will = *options_.will;
        int rc = mosquitto_will_set(handle_, will.topic.c_str(), static_cast<int>(will.payload.size()),
                                    will.payload.data(), will.qos, will.retain);
        if (rc != MOSQ_ERR_SUCCESS) return Status::error("invalid Last Will: " + mqtt_error_text(rc));
    }
    if (options_.tls) {
        const MqttTls& tls = *options_.tls;
        int rc = mosquitto_tls_set(handle_, tls.ca_file.c_str(), nullptr,
                                   tls.cert_file.empty() ? nullptr : tls.cert_file.c_str(),
                                   tls.key_file.empty() ? nullptr : tls.key_file.c_str(), nullptr);
        if (rc != MOSQ_ERR_SUCCESS) {
            return Status::error(fmt::format("TLS set-up failed ({}): check the CA, certificate and key files",
                                             mqtt_error_text(rc)));
        }
    }
    return Status::ok();
}

Status MqttClient::connect_once() {
    const char* bind = options_.bind_address.empty() ? nullptr : options_.bind_address.c_str();
    int rc = mosquitto_connect_bind(handle_, options_.host.c_str(), options_.port,
                                    options_.keepalive_seconds, bind);
    if (rc != MOSQ_ERR_SUCCESS) {
        return Status::error(fmt::format("cannot reach the MQTT broker at {}: {}", endpoint(), mqtt_error_text(rc)));
    }
    return Status::ok();
}

void MqttClient::run(const std::atomic<bool>& stop) {
    loop_thread_ = std::this_thread::get_id();
    if (Status s = configure(); !s) {
        log::error("{}", s.message());
        return;
    }
    auto backoff = options_.reconnect_min;
    bool socket_open = false;
    bool reported_unreachable = false;
    while (!stop.load()) {
        if (!socket_open) {
            Status s = connect_once();
            if (!s) {
                // One line per outage, not one per attempt.
                if (!reported_unreachable) log::warn("{}; retrying with backoff", s.message());
                reported_unreachable = true;
                sleep_unless_stopped(backoff, stop);
                backoff = std::min(backoff * 2, options_.reconnect_max);
                continue;
            }
            socket_open = true;
        }
        int rc = mosquitto_loop(handle_, 100, 1);
        // Drain what has already arrived before the batching hook runs, so a burst
        // of messages is committed once rather than once per message.
        for (int i = 0; rc == MOSQ_ERR_SUCCESS && i < kMaxDrainPasses && socket_readable(handle_); ++i) {
            rc = mosquitto_loop(handle_, 0, 1);
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            if (connected_) {
                backoff = options_.reconnect_min;
                reported_unreachable = false;
            }
            if (after_loop) after_loop();
            continue;
        }
        socket_open = false;
        if (connected_.exchange(false) && on_disconnect) on_disconnect(mqtt_error_text(rc));
        if (!reported_unreachable) log::warn("lost the MQTT broker at {}: {}", endpoint(), mqtt_error_text(rc));
        reported_unreachable = true;
        sleep_unless_stopped(backoff, stop);
        backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    if (socket_open) {
        if (connected_ && before_disconnect) before_disconnect();
        mosquitto_disconnect(handle_);
        // Let the DISCONNECT and any queued publications go out.
        for (int i = 0; i < 10 && mosquitto_want_write(handle_); ++i) mosquitto_loop(handle_, 10, 1);
    }
    connected_ = false;
}

Status MqttClient::start_background() {
    if (Status s = configure(); !s) return s;
    mosquitto_reconnect_delay_set(handle_, 1, 5, true);
    const char* bind = options_.bind_address.empty() ? nullptr : options_.bind_address.c_str();
    int rc = mosquitto_connect_bind_async(handle_, options_.host.c_str(), options_.port,
                                          options_.keepalive_seconds, bind);
    if (rc != MOSQ_ERR_SUCCESS) {
        return Status::error(fmt::format("cannot reach the MQTT broker at {}: {}", endpoint(), mqtt_error_text(rc)));
    }
    rc = mosquitto_loop_start(handle_);
    if (rc != MOSQ_ERR_SUCCESS) return Status::error("cannot start the MQTT network thread: " + mqtt_error_text(rc));
    background_ = true;
    return Status::ok();
}

void MqttClient::stop_background() {
    if (!background_) return;
    mosquitto_disconnect(handle_);
    mosquitto_loop_stop(handle_, false);
    background_ = false;
    connected_ = false;
}

Status MqttClient::publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
    return publish_with_id(topic, payload, qos, retain, nullptr);
}

Status MqttClient::publish_with_id(std::string_view topic, std::string_view payload, int qos, bool retain, int* mid) {
    std::string topic_copy(topic);
    int rc = mosquitto_publish(handle_, mid, topic_copy.c_str(), static_cast<int>(payload.size()), payload.data(), qos,
                               retain);
    if (rc != MOSQ_ERR_SUCCESS) {
        return Status::error(fmt::format("cannot publish to {}: {}", topic, mqtt_error_text(rc)));
    }
    return Status::ok();
}

Status MqttClient::publish_confirmed(std::string_view topic, std::string_view payload, int qos, bool retain,
                                     std::chrono::milliseconds deadline) {
    if (qos == 0) return publish(topic, payload, qos, retain);
    if (std::this_thread::get_id() == loop_thread_.load()) {
        return Status::error(
            fmt::format("cannot wait for the broker's acknowledgement of {} on the MQTT network "
                        "thread, which is the one that would receive it",
                        topic));
    }
    auto until = std::chrono::steady_clock::now() + deadline;
    int mid = 0;
    if (Status s = publish_with_id(topic, payload, qos, retain, &mid); !s) return s;
    // The id is known only once mosquitto_publish returns; its ack may already be in.
    if (!confirmations_->wait(mid, until)) {
        return Status::error(fmt::format("the MQTT broker at {} did not acknowledge the message on {} within {} ms",
                                         endpoint(), topic, deadline.count()));
    }
    return Status::ok();
}

Status MqttClient::subscribe(std::string_view pattern, int qos) {
    std::string pattern_copy(pattern);
    int rc = mosquitto_subscribe(handle_, nullptr, pattern_copy.c_str(), qos);
    if (rc != MOSQ_ERR_SUCCESS) {
        return Status::error(fmt::format("cannot subscribe to {}: {}", pattern, mqtt_error_text(rc)));
    }
    return Status::ok();
}

Status MqttClient::unsubscribe(std::string_view pattern) {
    std::string pattern_copy(pattern);
    int rc = mosquitto_unsubscribe(handle_, nullptr, pattern_copy.c_str());
    if (rc != MOSQ_ERR_SUCCESS) {
        return Status::error(fmt::format("cannot unsubscribe from {}: {}", pattern, mqtt_error_text(rc)));
    }
    return Status::ok();
}

void MqttClient::handle_connect(mosquitto*, void* self, int rc) {
    auto* client = static_cast<MqttClient*>(self);
    if (rc != 0) {
        log::error("the MQTT broker at {} refused the connection: {}", client->endpoint(),
                   mosquitto_connack_string(rc));
        if (client->on_disconnect) client->on_disconnect(mosquitto_connack_string(rc));
        return;
    }
    client->connected_ = true;
    // In start_background() mode this is libmosquitto's thread.
    client->loop_thread_ = std::this_thread::get_id();
    log::info("connected to the MQTT broker at {}", client->endpoint());
    if (client->on_connect) client->on_connect();
}

void MqttClient::handle_disconnect(mosquitto*, void* self, int rc) {
    auto* client = static_cast<MqttClient*>(self);
    if (client->connected_.exchange(false) && client->on_disconnect) {
        client->on_disconnect(rc == 0 ? "disconnected" : mqtt_error_text(rc));
    }
}

void MqttClient::handle_publish(mosquitto*, void* self, int mid) {
    static_cast<MqttClient*>(self)->confirmations_->acknowledge(mid);
}

void MqttClient::handle_message(mosquitto*, void* self, const mosquitto_message* msg) {
    auto* client = static_cast<MqttClient*>(self);
    if (!client->on_message) return;
    MqttMessage message;
    message.topic = msg->topic;
    message.payload.assign(static_cast<const char*>(msg->payload), static_cast<std::size_t>(msg->payloadlen));
    message.qos = msg->qos;
    message.retain = msg->retain;
    client->on_message(message);
}

Status read_password_file(MqttOptions& options, const std::string& password_file) {
    if (password_file.empty()) return Status::ok();
    if (options.username.empty()) return Status::invalid_argument("--password-file needs --username");
    Result<std::string> password = read_secret_file(password_file);
    if (!password) return password.status();
    options.password = *password;
    return Status::ok();
}

std::optional<int> read_password_file_at_start(MqttOptions& options, const std::string& password_file) {
    Status s = read_password_file(options, password_file);
    if (s) return std::nullopt;
    log::error("{}", s.message());
    return s.code() == StatusCode::invalid_argument ? 2 : 1;
}

}  // namespace lampi
