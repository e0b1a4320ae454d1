// The platform the attacks run against: the whole of `./lampi up` (see
// tests/support/platform.h), started once per test suite, with every lamp
// reporting through the cloud before the first attack, so a refusal is never
// just a platform that had not finished starting.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <stdexcept>
#include <string>

#include "attack_report.h"
#include "certificate_authority.h"
#include "platform.h"
#include "stack_plan.h"
#include "wire.h"

namespace lampi::testing {

inline std::string start_platform(Platform& platform, int lamps) {
    std::string error = platform.start(lamps);
    if (error.empty()) {
        MqttProbe watcher(platform.password_client("operator", platform.login("operator", "password")),
                          {"devices/+/lamp/changed"});
        for (int i = 0; i < lamps && error.empty(); ++i) {
            if (!watcher.wait_for(topics::cloud(platform.lamp_id(i), topics::kChanged), nullptr, 30s)) {
                error = "lamp " + platform.lamp_id(i) + " never reported through the cloud";
            }
        }
    }
    if (!error.empty()) error += "\n" + platform.logs();
    return error;
}

// One platform for a whole attack suite (starting one takes seconds): a suite's
// fixture derives from this with its lamp count and, optionally, the page's
// credential lifetime. Each test first checks the platform came up, and a
// failing test prints the platform's logs.
template <int Lamps, int CredentialSeconds = 0>
class PlatformSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        platform_ = new Platform;
        platform_->credential_seconds = CredentialSeconds;
        setup_error_ = start_platform(*platform_, Lamps);
    }
    static void TearDownTestSuite() {
        platform_->stop();
        delete platform_;
        platform_ = nullptr;
    }
    void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }
    void TearDown() override {
        if (HasFailure()) std::cerr << platform_->logs();
    }

    static inline Platform* platform_ = nullptr;
    static inline std::string setup_error_;
};

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
