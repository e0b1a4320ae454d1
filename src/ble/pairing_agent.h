// PairingAgent: bluetoothd's pairing agent (org.bluez.Agent1, BlueZ's
// doc/org.bluez.Agent.rst) with the "DisplayYesNo" capability, so a phone can
// pair only when someone at the lamp confirms on its screen that both show the
// same passkey. RequestConfirmation publishes a prompt (through `show`) and
// answers bluetoothd later - when the screen's answer arrives, the prompt
// expires, or bluetoothd cancels - so the D-Bus loop never waits on a person.
// Everything else an agent may be asked (a PIN, a passkey to type, a pairing
// with no passkey, a service) is refused: the lamp has no keyboard, and
// "just works" pairing would let anyone in range pair unseen.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lampi/pairing_codec.h"

namespace lampi::ble {

inline constexpr const char* kAgentCapability = "DisplayYesNo";
inline constexpr const char* kRejected = "org.bluez.Error.Rejected";

class PairingAgent {
public:
    using Clock = std::chrono::steady_clock;
    // `show` publishes a prompt or its withdrawal; false when it could not.
    using Show = std::function<bool(const PairingPrompt&)>;

    PairingAgent(sdbus::IConnection& bus, std::string path, std::chrono::milliseconds timeout, Show show);

    // Whether the lamp's screen is connected (its lamp/connection/lamp_ui/state).
    // Without it nobody can confirm, so a request is refused at once.
    void set_screen_present(bool present);
    // An answer from lamp/ble/pairing/answer; malformed or unmatched ones are logged and dropped.
    void on_answer(std::string_view payload);
    // When on_tick() must run next (nullopt: nothing pending).
    std::optional<Clock::time_point> deadline() const;
    // Refuses a request whose prompt has expired.
    void on_tick(Clock::time_point now);

private:
    struct Pending {
        std::string id;
        sdbus::Result<> reply;
        Clock::time_point expires;
    };
    void request_confirmation(sdbus::Result<>&& reply, const sdbus::ObjectPath& device, std::uint32_t passkey);
    // Answers the pending request (nullptr: accept), and withdraws its prompt unless the screen answered.
    void finish(const sdbus::Error* refusal, bool withdraw);

    std::string path_;
    std::chrono::milliseconds timeout_;
    Show show_;
    std::unique_ptr<sdbus::IObject> object_;
    std::optional<Pending> pending_;
    bool screen_present_ = false;
    std::uint64_t prompts_ = 0;
};

// A short label for the device at a BlueZ object path: ".../dev_00_11_22_33_44_55"
// gives "device 44:55" (the last two bytes of its address, as a phone's settings show them).
std::string device_label(const std::string& device_path);

}  // namespace lampi::ble
