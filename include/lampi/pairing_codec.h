// The Bluetooth pairing prompt between lampi-ble and the lamp's screen (DESIGN.md,
// "Bluetooth pairing"): lampi-ble shows a prompt on lamp/ble/pairing and withdraws
// it there; the screen answers on lamp/ble/pairing/answer. Non-retained: a prompt
// is worth nothing once its pairing attempt is over.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi {

// What lamp/ble/pairing carries: a prompt to show, or the withdrawal of one.
struct PairingPrompt {
    std::string id;                           // matches the answer to the prompt
    bool withdrawn = false;                   // true: stop showing prompt `id` (the rest is empty)
    std::uint32_t passkey = 0;                // 0..999999, shown as six digits
    std::string label;                        // a short name for the device asking
    std::chrono::milliseconds expires_in{0};  // from when it is received
};

struct PairingAnswer {
    std::string id;
    bool allow = false;
};

// The passkey as the phone shows it: six digits, zero-padded.
std::string passkey_digits(std::uint32_t passkey);

std::string encode_pairing_prompt(const PairingPrompt& prompt);
Result<PairingPrompt> decode_pairing_prompt(std::string_view payload);
std::string encode_pairing_answer(const PairingAnswer& answer);
// invalid_argument unless {"id": non-empty string, "answer": "allow" | "deny"}.
Result<PairingAnswer> decode_pairing_answer(std::string_view payload);

}  // namespace lampi
