// Onboarding: while nobody owns this lamp it offers a short one-time code on
// lamp/associated (retained) and shows it (on the lamp's screen; for a simulated
// lamp, in a file). A user types the code into the cloud, which answers
// {"claimed": true}; the lamp saves that and stays quiet across restarts. When its
// owner lets it go ({"claimed": false}) it offers a new code.
//
// Codes are renewed before the cloud lets them expire. Single-threaded, like
// LampService: every method runs on the thread that drives the MqttClient.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lampi/mqtt_client.h"
#include "lampi/status.h"

namespace lampi::lampid {

class Onboarding {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds kCodeLifetime{600};

    // `state_file` remembers whether the lamp is claimed; `code_file` ("" for
    // none) shows the current code.
    Onboarding(MqttClient& mqtt, std::string state_file, std::string code_file);

    Status load();
    void on_connected(Clock::time_point now);
    void handle(std::string_view payload, Clock::time_point now);
    // Renews the code when it is about to expire.
    void tick(Clock::time_point now);

    bool claimed() const { return claimed_; }
    const std::string& code() const { return code_; }

private:
    void offer_new_code(Clock::time_point now);
    void show(std::string_view text);
    Status save();

    MqttClient& mqtt_;
    std::string state_file_;
    std::string code_file_;
    bool claimed_ = false;
    std::string code_;
    Clock::time_point renew_at_{};
};

// Six random decimal digits.
std::string make_association_code();

}  // namespace lampi::lampid
