// The command-line options of a program on the lamp that logs into the lamp's
// broker (lampid, lampi-ui), so they are spelled and explained alike. Only
// main.cpp files include this (it pulls in CLI11).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "lampi/mqtt_client.h"

namespace lampi {

// --host, --port, --username, --password-file and --keepalive; pass the file to
// read_password_file() (mqtt_client.h) once the options are parsed.
inline void add_lamp_broker_options(CLI::App& app, MqttOptions& mqtt, std::string& password_file) {
    app.add_option("--host", mqtt.host, "local MQTT broker host")->capture_default_str();
    app.add_option("--port", mqtt.port, "local MQTT broker port")->capture_default_str()->check(CLI::Range(1, 65535));
    app.add_option("--username", mqtt.username, "login on the local broker (none: anonymous)");
    app.add_option("--password-file", password_file,
                   "file holding the password for --username (never on the command line)");
    app.add_option("--keepalive", mqtt.keepalive_seconds, "MQTT keepalive in seconds")->capture_default_str();
}

}  // namespace lampi
