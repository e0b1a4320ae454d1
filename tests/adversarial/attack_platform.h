// The platform the attacks run against (platform_suite.h), and the identities
// an attacker presents to it.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "attack_report.h"
#include "certificate_authority.h"
#include "platform_suite.h"
#include "stack_plan.h"
#include "wire.h"

namespace lampi::testing {

// TLS towards the platform's listeners, verifying the server against its CA.
inline TlsIdentity server_verified(const Platform& platform) { return TlsIdentity{platform.ca_file(), "", ""}; }

inline TlsIdentity lamp_identity(const Platform& platform, int lamp) {
    const auto& entry = platform.endpoints.at("lamps").at(static_cast<std::size_t>(lamp));
    return TlsIdentity{platform.ca_file(), std::string(entry.at("certificate").as_string()),
                       std::string(entry.at("key").as_string())};
}

// A lamp certificate from the platform's CA for a device id no running lamp
// uses, so an attack with a lamp identity never disturbs a real bridge (a lamp
// may hold one connection, with client id lamp-<id>).
inline TlsIdentity extra_lamp_identity(const Platform& platform, const std::string& device_id) {
    std::string prefix = platform.dir / ("extra-" + device_id);
    if (!std::filesystem::exists(prefix + ".pem")) {
        // Without the certificate every attack with it would fail to connect and
        // read as refused: a silent pass.
        auto authority = ca::CertificateAuthority::open(platform.ca_dir());
        if (!authority) throw std::runtime_error("cannot open the platform's CA: " + authority.status().message());
        if (auto issued = authority.value().issue_device(device_id, prefix); !issued)
            throw std::runtime_error("cannot issue a lamp certificate: " + issued.status().message());
    }
    return TlsIdentity{platform.ca_file(), prefix + ".pem", prefix + ".key"};
}

// How a lamp connects: its device id as username (the bridge's remote_username), client id lamp-<id>.
inline MqttConnect as_lamp(const std::string& device_id) {
    MqttConnect c = client_id_only("lamp-" + device_id);
    c.username = device_id;
    return c;
}

}  // namespace lampi::testing
