// Test support: a complete lampi-cloud (store, accounts, lamps, app, HTTP
// server) in-process on a free loopback port, with a clock the test moves and
// every MQTT publish recorded (or sent to a real broker when given one).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "accounts/accounts.h"
#include "api/app.h"
#include "http/server.h"
#include "lampi/mqtt_client.h"
#include "lamps/cloud_link.h"
#include "lamps/lamp_service.h"
#include "storage/store.h"
#include "work_pool.h"

namespace lampi::testing {

// What the cloud published, as a broker would have received it.
using Published = MqttMessage;

struct CloudServerOptions {
    cloud::api::AppOptions app;
    cloud::http::ServerOptions server;
    // Set: a real platform MQTT client on this broker.
    std::optional<MqttOptions> mqtt;
    cloud::lamps::LampServiceOptions lamps;
    // Password hashes run on this pool, as in lampi-cloud serve.
    std::size_t hash_threads = 2;
    std::size_t hash_queue = 16;
};

// Options for a cloud whose platform MQTT client logs in to the test broker on
// `broker_port` as `client_id`.
inline CloudServerOptions on_broker(int broker_port, std::string client_id) {
    MqttOptions mqtt;
    mqtt.port = broker_port;
    mqtt.client_id = std::move(client_id);
    CloudServerOptions options;
    options.mqtt = std::move(mqtt);
    return options;
}

class CloudServer {
public:
    CloudServer(const std::string& db_url, CloudServerOptions options = {});
    ~CloudServer();

    int port() const { return server_->port(); }
    cloud::storage::Store& store() { return *store_; }
    cloud::accounts::Accounts& accounts() { return *accounts_; }
    cloud::lamps::LampService& lamps() { return *lamps_; }
    cloud::lamps::CloudLink* link() { return link_.get(); }
    cloud::WorkPool& hash_pool() { return *hash_pool_; }
    void advance(std::int64_t seconds) { now_ += seconds; }
    std::int64_t now() const { return now_; }
    std::vector<Published> published();

    // A user with password "correct-horse" (hashed cheaply for speed).
    cloud::storage::User add_user(const std::string& name, bool is_operator = false);
    // Registers a lamp owned by `owner` (or nobody).
    void add_lamp(const std::string& device_id, std::optional<std::int64_t> owner, const std::string& name = "");
    // Makes the lamp announce `code` as if over MQTT.
    void announce_code(const std::string& device_id, const std::string& code, std::int64_t expires_in = 0);

    static constexpr const char* kPassword = "correct-horse";

private:
    std::atomic<std::int64_t> now_{1'700'000'000};
    std::unique_ptr<cloud::storage::Store> store_;
    std::unique_ptr<cloud::accounts::Accounts> accounts_;
    std::unique_ptr<cloud::WorkPool> hash_pool_;
    std::unique_ptr<cloud::lamps::CloudLink> link_;
    std::unique_ptr<cloud::lamps::LampService> lamps_;
    std::unique_ptr<cloud::api::App> app_;
    std::unique_ptr<cloud::http::HttpServer> server_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Published> published_;
};

}  // namespace lampi::testing
