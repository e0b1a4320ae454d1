// Onboarding: while nobody owns this lamp it offers a short one-time code on
// lamp/associated (retained) and shows it (on the lamp's screen; for a simulated
// lamp, in a file). A user types the code into the cloud, which answers
// {"claimed": true}; the lamp saves that and stays quiet across restarts. When its
// owner lets it go ({"claimed": false}) it offers a new code.
//
// Codes are renewed before the cloud lets them expire. Single-threaded, like
// LampController: every method runs on the thread that drives the broker
// connection.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "clock.h"
#include "lampi/status.h"
#include "publisher.h"

namespace lampi::lampid {

class Onboarding {
public:
    static constexpr std::chrono::seconds kCodeLifetime{600};
    // Renewed this long before the cloud would let it expire.
    static constexpr std::chrono::seconds kRenewMargin{60};

    // `state_file` remembers whether the lamp is claimed; `code_file` ("" for
    // none) shows the current code.
    Onboarding(Publisher& broker, Clock clock, std::string state_file, std::string code_file);

    Status load();
    void on_connected();
    // Offers the current code again (nothing once claimed): for a bridge that
    // has just come up and did not carry the first offer to the cloud.
    void announce();
    void handle(std::string_view payload);
    // Renews the code when it is about to expire.
    void tick();

    bool claimed() const { return claimed_; }
    const std::string& code() const { return code_; }

private:
    void offer_new_code();
    void show(std::string_view text);
    Status save();

    Publisher& broker_;
    Clock clock_;
    std::string state_file_;
    std::string code_file_;
    bool claimed_ = false;
    std::string code_;
    Clock::SteadyTime renew_at_{};
};

// Six random decimal digits.
std::string make_association_code();

}  // namespace lampi::lampid
