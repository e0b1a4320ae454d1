// lampid's whole run: from its options to a lamp speaking MQTT until SIGINT or
// SIGTERM. main.cpp parses the options into LampidOptions and calls run_lampid.
#pragma once

#include <string>
#include <vector>

#include "certificate_renewal.h"
#include "hardware/led_driver.h"
#include "lampi/mqtt_client.h"

namespace lampi::lampid {

struct LampidOptions {
    MqttOptions mqtt;           // the lamp's broker; client id and session are lampid's own
    std::string password_file;  // the password for mqtt.username
    std::string device_id;      // "": the MAC of the first network interface
    std::string state_file = "/var/lib/lampi/lamp-state.json";
    std::string log_level = "info";
    std::string log_format = "text";
    std::string association_file;  // "": beside the state file
    std::string code_file;         // where the association code is shown
    std::string status_file;       // for the operator (status_report.h); "": beside the state file
    // Home Assistant's MQTT discovery prefix; "" announces nothing to Home Assistant.
    std::string home_assistant_prefix = "homeassistant";
    LedDriverOptions led;
    // With renewal.cloud_url set, lampid renews the lamp's certificate itself
    // (certificate_renewal.h); all of cloud_url, ca_file, key_file and cert_file are then needed.
    RenewalFiles renewal;
    int renew_days_before_expiry = 30;
    std::vector<int> channels, pins;  // sysfs-pwm channels, pigpiod pins (red, green, blue)
};

// Defaults lampid always runs with: its client id, and a persistent session so the
// broker queues the commands that arrive while lampid restarts.
LampidOptions default_lampid_options();

// Exit code: 0 stopped by a signal, 1 a part could not start, 2 bad options.
int run_lampid(LampidOptions options);

// `lampid status`: what the running lampid's status file says (print_status).
int run_status(const LampidOptions& options, bool raw);

}  // namespace lampi::lampid
