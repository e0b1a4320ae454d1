// The one JSON codec for the MQTT contract's payloads (DESIGN.md).
//
// Decoding never throws and never trusts its input: malformed JSON, wrong types,
// out-of-range numbers and oversized payloads come back as a Status whose message
// says what was wrong. Unknown fields are ignored so newer senders keep working.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/lamp_state.h"
#include "lampi/status.h"

namespace lampi {

// Payloads above this size are rejected before parsing.
inline constexpr std::size_t kMaxPayloadBytes = 4096;

struct DecodedUpdate {
    LampUpdate update;
    // Human-readable notes about values that were clamped; empty when none were.
    std::vector<std::string> warnings;
};

// lamp/set_config: {"on": bool, "color": {"h", "s"}, "brightness", "client",
// "sent_at"}. Numbers out of 0..1 are clamped (with a warning); NaN or
// non-numbers are errors. "sent_at" (optional) is an integer, milliseconds since
// the Unix epoch on the sender's clock: lampid drops a command sent before the
// newest change it applied.
Result<DecodedUpdate> decode_set_config(std::string_view payload);
std::string encode_set_config(const LampUpdate& update);

// lamp/changed: the full state, including "version" and, once a change carried
// a time, "changed_at" (milliseconds since the Unix epoch).
std::string encode_changed(const LampState& state);
Result<LampState> decode_changed(std::string_view payload);

// lamp/associated (onboarding). The lamp announces {"code": "123456", "claimed":
// false, "expires_in": seconds}; the cloud answers {"claimed": true} when a user
// claimed it, or {"claimed": false} when its owner let it go. Both sides see
// their own message come back (the topic goes both ways). "claimed" is required;
// "code" is a string of at most 32 characters, "expires_in" a non-negative
// integer.
struct Association {
    std::optional<std::string> code;         // only in the lamp's announcement
    std::optional<std::int64_t> expires_in;  // seconds; only in the announcement
    bool claimed = false;
};
std::string encode_association_offer(std::string_view code, int expires_in_seconds);
std::string encode_association_answer(bool claimed);
Result<Association> decode_association(std::string_view payload);

// lamp/health (from the lamp, retained): whether the lamp can keep what it is
// told. {"durable": bool, "led": bool, "error": "...", "live": {"on", "color",
// "brightness", "client"}}. "error" says why when either flag is false; "live"
// is the state the LED shows while it is newer than the last one saved and
// announced on lamp/changed: a restart would lose it.
struct LampHealth {
    bool durable = true;
    bool led = true;
    std::string error;
    std::optional<LampState> live;  // its version is not part of the payload
};
std::string encode_health(const LampHealth& health);
Result<LampHealth> decode_health(std::string_view payload);

}  // namespace lampi
