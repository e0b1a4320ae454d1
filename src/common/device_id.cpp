#include "lampi/device_id.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <vector>

namespace lampi {

bool is_valid_device_id(std::string_view id) {
    return id.size() == 12 && std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

Result<std::string> normalize_device_id(std::string_view text) {
    std::string id;
    for (char c : text) {
        if (c == ':' || c == '-') continue;
        id.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    }
    if (!is_valid_device_id(id)) {
        return Status::error(fmt::format(
            "device id \"{}\" is not 12 hex digits (e.g. b827eb74663e or B8:27:EB:74:66:3E)", text));
    }
    return id;
}

std::string device_id_from_number(std::uint64_t number) { return fmt::format("{:012x}", number & 0xffff'ffff'ffffULL); }

std::optional<std::uint64_t> device_id_number(std::string_view id) {
    if (!is_valid_device_id(id)) return std::nullopt;
    std::uint64_t number = 0;
    std::from_chars(id.data(), id.data() + id.size(), number, 16);
    return number;
}

Result<std::string> device_id_from_mac(const std::string& sysfs_net) {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(sysfs_net, ec)) {
        names.push_back(entry.path().filename().string());
    }
    if (ec) return Status::error(fmt::format("cannot list {}: {}", sysfs_net, ec.message()));
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        if (name == "lo") continue;
        std::ifstream file(sysfs_net + "/" + name + "/address");
        std::string mac;
        if (!(file >> mac) || mac == "00:00:00:00:00:00") continue;
        Result<std::string> id = normalize_device_id(mac);
        if (id) return id;
    }
    return Status::error(fmt::format(
        "no network interface with a MAC address under {}: pass --device-id", sysfs_net));
}

}  // namespace lampi
