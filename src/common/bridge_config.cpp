#include "lampi/bridge_config.h"

#include <fmt/core.h>

#include "lampi/topics.h"

namespace lampi {

std::string render_bridge_config(const BridgeSettings& bridge) {
    std::string prefix = topics::cloud_prefix(bridge.device_id);
    std::string out = fmt::format(
        "\n# Bridge to the cloud: this lamp's topics appear there under {prefix}\n"
        "connection lampi-cloud\n"
        "address {host}:{port}\n"
        "remote_clientid {client_id}\n"
        "remote_username {id}\n"
        "cleansession false\n"
        "keepalive_interval {keepalive}\n"
        "restart_timeout 1 5\n"
        "bridge_protocol_version mqttv311\n"
        "notifications true\n"
        "notifications_local_only false\n"
        "notification_topic {prefix}{bridge_state}\n"
        "topic {set_config} in 1 \"\" {prefix}\n"
        "topic {changed} out 1 \"\" {prefix}\n"
        "topic {health} out 1 \"\" {prefix}\n"
        "topic {connection} out 1 \"\" {prefix}\n"
        "topic {associated} both 1 \"\" {prefix}\n",
        fmt::arg("prefix", prefix), fmt::arg("host", bridge.cloud_host), fmt::arg("port", bridge.cloud_port),
        fmt::arg("id", bridge.device_id), fmt::arg("keepalive", bridge.keepalive_seconds),
        fmt::arg("client_id", topics::lamp_client_id(bridge.device_id)),
        fmt::arg("bridge_state", topics::connection_state(topics::kBridgeClient)),
        fmt::arg("set_config", topics::kSetConfig), fmt::arg("changed", topics::kChanged),
        fmt::arg("health", topics::kHealth), fmt::arg("connection", topics::kConnectionStatePattern),
        fmt::arg("associated", topics::kAssociated));
    if (bridge.tls) {
        out += fmt::format("bridge_cafile {}\nbridge_certfile {}\nbridge_keyfile {}\n", bridge.tls->ca_file,
                           bridge.tls->cert_file, bridge.tls->key_file);
    }
    return out;
}

}  // namespace lampi
