#include "lampi/topics.h"

#include <fmt/core.h>

namespace lampi::topics {

std::string connection_state(std::string_view client_id) {
    return fmt::format("lamp/connection/{}/state", client_id);
}

std::string cloud_prefix(std::string_view device_id) {
    return fmt::format("devices/{}/", device_id);
}

std::string cloud(std::string_view device_id, std::string_view local_topic) {
    return fmt::format("devices/{}/{}", device_id, local_topic);
}

}  // namespace lampi::topics
