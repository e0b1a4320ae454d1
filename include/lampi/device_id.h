// Device ids: a lamp's 12 lowercase hex digits (its MAC address on a Pi).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi {

bool is_valid_device_id(std::string_view id);

// Lower-cases and strips ':' or '-' separators ("B8:27:EB:74:66:3E" -> "b827eb74663e"),
// then validates.
Result<std::string> normalize_device_id(std::string_view text);

// A device id as the 48-bit number it spells, and back: ids that count up (a
// simulated fleet, the lamps of a one-machine stack) are made from numbers.
// device_id_from_number uses the low 48 bits; device_id_number takes only a
// valid id (normalize user input first).
std::string device_id_from_number(std::uint64_t number);
std::optional<std::uint64_t> device_id_number(std::string_view id);

// The MAC of the first non-loopback interface under `sysfs_net` (sorted by name),
// as a device id. `sysfs_net` is a parameter so tests can point it at a fake tree.
Result<std::string> device_id_from_mac(const std::string& sysfs_net = "/sys/class/net");

}  // namespace lampi
