// `lampid bridge-config`: the lamp broker's bridge to a cloud, printed as
// Mosquitto configuration for a packaged lamp (lamp-join-cloud writes it to
// /etc/mosquitto/conf.d/). The device id comes from the lamp's certificate, so
// the bridge logs in as the identity the cloud signed.
#pragma once

#include <string>

namespace lampi::lampid {

struct BridgeCommandOptions {
    std::string cloud_host;
    int cloud_port = 8883;
    std::string ca_file;    // the CA that vouches for the cloud broker
    std::string cert_file;  // the lamp's certificate (its CN is the device id)
    std::string key_file;
};

// Prints the configuration; exit 0, or 1 with a sentence on stderr.
int run_bridge_config(const BridgeCommandOptions& options);

}  // namespace lampi::lampid
