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
bool port_free(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int on = 1;
    // As Mosquitto and lampi-cloud do: connections in TIME_WAIT do not hold the port.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return free;
}

bool login_page_served(const StackPlan& plan) {
    CURL* curl = curl_easy_init();
    if (!curl) return false;
    std::string url = fmt::format("https://127.0.0.1:{}/accounts/login/", plan.https_port);
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
    for (const std::string& program : {plan.lampid, plan.lampi_cloud, plan.auth_plugin, plan.options.mosquitto,
                                       plan.lampi_stack}) {
        if (!fs::exists(program, ec)) {
            return Status::error(fmt::format("{} is missing: build first (./lampi build)", program));
        }
    }
    if (with_screens(plan.options) && !fs::exists(plan.lampi_ui, ec)) {
        return Status::error(
            fmt::format("{} is missing: build first (./lampi build), or start with --no-screens", plan.lampi_ui));
    }
    if (with_ble(plan.options) && !fs::exists(plan.lampi_ble, ec)) {
        return Status::error(
            fmt::format("{} is missing: build first (./lampi build), or start with --no-ble", plan.lampi_ble));
    }
    std::vector<int> taken;
    for (int port : all_ports(plan)) {
        if (!port_free(port)) taken.push_back(port);
    }
    if (!taken.empty()) {
        return Status::error(fmt::format("port(s) {} on 127.0.0.1 are taken: pick another --port-base "
                                         "(this stack uses {}..{} and {}..{})",
                                         fmt::join(taken, ", "), plan.lamp_mqtt_port, plan.http_redirect_port,
                                         plan.lamps.empty() ? 0 : plan.lamps.front().broker_port,
                                         plan.lamps.empty() ? 0 : plan.lamps.back().broker_port));
    }
    return Status::ok();
}

Result<MqttOptions> operator_mqtt_options(const StackPlan& plan) {
    auto password = read_secret_file(plan.operator_login.password_file);
    if (!password) return password.status();
    MqttOptions options;
    options.host = "127.0.0.1";
    options.port = plan.client_mqtt_port;
    options.username = plan.operator_login.username;
    options.password = *password;
    options.tls = MqttTls{plan.ca_file, "", ""};
    options.reconnect_min = std::chrono::milliseconds(200);
    options.reconnect_max = std::chrono::milliseconds(1000);
    return options;
}

Status wait_ready(const StackPlan& plan, std::chrono::milliseconds timeout) {
    auto options = operator_mqtt_options(plan);
    if (!options) return options.status();
    std::mutex mutex;
    std::set<std::string> seen;
    MqttClient client(*options);
    client.on_connect = [&] { (void)client.subscribe(topics::cloud("+", topics::kChanged), 1); };
    client.on_message = [&](const MqttMessage& message) {
        std::lock_guard lock(mutex);
        seen.insert(message.topic);
    };
    // The broker refuses logins until lampi-cloud answers its auth API: refused
    // attempts are expected while the stack starts. The outcome is the Status.
    log::set_level(log::Level::off);
    std::atomic<bool> stop{false};
    std::thread loop([&] { client.run(stop); });
    struct Joiner {
        std::atomic<bool>& stop;
        std::thread& loop;
        ~Joiner() {
            stop = true;
            loop.join();
        }
    } joiner{stop, loop};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool web = false;
    for (;;) {
        std::size_t lamps;
        {
            std::lock_guard lock(mutex);
            lamps = seen.size();
        }
        web = web || login_page_served(plan);
        if (web && lamps >= plan.lamps.size()) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            return Status::error(fmt::format(
                "the platform did not come up within {} s ({} of {} lamps seen through the cloud broker, web {}); "
                "see {}/logs/",
                std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), lamps, plan.lamps.size(),
                web ? "up" : "not answering", plan.options.dir));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return Status::ok();
}

}  // namespace lampi::stack
