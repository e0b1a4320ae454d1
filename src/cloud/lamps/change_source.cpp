#include "lamps/change_source.h"

#include "lampi/topics.h"

namespace lampi::cloud::lamps {

std::string_view change_source(std::string_view client) {
    if (client == topics::kScreenClient) return "lamp_ui";
    if (client == topics::kBleClient) return "lamp_ble";
    if (client == topics::kHomeAssistantClient) return "homeassistant";
    if (client == topics::kLampServiceClient) return "lamp_service";
    // The page's Bluetooth view tags its changes web-ble-<random>, the control page web-<random>.
    if (client.starts_with("web-ble-")) return "web_ble";
    if (client.starts_with("web-")) return "web";
    if (client == kApiClient) return "api";
    if (client == kScheduleClient) return "schedule";
    return "other";
}

}  // namespace lampi::cloud::lamps
