#include "readiness.h"

#include <curl/curl.h>
#include <fmt/core.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "lampi/files.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "processes.h"

namespace fs = std::filesystem;

namespace lampi::stack {
namespace {

// Binding tells a port in use (by anyone, on any address) from a free one; a
// connect would miss a socket bound but not yet listening.
bool port_free(const std::string& host, int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int on = 1;
    // As Mosquitto and lampi-cloud do: connections in TIME_WAIT do not hold the port.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return free;
}

bool login_page_served(const StackPlan& plan) {
    CURL* curl = curl_easy_init();
    if (!curl) return false;
    std::string url = fmt::format("https://{}:{}/accounts/login/", plan.cloud_local_address, plan.https_port);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CAINFO, plan.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t count, void*) { return size * count; });
    long status = 0;
    bool ok = curl_easy_perform(curl) == CURLE_OK && curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
              status == 200;
    curl_easy_cleanup(curl);
    return ok;
}

// An MQTT client running on its own thread until destroyed, collecting the
// topics of the messages `wanted` accepts.
class TopicWatch {
public:
    TopicWatch(const MqttOptions& options, std::string filter, std::function<bool(const MqttMessage&)> wanted)
        : client_(options), filter_(std::move(filter)), wanted_(std::move(wanted)) {
        client_.on_connect = [this] { (void)client_.subscribe(filter_, 1); };
        client_.on_message = [this](const MqttMessage& message) {
            std::lock_guard lock(mutex_);
            if (wanted_(message)) {
                seen_.insert(message.topic);
            } else {
                seen_.erase(message.topic);
            }
        };
        loop_ = std::thread([this] { client_.run(stop_); });
    }
    ~TopicWatch() {
        stop_ = true;
        loop_.join();
    }
    TopicWatch(const TopicWatch&) = delete;
    TopicWatch& operator=(const TopicWatch&) = delete;

    std::size_t seen() {
        std::lock_guard lock(mutex_);
        return seen_.size();
    }

private:
    MqttClient client_;
    std::string filter_;
    std::function<bool(const MqttMessage&)> wanted_;
    std::mutex mutex_;
    std::set<std::string> seen_;
    std::atomic<bool> stop_{false};
    std::thread loop_;
};

// The watches that tell a stack is up: the lamps' states through the cloud
// broker where the cloud and the lamps run together; on a lamp host, each
// lamp's bridge saying on its own broker that it reached the cloud.
Result<std::vector<std::unique_ptr<TopicWatch>>> readiness_watches(const StackPlan& plan) {
    std::vector<std::unique_ptr<TopicWatch>> watches;
    if (plan.runs_cloud && plan.runs_lamps) {
        auto options = operator_mqtt_options(plan);
        if (!options) return options.status();
        watches.push_back(std::make_unique<TopicWatch>(*options, topics::cloud("+", topics::kChanged),
                                                       [](const MqttMessage&) { return true; }));
    }
    if (!plan.runs_cloud) {
        for (const LampPlan& lamp : plan.lamps) {
            auto password = read_secret_file(lamp.broker_password_file);
            if (!password) return password.status();
            MqttOptions options;
            options.port = lamp.broker_port;
            options.username = kLampBrokerUser;
            options.password = *password;
            options.reconnect_min = std::chrono::milliseconds(200);
            options.reconnect_max = std::chrono::milliseconds(1000);
            watches.push_back(std::make_unique<TopicWatch>(
                options, topics::cloud_prefix(lamp.device_id) + topics::connection_state(topics::kBridgeClient),
                [](const MqttMessage& message) { return message.payload == "1"; }));
        }
    }
    return watches;
}

}  // namespace

