// The fixture of every suite that runs against the whole of `./lampi up` (see
// platform.h): the platform is started once per test suite, and every lamp
// reports through the cloud before the first test, so a refusal is never just
// a platform that had not finished starting.
#pragma once

#include <gtest/gtest.h>

#include <iostream>
#include <stdexcept>
#include <string>

#include "platform.h"

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

// One platform for a whole suite (starting one takes seconds): a suite's
// fixture derives from this with its lamp count and, optionally, the page's
// credential lifetime and the plugin's refresh period. Each test first checks the platform came up, and a
// failing test prints the platform's logs.
template <int Lamps, int CredentialSeconds = 0, int RefreshSeconds = 0>
class PlatformSuite : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        platform_ = new Platform;
        platform_->credential_seconds = CredentialSeconds;
        platform_->refresh_seconds = RefreshSeconds;
        setup_error_ = start_platform(*platform_, Lamps);
    }
    static void TearDownTestSuite() {
        if (!platform_) return;
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

}  // namespace lampi::testing
