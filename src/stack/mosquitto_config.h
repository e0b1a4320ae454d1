// Renders Mosquitto configuration files: the cloud broker and each lamp's broker
// with its bridge to the cloud (DESIGN.md, "MQTT contract": the bridge maps the
// lamp's topics under devices/<device_id>/).
#pragma once

#include <optional>
#include <string>

namespace lampi::stack {

struct BridgeTls {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
};

struct BridgeSettings {
    std::string device_id;
    std::string cloud_host = "127.0.0.1";
    int cloud_port = 1883;
    std::optional<BridgeTls> tls;  // set once the platform has its CA
};

struct BrokerSettings {
    std::string title;          // first comment line of the file
    std::string bind_address = "127.0.0.1";
    int port = 1883;
    std::string data_dir;       // persistence location, must exist
    std::string run_as_user;    // Mosquitto drops root privileges to this user
    // Bounded so a slow subscriber costs memory, not the broker.
    int max_inflight_messages = 100;
    int max_queued_messages = 10000;
    std::optional<BridgeSettings> bridge;
};

std::string render_mosquitto_conf(const BrokerSettings& settings);

}  // namespace lampi::stack
