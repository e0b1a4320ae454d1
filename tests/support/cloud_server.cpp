#include "cloud_server.h"

#include <stdexcept>

namespace lampi::testing {

CloudServer::CloudServer(const std::string& db_url, CloudServerOptions options) {
    if (Status s = cloud::accounts::init_crypto(); !s) throw std::runtime_error(s.message());
    auto store = cloud::storage::Store::open(db_url, 4);
    if (!store) throw std::runtime_error(store.status().message());
    store_ = std::move(store).value();
    cloud::Clock clock = [this] { return now_.load(); };
    cloud::accounts::AccountsOptions account_options;
    // The cheapest argon2id libsodium allows: tests check behaviour, not cost.
    account_options.cost.opslimit = 1;
    account_options.cost.memlimit_bytes = 8 * 1024;
    accounts_ = std::make_unique<cloud::accounts::Accounts>(*store_, account_options, clock);
    cloud::lamps::Publisher publish = [this](std::string_view topic, std::string_view payload, int qos, bool retain) {
        {
            std::lock_guard lock(mutex_);
            published_.push_back({std::string(topic), std::string(payload), qos, retain});
        }
        return link_ ? link_->publish(topic, payload, qos, retain) : Status::ok();
    };
    if (options.mqtt) {
        link_ = std::make_unique<cloud::lamps::CloudLink>(*options.mqtt);
        options.app.broker_status = [this] { return link_->status(); };
    }
    lamps_ = std::make_unique<cloud::lamps::LampService>(*store_, publish, options.lamps, clock);
    // Revocations go out like every other publish: recorded, and to the broker when there is one.
    if (!options.app.revocations)
        options.app.revocations = std::make_shared<cloud::lamps::MqttRevocations>(publish, clock);
    hash_pool_ = std::make_unique<cloud::WorkPool>(options.hash_threads, options.hash_queue, cloud::kHashNiceness);
    app_ = std::make_unique<cloud::api::App>(*store_, *accounts_, *lamps_, options.app, hash_pool_.get());
    options.server.port = 0;
    options.server.threads = 2;
    server_ = std::make_unique<cloud::http::HttpServer>(options.server,
                                                        [this](cloud::http::Request& r) { return app_->handle(r); });
    if (Status s = server_->listen(); !s) throw std::runtime_error(s.message());
    if (link_) {
        link_->attach(*lamps_);
        if (Status s = link_->start(); !s) throw std::runtime_error(s.message());
    }
    thread_ = std::thread([this] { server_->run(); });
}

CloudServer::~CloudServer() {
    server_->stop();
    thread_.join();
    hash_pool_->stop();
    app_->stop();
    if (link_) link_->stop();
}

std::vector<Published> CloudServer::published() {
    std::lock_guard lock(mutex_);
    return published_;
}

cloud::storage::User CloudServer::add_user(const std::string& name, bool is_operator) {
    auto user = accounts_->create_user(name, kPassword, is_operator);
    if (!user) throw std::runtime_error(user.status().message());
    return *user;
}

void CloudServer::add_lamp(const std::string& device_id, std::optional<std::int64_t> owner, const std::string& name) {
    if (Status s = store_->add_lamp(device_id, name, owner, now_); !s) throw std::runtime_error(s.message());
}

void CloudServer::announce_code(const std::string& device_id, const std::string& code, std::int64_t expires_in) {
    std::string extra = expires_in > 0 ? ",\"expires_in\":" + std::to_string(expires_in) : "";
    lamps_->handle_message("devices/" + device_id + "/lamp/associated",
                           "{\"code\":\"" + code + "\",\"claimed\":false" + extra + "}");
}

}  // namespace lampi::testing
