// Fuzzes the GATT write decoder (src/ble/gatt_codec.h), which reads whatever a
// central sends: decoding never crashes, exactly one of update and refusal
// comes back, accepted values stay in 0..1, and an accepted write re-encodes to
// the bytes that were written.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gatt_codec.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

bool in_unit(const std::optional<double>& v) { return !v || (*v >= 0.0 && *v <= 1.0); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lampi::ble;
    if (size < 3) return 0;
    auto kind = kCharacteristics[data[0] % kCharacteristics.size()];
    std::uint16_t offset = data[1] < 240 ? 0 : static_cast<std::uint16_t>(data[2]);
    std::span<const std::uint8_t> value(data + 3, size - 3);
    DecodedWrite decoded = decode_write(kind, value, offset);
    check(decoded.update.has_value() != decoded.refusal.has_value());
    if (decoded.refusal) {
        check(!decoded.refusal->error_name.empty());
        return 0;
    }
    const lampi::LampUpdate& u = *decoded.update;
    check(in_unit(u.hue) && in_unit(u.saturation) && in_unit(u.brightness));
    lampi::LampState state;
    static_cast<void>(lampi::apply_update(state, u));  // false only when nothing changed
    std::vector<std::uint8_t> again = encode(kind, state, "");
    check(std::equal(again.begin(), again.end(), value.begin(), value.end()));
    return 0;
}
