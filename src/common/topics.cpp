#include "lampi/topics.h"

#include <fmt/core.h>

#include "lampi/device_id.h"

namespace lampi::topics {
namespace {

constexpr std::string_view kDevicesPrefix = "devices/";
constexpr std::string_view kConnectionPrefix = "lamp/connection/";
constexpr std::string_view kStateSuffix = "/state";

}  // namespace

std::string lamp_client_id(std::string_view device_id) { return fmt::format("{}{}", kLampClientPrefix, device_id); }

std::string connection_state(std::string_view client_id) {
    return fmt::format("{}{}{}", kConnectionPrefix, client_id, kStateSuffix);
}

std::string home_assistant_discovery(std::string_view prefix, std::string_view device_id) {
    return fmt::format("{}/light/{}/config", prefix, device_id);
}

std::string cloud_prefix(std::string_view device_id) { return fmt::format("{}{}/", kDevicesPrefix, device_id); }

std::string cloud(std::string_view device_id, std::string_view local_topic) {
    return fmt::format("{}{}/{}", kDevicesPrefix, device_id, local_topic);
}

std::optional<LampTopic> parse_lamp_topic(std::string_view topic) {
    if (!topic.starts_with(kDevicesPrefix)) return std::nullopt;
    std::string_view rest = topic.substr(kDevicesPrefix.size());
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    LampTopic parsed{rest.substr(0, slash), rest.substr(slash + 1)};
    if (!is_valid_device_id(parsed.device_id) || parsed.local.empty()) return std::nullopt;
    return parsed;
}

std::optional<std::string_view> parse_connection_state(std::string_view local_topic) {
    if (!local_topic.starts_with(kConnectionPrefix) || !local_topic.ends_with(kStateSuffix)) return std::nullopt;
    if (local_topic.size() <= kConnectionPrefix.size() + kStateSuffix.size()) return std::nullopt;
    std::string_view client = local_topic.substr(kConnectionPrefix.size(),
                                                 local_topic.size() - kConnectionPrefix.size() - kStateSuffix.size());
    if (client.find('/') != std::string_view::npos) return std::nullopt;
    return client;
}

}  // namespace lampi::topics
