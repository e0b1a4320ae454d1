// The lamp broker's bridge to the cloud, as Mosquitto configuration (DESIGN.md,
// "MQTT contract": the bridge maps the lamp's topics under devices/<device_id>/).
// One rendering for lampi-stack's lamps and for a packaged lamp joining a cloud
// (`lampid bridge-config`, run by /usr/lib/lampi/lamp-join-cloud).
#pragma once

#include <optional>
#include <string>

namespace lampi {

struct BridgeTls {
    std::string ca_file;
    std::string cert_file;  // the lamp's own certificate: CN = device id
    std::string key_file;
};

struct BridgeSettings {
    std::string device_id;
    std::string cloud_host = "127.0.0.1";
    int cloud_port = 1883;
    std::optional<BridgeTls> tls;
    // The cloud broker declares a silent bridge dead after 1.5 x this, and then
    // publishes its will ("0"): 15 s puts a dead lamp offline within 22.5 s, for
    // a PINGREQ/PINGRESP pair (2 + 2 bytes of MQTT, about 170 bytes on the wire
    // with TLS and TCP/IP headers) every 15 s of silence: at most 5760 pairs,
    // about 1 MB, per lamp per day.
    int keepalive_seconds = 15;
};

// The `connection` block, starting with a blank line.
std::string render_bridge_config(const BridgeSettings& bridge);

}  // namespace lampi
