#include "run/source_addresses.h"

#include <fmt/core.h>

namespace lampi::load {

bool is_loopback_host(const std::string& host) { return host == "localhost" || host.starts_with("127."); }

std::vector<std::string> choose_source_addresses(const std::string& host, std::size_t connections,
                                                 const std::vector<std::string>& explicit_addresses) {
    if (!explicit_addresses.empty()) return explicit_addresses;
    if (!is_loopback_host(host) || connections <= kConnectionsPerSourceAddress) return {};
    std::size_t count = (connections + kConnectionsPerSourceAddress - 1) / kConnectionsPerSourceAddress;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count && i < 250; ++i) out.push_back(fmt::format("127.0.0.{}", i + 1));
    return out;
}

}  // namespace lampi::load
