// lampid: the lamp service. Parses options and wires the parts together.
#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>

#include "clock.h"
#include "hardware/led_driver.h"
#include "lamp_controller.h"
#include "onboarding.h"
#include "publisher.h"
#include "lampi/device_id.h"
#include "lampi/files.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "state_store.h"

namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
    using namespace lampi;
    CLI::App app{"lampid: the LAMPi lamp service. Owns the lamp state, drives the LED and speaks\n"
                 "the MQTT contract (lamp/set_config in, lamp/changed out) on the lamp's local broker."};
    app.set_config("--config", "", "read options from an INI/TOML file (keys are option names)");
    MqttOptions mqtt;
    mqtt.client_id = std::string(topics::kLampServiceClient);
    // A persistent session: the broker queues the commands that arrive while
    // lampid restarts, and delivers them when it is back.
    mqtt.clean_session = false;
    std::string password_file;
    std::string device_id;
    std::string state_file = "/var/lib/lampi/lamp-state.json";
    std::string log_level = "info";
    lampid::LedDriverOptions led;
    std::vector<int> channels, pins;
    app.add_option("--host", mqtt.host, "local MQTT broker host")->capture_default_str();
    app.add_option("--port", mqtt.port, "local MQTT broker port")->capture_default_str()->check(CLI::Range(1, 65535));
    app.add_option("--username", mqtt.username, "login on the local broker (none: anonymous)");
    app.add_option("--password-file", password_file,
                   "file holding the password for --username (never on the command line)");
    app.add_option("--device-id", device_id, "12 hex digits; default: the MAC of the first network interface");
    app.add_option("--state-file", state_file, "where the state is persisted")->capture_default_str();
    app.add_option("--backend", led.backend, "LED backend: simulated, sysfs-pwm or pigpiod")
        ->capture_default_str()
        ->check(CLI::IsMember({"simulated", "sysfs-pwm", "pigpiod"}));
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
    app.add_option("--keepalive", mqtt.keepalive_seconds, "MQTT keepalive in seconds")->capture_default_str();
    std::string association_file, code_file;
    app.add_option("--association-file", association_file,
                   "remembers whether a user claimed the lamp (default: beside the state file)");
    app.add_option("--code-file", code_file, "where to show the one-time association code (a stand-in for the screen)");
    app.add_option("--simulated-output", led.simulated_output,
                   "simulated backend: file that holds the current R G B duty cycles");
    app.add_option("--pwm-chip", led.sysfs_chip, "sysfs-pwm backend: PWM chip directory")->capture_default_str();
    app.add_option("--pwm-channels", channels, "sysfs-pwm backend: red green blue channel numbers")->expected(3);
    app.add_option("--pwm-period-ns", led.sysfs_period_ns, "sysfs-pwm backend: PWM period")->capture_default_str();
    app.add_option("--pigpiod-host", led.pigpiod_host, "pigpiod backend: daemon host")->capture_default_str();
    app.add_option("--pigpiod-port", led.pigpiod_port, "pigpiod backend: daemon port")->capture_default_str();
    app.add_option("--pins", pins, "pigpiod backend: red green blue BCM pins")->expected(3);
    CLI11_PARSE(app, argc, argv);

    Result<std::string> id = device_id.empty() ? device_id_from_mac() : normalize_device_id(device_id);
    if (!id) {
        fmt::print(stderr, "lampid: {}\n", id.status().message());
        return 2;
    }
    if (!log::init_from_option("lampid", log_level, "lampid[" + *id + "]")) return 2;
    if (!password_file.empty()) {
        if (mqtt.username.empty()) {
            log::error("--password-file needs --username");
            return 2;
        }
        Result<std::string> password = read_secret_file(password_file);
        if (!password) {
            log::error("{}", password.status().message());
            return 1;
        }
        mqtt.password = *password;
    }
    for (int i = 0; i < 3 && channels.size() == 3; ++i) led.sysfs_channels[i] = channels[i];
    for (int i = 0; i < 3 && pins.size() == 3; ++i) led.pigpiod_pins[i] = pins[i];

    std::filesystem::path state_dir = std::filesystem::path(state_file).parent_path();
    std::error_code ec;
    if (!state_dir.empty()) std::filesystem::create_directories(state_dir, ec);
    lampid::Clock clock = lampid::system_clock();
    lampid::StateStore store(state_file, clock.wall_ms);
    Result<lampid::LoadedState> restored = store.load();
    if (!restored) {
        log::error("{}", restored.status().message());
        return 1;
    }
    if (!restored->note.empty()) log::warn("{}", restored->note);
    auto driver = lampid::make_led_driver(led);
    if (!driver) {
        log::error("{}", driver.status().message());
        return 1;
    }

    mqtt.will = MqttWill{topics::connection_state(topics::kLampServiceClient), std::string(topics::kOffline), 1, true};
    MqttClient client(mqtt);
    lampid::MqttPublisher broker(client);
    lampid::LampController lamp(broker, store, **driver, clock, restored->state, restored->unsaved);
    if (association_file.empty()) association_file = (state_dir.empty() ? "." : state_dir.string()) + "/association.json";
    lampid::Onboarding onboarding(broker, clock, association_file, code_file);
    if (Status s = onboarding.load(); !s) {
        log::error("{}", s.message());
        return 1;
    }
    const std::string bridge_state = topics::cloud(*id, topics::connection_state(topics::kBridgeClient));
    client.on_connect = [&] {
        lamp.on_connected();
        onboarding.on_connected();
        if (Status s = client.subscribe(bridge_state, 1); !s) log::error("{}", s.message());
    };
    client.on_message = [&](const MqttMessage& message) {
        if (message.topic == bridge_state) {
            if (message.payload == topics::kOnline) {
                lamp.announce();
                onboarding.announce();
            }
        } else if (message.topic == topics::kSetConfig) {
            lamp.handle_set_config(message.payload);
        } else if (message.topic == topics::kAssociated) {
            onboarding.handle(message.payload);
        }
    };
    client.after_loop = [&] {
        lamp.flush();
        onboarding.tick();
    };
    // A failing LED is reported on lamp/health; exiting would only restart into
    // the same fault, out of reach of anyone who could see it.
    if (Status s = lamp.start(); !s) log::error("the LED cannot be driven: {}", s.message());
    log::info("restored version {} from {}; broker {}", restored->state.version, state_file, client.endpoint());

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGPIPE, SIG_IGN);
    client.on_disconnect = [](std::string_view reason) { lampi::log::warn("disconnected: {}", reason); };
    client.before_disconnect = [&] { lamp.announce_offline(); };
    client.run(g_stop);
    lamp.flush();
    const auto& stats = lamp.stats();
    log::info("stopped at version {}: {} applied, {} unchanged, {} rejected, {} stale", lamp.state().version,
              stats.applied, stats.ignored, stats.rejected, stats.stale);
    return 0;
}
