// run_ble: lampi-ble's whole life. One thread runs one poll loop over the D-Bus
// connection, the broker link's wake-ups and SIGTERM/SIGINT, so every D-Bus
// object is touched from that thread only (sd-bus is not thread-safe).
#pragma once

#include <string>

#include "lampi/mqtt_client.h"

namespace lampi::ble {

struct BleOptions {
    MqttOptions mqtt;
    std::string password_file;
    std::string device_id;       // empty: from the first network interface's MAC, as lampid does
    std::string bus = "system";  // "system", or a D-Bus address (unix:path=...)
    std::string adapter = "/org/bluez/hci0";
    // How long a pairing prompt waits on the lamp's screen before the pairing is refused.
    int pairing_timeout_ms = 30'000;
    std::string log_level = "info";
    std::string log_format = "text";
};

BleOptions default_ble_options();

// Exit code: 0 after SIGTERM/SIGINT, 2 for bad options, 1 when the broker link
// cannot start. A bus that is not there yet is waited for.
int run_ble(BleOptions options);

}  // namespace lampi::ble
