// Test support: the whole one-machine platform, as `./lampi up` runs it:
// lampi-stack renders it (CA, certificates, TLS brokers, the auth plugin,
// lampi-cloud, lamps), cloud-setup.sh creates its users, supervisord runs it.
// Start one per test suite, since starting takes a few seconds. Users must define
// LAMPI_BUILD_DIR (the build tree holding the programs) and link Boost::json.
#pragma once

#include <boost/json.hpp>
#include <csignal>
#include <filesystem>
#include <memory>

#include "http_client.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"

namespace lampi::testing {

struct Platform {
    TempDir dir;
    int port_base = 0;
    // Lifetime of the control page's broker credential; 0 keeps lampi-cloud's
    // default. Set before start() to watch a credential expire.
    int credential_seconds = 0;
    std::unique_ptr<Process> supervisord;
    boost::json::value endpoints;

    std::string stack_dir() const { return dir / "stack"; }
    // The platform CA's directory, for lampi_ca (issue, revoke, write_crl).
    std::string ca_dir() const { return stack_dir() + "/pki/ca"; }
    // lampi-cloud's database, for its operator commands (`user list --db ...`).
    std::string database_url() const { return "sqlite://" + stack_dir() + "/cloud/lampi.sqlite3"; }
    std::string ca_file() const { return std::string(endpoints.at("ca_file").as_string()); }
    std::string https_url() const { return std::string(endpoints.at("cloud").at("http").at("url").as_string()); }
    int client_mqtt_port() const { return static_cast<int>(endpoints.at("cloud").at("mqtt").at("port").as_int64()); }
    int lamp_mqtt_port() const { return static_cast<int>(endpoints.at("cloud").at("lamp_mqtt").at("port").as_int64()); }
    std::string lamp_id(int i) const {
        return std::string(endpoints.at("lamps").at(static_cast<std::size_t>(i)).at("device_id").as_string());
    }
    std::string login(const char* who, const char* field) const {
        const boost::json::value& entry =
            std::string_view(who) == "operator" ? endpoints.at("cloud").at("operator") : endpoints.at(who);
        return std::string(entry.at(field).as_string());
    }

    std::string run(const std::vector<std::string>& argv, const std::string& name) {
        Process process(argv, dir / (name + ".log"));
        process.start();
        int status = process.wait(std::chrono::seconds(60));
        return status == 0 ? "" : process.log() + " (exit status " + std::to_string(status) + ")";
    }

    // Empty on success, else what went wrong.
    std::string start(int lamps) {
        for (int attempt = 0; attempt < 50 && port_base == 0; ++attempt) {
            // Below the kernel's ephemeral range (32768+), so no outgoing connection holds one.
            int candidate = 20000 + (free_port() % 12000);
            bool free = true;
            for (int offset : {0, 1, 2, 3, 10, 11}) free = free && !wait_for_port(candidate + offset, 0ms);
            if (free) port_base = candidate;
        }
        if (port_base == 0) return "no free port range";
        std::vector<std::string> render{LAMPI_STACK_BINARY, "render", "--dir", stack_dir(), "--lamps",
                                        std::to_string(lamps), "--port-base", std::to_string(port_base),
                                        "--build-dir", LAMPI_BUILD_DIR, "--log-level", "debug"};
        if (credential_seconds > 0) {
            render.insert(render.end(), {"--credential-seconds", std::to_string(credential_seconds)});
        }
        if (auto e = run(render, "render"); !e.empty()) {
            return "lampi-stack render failed: " + e;
        }
        if (auto e = run({"/bin/sh", stack_dir() + "/cloud-setup.sh"}, "cloud-setup"); !e.empty()) {
            return "cloud-setup.sh failed: " + e;
        }
        endpoints = boost::json::parse(read_file(stack_dir() + "/endpoints.json"));
        supervisord = std::make_unique<Process>(
            std::vector<std::string>{"/usr/bin/supervisord", "-n", "-c", stack_dir() + "/supervisord.conf"},
            dir / "supervisord.out");
        supervisord->start();
        for (int offset : {0, 2, 3}) {
            if (!wait_for_port(port_base + offset, 20s)) return "nothing listens on " + std::to_string(port_base + offset);
        }
        return "";
    }

    void stop() {
        if (supervisord) supervisord->stop(SIGTERM, 20s);
        supervisord.reset();
    }

    std::string supervisorctl(const std::string& args) {
        std::string out = dir / "ctl.out";
        std::string command =
            "/usr/bin/supervisorctl -c " + stack_dir() + "/supervisord.conf " + args + " > " + out + " 2>&1";
        if (std::system(command.c_str()) < 0) return "";
        return read_file(out);
    }

    std::string logs() const {
        std::string all;
        for (const auto& entry : std::filesystem::directory_iterator(stack_dir() + "/logs")) {
            std::string text = read_file(entry.path().string());
            if (text.size() > 3000) text = "..." + text.substr(text.size() - 3000);
            all += "--- " + entry.path().filename().string() + "\n" + text;
        }
        return all;
    }

    // MQTT over TLS on the service listener, with a username and password.
    MqttOptions password_client(const std::string& username, const std::string& password) const {
        MqttOptions options;
        options.port = client_mqtt_port();
        options.username = username;
        options.password = password;
        options.tls = MqttTls{ca_file(), "", ""};
        options.reconnect_min = std::chrono::milliseconds(5000);
        return options;
    }

    // MQTT over mutual TLS on the lamps' listener, with lamp `i`'s certificate.
    MqttOptions lamp_client(int i) const {
        const auto& lamp = endpoints.at("lamps").at(static_cast<std::size_t>(i));
        MqttOptions options;
        options.port = lamp_mqtt_port();
        options.tls = MqttTls{ca_file(), std::string(lamp.at("certificate").as_string()),
                              std::string(lamp.at("key").as_string())};
        options.client_id = "impostor-" + lamp_id(i);
        return options;
    }

    // Logs `who` in through the web and fetches their short-lived broker credential.
    std::optional<std::pair<std::string, std::string>> broker_credential(const std::string& username,
                                                                          const std::string& password) {
        HttpClient web(https_url(), ca_file());
        if (!web.login(username, password)) return std::nullopt;
        auto response = web.get("/api/v1/mqtt-credential");
        if (response.status != 200) return std::nullopt;
        auto json = boost::json::parse(response.body);
        return std::pair{std::string(json.at("username").as_string()), std::string(json.at("password").as_string())};
    }
};

}  // namespace lampi::testing
