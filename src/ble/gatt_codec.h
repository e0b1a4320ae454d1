// The LAMPi GATT service's characteristics and their byte encoding: the
// contract between lampi-ble and a phone (or anything else speaking GATT).
//
// Service 4c414d50-6900-4c50-8000-000000000001 ("LAMPi" in its first bytes):
//   ...0002 colour       4 bytes: hue, saturation; each a little-endian uint16, 0..65535 for 0..1
//   ...0003 brightness   2 bytes: a little-endian uint16, 0..65535 for 0..1
//   ...0004 power        1 byte: 0 off, 1 on
//   ...0005 device id    12 ASCII hex digits, read only
// Each is readable and sends notifications; all but the device id are
// writable. A whole value is written at once (offset 0).
//
// A refused write names a BlueZ error, which bluetoothd turns into the ATT
// error the phone sees (BlueZ's src/gatt-database.c):
//   org.bluez.Error.InvalidValueLength  -> 0x0d invalid attribute value length
//   org.bluez.Error.InvalidOffset       -> 0x07 invalid offset
//   org.bluez.Error.NotPermitted        -> 0x03 write not permitted (the device id)
//   org.bluez.Error.Failed "0x80"       -> 0x80 application error: value out of range
//   org.bluez.Error.Failed "0x81"       -> 0x81 application error: the lamp is not reachable
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/lamp_state.h"

namespace lampi::ble {

enum class Characteristic { colour, brightness, power, device_id };

inline constexpr std::string_view kServiceUuid = "4c414d50-6900-4c50-8000-000000000001";
inline constexpr std::array<Characteristic, 4> kCharacteristics = {Characteristic::colour, Characteristic::brightness,
                                                                   Characteristic::power, Characteristic::device_id};

std::string_view uuid_of(Characteristic c);
std::string_view name_of(Characteristic c);
bool writable(Characteristic c);

// The BlueZ error names of a refused write (see above), constants like the topic
// names in lampi/topics.h: strings another program matches, each spelled once.
inline constexpr std::string_view kInvalidValueLength = "org.bluez.Error.InvalidValueLength";
inline constexpr std::string_view kInvalidOffset = "org.bluez.Error.InvalidOffset";
inline constexpr std::string_view kNotPermitted = "org.bluez.Error.NotPermitted";
inline constexpr std::string_view kFailed = "org.bluez.Error.Failed";
inline constexpr std::string_view kOutOfRangeCode = "0x80";
inline constexpr std::string_view kUnreachableCode = "0x81";

struct WriteRefusal {
    std::string error_name;  // one of the names above
    std::string message;     // for kFailed, the ATT code ("0x80"); else for people
};

// What a characteristic reads as for `state`.
std::vector<std::uint8_t> encode(Characteristic c, const LampState& state, std::string_view device_id);

// A write as the partial update it asks for, or why it is refused.
struct DecodedWrite {
    std::optional<LampUpdate> update;
    std::optional<WriteRefusal> refusal;
};
DecodedWrite decode_write(Characteristic c, std::span<const std::uint8_t> value, std::uint16_t offset = 0);

}  // namespace lampi::ble