Status check_can_start(const StackPlan& plan) {
    const std::string& dir = plan.options.dir;
    if (anything_runs(plan)) {
        return Status::error(fmt::format("a platform already runs from {}: stop it with ./lampi down --dir {}, "
                                         "or pick another --dir and --port-base", dir, dir));
    }
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
        return Status::error(fmt::format("{} exists and is not a directory: pick another --dir", dir));
    }
    fs::path existing = dir;
    while (!fs::exists(existing, ec) && existing.has_parent_path() && existing != existing.parent_path()) {
        existing = existing.parent_path();
    }
    if (::access(existing.c_str(), W_OK | X_OK) != 0) {
        return Status::error(fmt::format("cannot write in {}: pick another --dir", existing.string()));
    }
    std::vector<std::string> programs{plan.options.mosquitto, plan.lampi_stack};
    if (plan.runs_cloud) programs.insert(programs.end(), {plan.lampi_cloud, plan.auth_plugin});
    if (plan.runs_lamps) programs.push_back(plan.lampid);
    for (const std::string& program : programs) {
        if (!fs::exists(program, ec)) {
            return Status::error(fmt::format("{} is missing: build first (./lampi build)", program));
        }
    }
    if (plan.runs_lamps && with_screens(plan.options) && !fs::exists(plan.lampi_ui, ec)) {
        return Status::error(
            fmt::format("{} is missing: build first (./lampi build), or start with --no-screens", plan.lampi_ui));
    }
    if (plan.runs_lamps && with_ble(plan.options) && !fs::exists(plan.lampi_ble, ec)) {
        return Status::error(
            fmt::format("{} is missing: build first (./lampi build), or start with --no-ble", plan.lampi_ble));
    }
    std::vector<int> taken;
    // The cloud's listeners are on its listen address, the lamps' brokers on 127.0.0.1.
    std::string address = plan.runs_cloud ? plan.options.listen_address : "127.0.0.1";
    for (int port : all_ports(plan)) {
        if (!port_free(address, port)) taken.push_back(port);
    }
    if (!taken.empty()) {
        return Status::error(
            fmt::format("port(s) {} on {} are taken: pick another --port-base "
                        "(this stack uses {}..{} and {}..{})",
                        fmt::join(taken, ", "), address, plan.lamp_mqtt_port, plan.http_redirect_port,
                        plan.lamps.empty() ? 0 : plan.lamps.front().broker_port,
                        plan.lamps.empty() ? 0 : plan.lamps.back().broker_port));
    }
    return Status::ok();
}

Result<MqttOptions> operator_mqtt_options(const StackPlan& plan) {
    auto password = read_secret_file(plan.operator_login.password_file);
    if (!password) return password.status();
    MqttOptions options;
    options.host = plan.cloud_local_address;
    options.port = plan.client_mqtt_port;
    options.username = plan.operator_login.username;
    options.password = *password;
    options.tls = MqttTls{plan.ca_file, "", ""};
    options.reconnect_min = std::chrono::milliseconds(200);
    options.reconnect_max = std::chrono::milliseconds(1000);
    return options;
}

Status wait_ready(const StackPlan& plan, std::chrono::milliseconds timeout) {
    // The broker refuses logins until lampi-cloud answers its auth API, and a lamp
    // host's bridges retry until the cloud answers: refused attempts are expected
    // while the stack starts. The outcome is the Status.
    log::set_level(log::Level::off);
    auto watches = readiness_watches(plan);
    if (!watches) return watches.status();
    std::size_t lamps_expected = plan.runs_lamps ? plan.lamps.size() : 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool web = !plan.runs_cloud;
    for (;;) {
        std::size_t lamps = 0;
        for (const auto& watch : *watches) lamps += watch->seen();
        web = web || login_page_served(plan);
        if (web && lamps >= lamps_expected) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string seen = plan.runs_cloud
                                   ? fmt::format("{} of {} lamps seen through the cloud broker, web {}", lamps,
                                                 lamps_expected, web ? "up" : "not answering")
                                   : fmt::format("{} of {} lamps bridged to the cloud", lamps, lamps_expected);
            return Status::error(fmt::format("the platform did not come up within {} s ({}); see {}/logs/",
                                             std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), seen,
                                             plan.options.dir));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return Status::ok();
}

}  // namespace lampi::stack
