// MqttClient: the thin wrapper over libmosquitto that every LAMPi program uses.
//
// It owns one libmosquitto handle. Either the caller drives it with run() on its
// own thread (reconnecting with exponential backoff until asked to stop), or
// start_background() runs libmosquitto's own network thread. Callbacks run on the
// thread that drives the loop. publish() and subscribe() may be called from any
// thread. Errors come back as a Status with libmosquitto's reason in words.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "lampi/status.h"

struct mosquitto;
struct mosquitto_message;

namespace lampi {

// lampi-load's codec has a Will of its own, of views (src/load/README.md: its own client).
struct MqttWill {
    std::string topic;
    std::string payload;
    int qos = 1;
    bool retain = true;
};

struct MqttTls {
    std::string ca_file;
    std::string cert_file;  // client certificate, for mutual TLS
    std::string key_file;
};

struct MqttOptions {
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string client_id;  // empty: the broker picks one (needs clean_session)
    int keepalive_seconds = 30;
    bool clean_session = true;
    std::string username;
    std::string password;
    std::optional<MqttWill> will;
    std::optional<MqttTls> tls;
    std::string bind_address;  // local source address, empty for any
    // QoS 1/2 messages in flight towards the broker; 0 for no limit.
    int max_inflight = 20;
    std::chrono::milliseconds reconnect_min{200};
    std::chrono::milliseconds reconnect_max{10'000};
};

// The fields of MqttWill, apart: a will is sent for us, a message received, and their
// defaults differ. lampi-load's Message is the same, of views into its buffer.
struct MqttMessage {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
};

// Not copyable: it owns its libmosquitto handle and the thread that may drive it.
class MqttClient {
public:
    explicit MqttClient(MqttOptions options);
    ~MqttClient();
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    // Called after every successful (re)connection: subscribe and re-publish here.
    std::function<void()> on_connect;
    // Called when an established connection is lost or refused.
    std::function<void(std::string_view reason)> on_disconnect;
    std::function<void(const MqttMessage&)> on_message;
    // Called by run() after each pass of the network loop (batching hook).
    std::function<void()> after_loop;
    // Called by run() just before it sends DISCONNECT on a clean stop.
    std::function<void()> before_disconnect;

    // Drives the connection on the calling thread until `stop` becomes true,
    // reconnecting with backoff. Returns after a clean DISCONNECT.
    void run(const std::atomic<bool>& stop);

    // libmosquitto's own network thread; it reconnects by itself.
    Status start_background();
    void stop_background();

    Status publish(std::string_view topic, std::string_view payload, int qos, bool retain);
    // Publishes and returns only once the broker has the message (PUBACK for
    // QoS 1, PUBCOMP for QoS 2; QoS 0 returns at once), or an error after
    // `deadline`. Use it before telling anyone a message was sent: a message
    // merely queued in this process dies with it. Never call it on the network
    // loop's thread (it would wait for itself): that is refused with an error.
    Status publish_confirmed(std::string_view topic, std::string_view payload, int qos, bool retain,
                             std::chrono::milliseconds deadline);
    Status subscribe(std::string_view pattern, int qos);
    Status unsubscribe(std::string_view pattern);

    bool connected() const { return connected_.load(); }
    const MqttOptions& options() const { return options_; }
    std::string endpoint() const;

private:
    Status configure();
    Status connect_once();
    static void handle_connect(mosquitto*, void* self, int rc);
    static void handle_disconnect(mosquitto*, void* self, int rc);
    static void handle_message(mosquitto*, void* self, const mosquitto_message* msg);
    static void handle_publish(mosquitto*, void* self, int mid);
    Status publish_with_id(std::string_view topic, std::string_view payload, int qos, bool retain, int* mid);

    struct Confirmations;
    std::unique_ptr<Confirmations> confirmations_;
    std::atomic<std::thread::id> loop_thread_{};
    MqttOptions options_;
    mosquitto* handle_ = nullptr;
    std::atomic<bool> connected_{false};
    bool background_ = false;
};

// Sets options.password from `password_file` ("" leaves the options as they are),
// so a password never appears on a command line. A file without a username is
// invalid_argument; an unreadable file keeps the reading error.
Status read_password_file(MqttOptions& options, const std::string& password_file);

// read_password_file() at a program's start: nothing when the password is set (or
// no file named); else the failure is logged and this is the exit code to end
// with (2: the options are wrong, 1: the file could not be read).
std::optional<int> read_password_file_at_start(MqttOptions& options, const std::string& password_file);

// Words for a libmosquitto error code, for log lines and Status messages.
std::string mqtt_error_text(int rc);

}  // namespace lampi
