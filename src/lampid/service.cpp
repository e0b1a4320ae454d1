#include "service.h"

#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include <unistd.h>

#include "clock.h"
#include "home_assistant.h"
#include "lamp_controller.h"
#include "lampi/device_id.h"
#include "lampi/log.h"
#include "lampi/topics.h"
#include "onboarding.h"
#include "publisher.h"
#include "state_store.h"
#include "status_report.h"

namespace lampi::lampid {
namespace {

std::atomic<bool> g_stop{false};

void request_stop(int) { g_stop = true; }

std::string status_file_of(const LampidOptions& o) {
    if (!o.status_file.empty()) return o.status_file;
    std::filesystem::path dir = std::filesystem::path(o.state_file).parent_path();
    return (dir.empty() ? std::filesystem::path(".") : dir).string() + "/status.json";
}

// The renewal options are all or nothing: a half-configured renewal would
// fail every day, quietly, until the certificate expired.
Status check_renewal_options(const LampidOptions& o) {
    const RenewalFiles& r = o.renewal;
    bool any = !r.cloud_url.empty() || !r.ca_file.empty() || !r.key_file.empty() || !r.cert_file.empty() ||
               !r.chain_file.empty() || !r.token_file.empty() || r.key_readable_by_group;
    if (!any) return Status::ok();
    for (auto [value, option] : {std::pair{&r.cloud_url, "--cloud-url"}, std::pair{&r.ca_file, "--cloud-ca-file"},
                                 std::pair{&r.key_file, "--key-file"}, std::pair{&r.cert_file, "--cert-file"}}) {
        if (value->empty()) {
            return Status::invalid_argument(
                fmt::format("{} is needed to renew the lamp's certificate (give all of --cloud-url, --cloud-ca-file, "
                            "--key-file and --cert-file, or none)",
                            option));
        }
    }
    return Status::ok();
}

// Renews the certificate on its own thread: a renewal is an HTTPS round trip
// (up to 30 s against a slow cloud) that must not hold up the lamp's commands.
std::jthread start_certificate_renewal(const LampidOptions& o, const std::string& device_id, const Clock& clock) {
    RenewalPolicy policy;
    policy.days_before_expiry = o.renew_days_before_expiry;
    RenewalFiles files = o.renewal;
    files.device_id = device_id;
    CertificateRenewal renewal = make_certificate_renewal(files, policy, clock);
    renewal.on_renewed = [](const Enrollment& renewed) {
        // Mosquitto loads bridge_certfile and bridge_keyfile at each connection
        // attempt of the bridge, and a SIGHUP reloads no bridge setting; the
        // connection that is up stays up (TLS checks a certificate only at the handshake).
        log::info("the lamp's broker presents certificate serial {} from its bridge's next connection attempt",
                  renewed.serial);
    };
    log::info("renewing the lamp's certificate {} days before it expires, through {}", o.renew_days_before_expiry,
              o.renewal.cloud_url);
    return std::jthread([renewal = std::move(renewal)](const std::stop_token& stop) mutable {
        while (!stop.stop_requested() && !g_stop) {
            renewal.tick();
            for (int i = 0; i < 10 && !stop.stop_requested() && !g_stop; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
}

}  // namespace

LampidOptions default_lampid_options() {
    LampidOptions o;
    o.mqtt.client_id = std::string(topics::kLampServiceClient);
    // A persistent session: the broker queues the commands that arrive while
    // lampid restarts, and delivers them when it is back.
    o.mqtt.clean_session = false;
    return o;
}

int run_lampid(LampidOptions o) {
    Result<std::string> id = o.device_id.empty() ? device_id_from_mac() : normalize_device_id(o.device_id);
    if (!id) {
        fmt::print(stderr, "lampid: {}\n", id.status().message());
        return 2;
    }
    if (!log::init_from_option("lampid", o.log_level, "lampid[" + *id + "]", o.log_format)) return 2;
    if (auto exit_code = read_password_file_at_start(o.mqtt, o.password_file)) return *exit_code;
    if (Status s = check_renewal_options(o); !s) {
        log::error("{}", s.message());
        return 2;
    }
    for (int i = 0; i < 3 && o.channels.size() == 3; ++i) o.led.sysfs_channels[i] = o.channels[i];
    for (int i = 0; i < 3 && o.pins.size() == 3; ++i) o.led.pigpiod_pins[i] = o.pins[i];

    std::filesystem::path state_dir = std::filesystem::path(o.state_file).parent_path();
    std::error_code ec;
    if (!state_dir.empty()) std::filesystem::create_directories(state_dir, ec);
    Clock clock = system_clock();
    StateStore store(o.state_file, clock.wall_ms);
    Result<LoadedState> restored = store.load();
    if (!restored) {
        log::error("{}", restored.status().message());
        return 1;
    }
    if (!restored->note.empty()) log::warn("{}", restored->note);
    auto driver = make_led_driver(o.led);
    if (!driver) {
        log::error("{}", driver.status().message());
        return 1;
    }

    o.mqtt.will =
        MqttWill{topics::connection_state(topics::kLampServiceClient), std::string(topics::kOffline), 1, true};
    MqttClient client(o.mqtt);
    MqttPublisher broker(client);
    LampController lamp(broker, store, **driver, clock, restored->state, restored->unsaved);
    if (o.association_file.empty())
        o.association_file = (state_dir.empty() ? "." : state_dir.string()) + "/association.json";
    Onboarding onboarding(broker, clock, o.association_file, o.code_file);
    if (Status s = onboarding.load(); !s) {
        log::error("{}", s.message());
        return 1;
    }
    std::optional<HomeAssistant> home_assistant;
    if (!o.home_assistant_prefix.empty()) {
        home_assistant.emplace(broker, *id, o.home_assistant_prefix);
        lamp.on_announced = [&](const LampState& state) { home_assistant->publish_state(state); };
    }
    const std::string bridge_state = topics::cloud(*id, topics::connection_state(topics::kBridgeClient));

    std::string status_path = status_file_of(o);
    if (std::filesystem::path dir = std::filesystem::path(status_path).parent_path(); !dir.empty())
        std::filesystem::create_directories(dir, ec);
    StatusFile status_file(status_path, clock);
    LampStatus status;
    status.device_id = *id;
    status.pid = static_cast<long>(::getpid());
    status.started_at_ms = clock.wall_ms();
    status.broker = client.endpoint();
    status.broker_since_ms = status.started_at_ms;
    auto report = [&](bool urgent) {
        status.claimed = onboarding.claimed();
        status.version = lamp.state().version;
        status.health.durable = lamp.health().durable;
        status.health.led = lamp.health().led;
        status.health.error = lamp.health().error;
        status.activity = lamp.activity();
        status.stats = lamp.stats();
        status_file.update(status, urgent);
    };
    auto broker_connection = [&](bool connected) {
        status.broker_connected = connected;
        status.broker_since_ms = clock.wall_ms();
        report(true);
    };

    client.on_connect = [&] {
        // Subscribed before anything is announced: the broker takes a connection's
        // packets in order, so a bridge that comes up before the subscription is
        // taken carries the announcements that follow, and one that comes up after
        // is heard live (and everything is said again). Subscribed after them, a
        // bridge coming up in between was heard only as a retained "1", taken for
        // old news, and the cloud kept showing the lamp offline.
        if (Status s = client.subscribe(bridge_state, 1); !s) log::error("{}", s.message());
        broker_connection(true);
        if (home_assistant) home_assistant->on_connected();
        lamp.on_connected();
        onboarding.on_connected();
    };
    client.on_message = [&](const MqttMessage& message) {
        if (message.topic == bridge_state) {
            // The retained "1" handed over at subscribe time is old news: on_connected()
            // has just announced everything. Only a live "1" means the bridge came up.
            if (message.payload == topics::kOnline && !message.retain) {
                lamp.announce();
                onboarding.announce();
            }
            bool linked = message.payload == topics::kOnline;
            if (status.cloud_linked != linked) {
                status.cloud_linked = linked;
                status.cloud_since_ms = clock.wall_ms();
                report(true);
            }
        } else if (message.topic == topics::kSetConfig) {
            lamp.handle_set_config(message.payload);
        } else if (message.topic == topics::kHomeAssistantCommand && home_assistant) {
            Result<std::string> command = HomeAssistant::to_set_config(message.payload);
            if (command) {
                lamp.handle_set_config(*command);
            } else {
                lamp.reject("Home Assistant command", command.status().message());
            }
        } else if (message.topic == topics::kAssociated) {
            onboarding.handle(message.payload);
        }
    };
    client.after_loop = [&] {
        lamp.flush();
        onboarding.tick();
        report(false);
    };
    // A failing LED is reported on lamp/health; exiting would only restart into
    // the same fault, out of reach of anyone who could see it.
    if (Status s = lamp.start(); !s) log::error("the LED cannot be driven: {}", s.message());
    log::info("restored version {} from {}; broker {}", restored->state.version, o.state_file, client.endpoint());

    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);
    std::signal(SIGPIPE, SIG_IGN);
    report(true);
    log::info("status for the operator in {} (lampid status)", status_path);
    std::jthread renewer;
    if (!o.renewal.cloud_url.empty()) renewer = start_certificate_renewal(o, *id, clock);
    client.on_disconnect = [&](std::string_view reason) {
        lampi::log::warn("disconnected: {}", reason);
        broker_connection(false);
    };
    client.before_disconnect = [&] { lamp.announce_offline(); };
    client.run(g_stop);
    lamp.flush();
    status.running = false;
    status.broker_connected = false;
    status.stopped_at_ms = clock.wall_ms();
    report(true);
    const auto& stats = lamp.stats();
    log::info("stopped at version {}: {} applied, {} unchanged, {} rejected, {} stale", lamp.state().version,
              stats.applied, stats.ignored, stats.rejected, stats.stale);
    return 0;
}

int run_status(const LampidOptions& options, bool raw) { return print_status(status_file_of(options), raw); }

}  // namespace lampi::lampid
