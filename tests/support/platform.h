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
    // How often the broker plugin asks lampi-cloud again about each web
    // credential; 0 keeps the stack's 30 s. Set before start() to watch a refresh.
    int refresh_seconds = 0;
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
        RunResult result = testing::run(argv, dir / (name + ".log"), std::chrono::seconds(60));
        return result.exit_code == 0 ? "" : result.output + " (exit code " + std::to_string(result.exit_code) + ")";
    }

    std::vector<std::string> plan_options(int lamps, int base) const {
        std::vector<std::string> options{"--dir", stack_dir(), "--lamps", std::to_string(lamps), "--port-base",
                                         std::to_string(base), "--build-dir", LAMPI_BUILD_DIR, "--log-level", "debug",
                                         // The suites on a whole platform are about the cloud and the lamps'
                                         // links; screens would only add load (tests/ui has theirs).
                                         "--no-screens"};
        if (credential_seconds > 0) options.insert(options.end(), {"--credential-seconds", std::to_string(credential_seconds)});
        return options;
    }

    std::string stack_command(const std::string& subcommand, std::vector<std::string> options, const std::string& log) {
        options.insert(options.begin(), {LAMPI_STACK_BINARY, subcommand});
        return run(options, log);
    }

    // Empty on success, else what went wrong. lampi-stack checks the ports (every
    // one, the lamps' included) and waits until the platform is ready, as `./lampi up` does.
    std::string start(int lamps) {
        for (int attempt = 0; attempt < 50 && port_base == 0; ++attempt) {
            // Below the kernel's ephemeral range (32768+), so no outgoing connection holds one.
            int candidate = 20000 + (free_port() % 12000);
            if (stack_command("check", plan_options(lamps, candidate), "check").empty()) port_base = candidate;
        }
        if (port_base == 0) return "no free port range";
        if (auto e = stack_command("render", plan_options(lamps, port_base), "render"); !e.empty()) {
            return "lampi-stack render failed: " + e;
        }
        if (refresh_seconds > 0) {
            const std::string conf = stack_dir() + "/cloud-broker/mosquitto.conf";
            std::string text = read_file(conf);
            const std::string rendered = "plugin_opt_ttl_seconds 30\n";
            auto at = text.find(rendered);
            if (at == std::string::npos) return "no " + rendered + "in " + conf;
            text.replace(at, rendered.size(), "plugin_opt_ttl_seconds " + std::to_string(refresh_seconds) + "\n");
            write_file(conf, text);
        }
        if (auto e = run({"/bin/sh", stack_dir() + "/cloud-setup.sh"}, "cloud-setup"); !e.empty()) {
            return "cloud-setup.sh failed: " + e;
        }
        endpoints = boost::json::parse(read_file(stack_dir() + "/endpoints.json"));
        supervisord = std::make_unique<Process>(
            std::vector<std::string>{"/usr/bin/supervisord", "-n", "-c", stack_dir() + "/supervisord.conf"},
            dir / "supervisord.out");
        supervisord->start();
        if (auto e = stack_command("wait-ready", {"--dir", stack_dir(), "--timeout", "60"}, "wait-ready"); !e.empty()) {
            return "the platform did not come up: " + e;
        }
        return "";
    }

    void stop() {
        if (supervisord) supervisord->stop(SIGTERM, 20s);
        supervisord.reset();
        // Whatever outlived supervisord (found by the stack's pid files).
        if (std::filesystem::exists(stack_dir() + "/stack.json")) stack_command("stop", {"--dir", stack_dir()}, "stop");
    }

    std::string supervisorctl(const std::string& args) {
        return run_shell("/usr/bin/supervisorctl -c " + stack_dir() + "/supervisord.conf " + args, 60s).output;
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
        // The only client id a lamp certificate may use (a lamp's bridge uses it too).
        options.client_id = "lamp-" + lamp_id(i);
        return options;
    }

    // MQTT on lamp `i`'s own broker with lampid's login, as anything on that Pi
    // that can read lampid's password file (its owner, with a shell) can.
    MqttOptions lamp_local_client(int i) const {
        const auto& local = endpoints.at("lamps").at(static_cast<std::size_t>(i)).at("local_mqtt");
        MqttOptions options;
        options.port = static_cast<int>(local.at("port").as_int64());
        options.username = std::string(local.at("username").as_string());
        std::string password = read_file(std::string(local.at("password_file").as_string()));
        while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
        options.password = password;
        options.client_id = "lamp-owner-tool";
        return options;
    }

    // Logs `who` in through the web and fetches their short-lived broker credential.
    std::optional<std::pair<std::string, std::string>> broker_credential(const std::string& username,
                                                                          const std::string& password) {
        BrowserSession web = BrowserSession::at(https_url(), ca_file());
        if (!web.login(username, password)) return std::nullopt;
        auto response = web.get("/api/v1/mqtt-credential");
        if (response.status != 200) return std::nullopt;
        auto json = boost::json::parse(response.body);
        return std::pair{std::string(json.at("username").as_string()), std::string(json.at("password").as_string())};
    }
};

}  // namespace lampi::testing
