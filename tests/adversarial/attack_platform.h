// The platform the attacks run against: the whole of `./lampi up` (see
// tests/support/platform.h), started once per test suite, with every lamp
// reporting through the cloud before the first attack, so a refusal is never
// just a platform that had not finished starting.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "attack_report.h"
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

// TLS towards the platform's listeners, verifying the server against its CA.
inline TlsIdentity server_verified(const Platform& platform) { return TlsIdentity{platform.ca_file(), "", ""}; }

inline TlsIdentity lamp_identity(const Platform& platform, int lamp) {
    const auto& entry = platform.endpoints.at("lamps").at(static_cast<std::size_t>(lamp));
    return TlsIdentity{platform.ca_file(), std::string(entry.at("certificate").as_string()),
                       std::string(entry.at("key").as_string())};
}

}  // namespace lampi::testing
