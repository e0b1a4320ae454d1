#include "bridge_command.h"

#include <fmt/core.h>

#include <cstdio>

#include "key_files.h"
#include "lampi/bridge_config.h"
#include "lampi/device_id.h"
#include "x509_builder.h"

namespace lampi::lampid {

int run_bridge_config(const BridgeCommandOptions& options) {
    auto fail = [](const std::string& why) {
        fmt::print(stderr, "lampid bridge-config: {}\n", why);
        return 1;
    };
    if (options.cloud_host.empty() || options.cloud_host.find_first_of(" \t\n:/") != std::string::npos) {
        return fail(
            fmt::format("\"{}\" is not a host name or IPv4 address: give the cloud's name without a port "
                        "(the port is --cloud-port)",
                        options.cloud_host));
    }
    Result<ca::X509Ptr> cert = ca::load_certificate(options.cert_file);
    if (!cert) return fail(fmt::format("{} (enroll the lamp first: lampid enroll)", cert.status().message()));
    std::string device_id = ca::subject_common_name(cert->get());
    if (!is_valid_device_id(device_id)) {
        return fail(fmt::format("{} is not a lamp's certificate: its CN \"{}\" is not a device id", options.cert_file,
                                device_id));
    }
    BridgeSettings bridge;
    bridge.device_id = device_id;
    bridge.cloud_host = options.cloud_host;
    bridge.cloud_port = options.cloud_port;
    bridge.tls = BridgeTls{options.ca_file, options.cert_file, options.key_file};
    fmt::print("# The bridge of lamp {} to the LAMPi cloud at {}:{}, written by lamp-join-cloud.\n{}", device_id,
               options.cloud_host, options.cloud_port, render_bridge_config(bridge));
    return 0;
}

}  // namespace lampi::lampid
