// Fuzzes the MQTT contract's decoders (payloads and topic names): decoding never
// crashes, accepted updates keep the state in range, and whatever decodes
// re-encodes to the same thing.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "lampi/device_id.h"
#include "lampi/lamp_codec.h"
#include "lampi/topics.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

bool in_unit(double v) { return v >= 0.0 && v <= 1.0; }

// Boost.JSON 1.81's fast number parser may land one ULP off the exact value, so
// a re-encoded number can differ in its last bit: equal within 1e-12 is the same.
bool close(const std::optional<double>& a, const std::optional<double>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || std::fabs(*a - *b) <= 1e-12;
}

bool same_settings(const lampi::LampState& a, const lampi::LampState& b) {
    return a.on == b.on && close(a.hue, b.hue) && close(a.saturation, b.saturation) &&
           close(a.brightness, b.brightness);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view payload(reinterpret_cast<const char*>(data), size);

    if (auto decoded = lampi::decode_set_config(payload)) {
        lampi::LampState state;
        lampi::apply_update(state, decoded->update);
        check(in_unit(state.hue) && in_unit(state.saturation) && in_unit(state.brightness));
        auto again = lampi::decode_set_config(lampi::encode_set_config(decoded->update));
        check(again.is_ok() && again->warnings.empty());
        check(close(again->update.hue, decoded->update.hue) && again->update.on == decoded->update.on &&
              again->update.client == decoded->update.client && again->update.sent_at == decoded->update.sent_at);
    }
    if (auto state = lampi::decode_changed(payload)) {
        auto again = lampi::decode_changed(lampi::encode_changed(*state));
        check(again.is_ok() && same_settings(*again, *state) && again->version == state->version &&
              again->client == state->client && again->changed_at == state->changed_at);
    }
    if (auto health = lampi::decode_health(payload)) {
        auto again = lampi::decode_health(lampi::encode_health(*health));
        check(again.is_ok() && again->durable == health->durable && again->led == health->led &&
              again->error == health->error && again->live.has_value() == health->live.has_value());
        if (health->live) check(same_settings(*again->live, *health->live));
    }
    if (auto association = lampi::decode_association(payload)) {
        if (!association->code) {
            auto again = lampi::decode_association(lampi::encode_association_answer(association->claimed));
            check(again.is_ok() && again->claimed == association->claimed && !again->code && !again->expires_in);
        } else if (!association->claimed && association->expires_in && *association->expires_in <= INT32_MAX) {
            auto seconds = static_cast<int>(*association->expires_in);
            auto again = lampi::decode_association(lampi::encode_association_offer(*association->code, seconds));
            check(again.is_ok() && again->code == association->code && again->expires_in == association->expires_in &&
                  !again->claimed);
        }
    }
    if (auto topic = lampi::topics::parse_lamp_topic(payload)) {
        check(lampi::is_valid_device_id(topic->device_id) && !topic->local.empty());
        check(lampi::topics::cloud(topic->device_id, topic->local) == payload);
    }
    if (auto client = lampi::topics::parse_connection_state(payload)) {
        check(!client->empty() && client->find('/') == std::string_view::npos);
        check(lampi::topics::connection_state(*client) == payload);
    }
    return 0;
}
