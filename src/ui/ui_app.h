// lampi-ui's whole run: from its options to the lamp's screen, until the window
// is closed or SIGINT/SIGTERM arrives. main.cpp parses the options into
// UiOptions and calls run_ui.
#pragma once

#include <string>

#include "lampi/mqtt_client.h"

namespace lampi::ui {

struct UiOptions {
    MqttOptions mqtt;           // the lamp's broker; the client id is lamp_ui
    std::string password_file;  // the password for mqtt.username
    std::string device_id;      // whose bridge state to show; "": the lamp's only bridge
    int width = 800, height = 480;
    bool fullscreen = false;
    bool gpu = false;        // SDL's OpenGL renderer instead of drawing in memory (README, "Memory")
    std::string screenshot;  // draw one frame to this PNG and exit
    int screenshot_timeout_seconds = 10;
    std::string screenshot_pairing;  // a lamp/ble/pairing prompt to draw in the screenshot
    std::string log_level = "info";
    std::string log_format = "text";
};

UiOptions default_ui_options();

// Exit code: 0 closed or stopped by a signal, 1 a part could not start (or no
// state came for --screenshot), 2 bad options.
int run_ui(UiOptions options);

}  // namespace lampi::ui
