#include "gatt_codec.h"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace lampi::ble {
namespace {

constexpr double kScale = 65535.0;

std::uint16_t to_u16(double unit) {
    double clamped = std::isnan(unit) ? 0.0 : std::clamp(unit, 0.0, 1.0);
    return static_cast<std::uint16_t>(std::lround(clamped * kScale));
}

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
    out.push_back(static_cast<std::uint8_t>(v >> 8));
}

double get_unit(std::span<const std::uint8_t> bytes, std::size_t at) {
    return static_cast<double>(bytes[at] | (bytes[at + 1] << 8)) / kScale;
}

std::size_t length_of(Characteristic c) {
    switch (c) {
        case Characteristic::colour: return 4;
        case Characteristic::brightness: return 2;
        case Characteristic::power: return 1;
        case Characteristic::device_id: return 12;
    }
    return 0;
}

DecodedWrite refuse(std::string_view name, std::string message) {
    return DecodedWrite{std::nullopt, WriteRefusal{std::string(name), std::move(message)}};
}

}  // namespace

std::string_view uuid_of(Characteristic c) {
    switch (c) {
        case Characteristic::colour: return "4c414d50-6900-4c50-8000-000000000002";
        case Characteristic::brightness: return "4c414d50-6900-4c50-8000-000000000003";
        case Characteristic::power: return "4c414d50-6900-4c50-8000-000000000004";
        case Characteristic::device_id: return "4c414d50-6900-4c50-8000-000000000005";
    }
    return {};
}

std::string_view name_of(Characteristic c) {
    switch (c) {
        case Characteristic::colour: return "colour";
        case Characteristic::brightness: return "brightness";
        case Characteristic::power: return "power";
        case Characteristic::device_id: return "device id";
    }
    return {};
}

bool writable(Characteristic c) { return c != Characteristic::device_id; }

std::vector<std::uint8_t> encode(Characteristic c, const LampState& state, std::string_view device_id) {
    std::vector<std::uint8_t> out;
    switch (c) {
        case Characteristic::colour:
            put_u16(out, to_u16(state.hue));
            put_u16(out, to_u16(state.saturation));
            break;
        case Characteristic::brightness: put_u16(out, to_u16(state.brightness)); break;
        case Characteristic::power: out.push_back(state.on ? 1 : 0); break;
        case Characteristic::device_id: out.assign(device_id.begin(), device_id.end()); break;
    }
    return out;
}

DecodedWrite decode_write(Characteristic c, std::span<const std::uint8_t> value, std::uint16_t offset) {
    if (!writable(c)) return refuse(kNotPermitted, fmt::format("the {} cannot be written", name_of(c)));
    if (offset != 0)
        return refuse(kInvalidOffset, fmt::format("write the whole {} at offset 0, not {}", name_of(c), offset));
    if (value.size() != length_of(c))
        return refuse(kInvalidValueLength,
                      fmt::format("the {} takes {} bytes, not {}", name_of(c), length_of(c), value.size()));
    LampUpdate update;
    switch (c) {
        case Characteristic::colour:
            update.hue = get_unit(value, 0);
            update.saturation = get_unit(value, 2);
            break;
        case Characteristic::brightness: update.brightness = get_unit(value, 0); break;
        case Characteristic::power:
            if (value[0] > 1) return refuse(kFailed, std::string(kOutOfRangeCode));
            update.on = value[0] == 1;
            break;
        case Characteristic::device_id: break;
    }
    return DecodedWrite{update, std::nullopt};
}

}  // namespace lampi::ble
