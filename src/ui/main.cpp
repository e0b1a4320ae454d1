// lampi-ui: the lamp's touch screen. Parses options and hands them to run_ui (ui_app.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "lampi/broker_cli.h"
#include "lampi/log_cli.h"
#include "ui_app.h"

namespace {

int parse_and_run(int argc, char** argv) {
    using namespace lampi;
    CLI::App app{
        "lampi-ui: the LAMPi lamp's touch screen. Shows and sets the lamp's state (power, hue,\n"
        "saturation, brightness) over the lamp's local broker, the association code while the lamp\n"
        "is unclaimed, and whether the lamp reaches the cloud."};
    app.set_config("--config", "", "read options from an INI/TOML file (keys are option names)");
    ui::UiOptions o = ui::default_ui_options();
    add_lamp_broker_options(app, o.mqtt, o.password_file);
    app.add_option("--device-id", o.device_id,
                   "the lamp whose bridge state is shown (default: the broker's only bridge)");
    app.add_option("--width", o.width, "screen width in pixels")->capture_default_str();
    app.add_option("--height", o.height, "screen height in pixels")->capture_default_str();
    app.add_flag("--fullscreen", o.fullscreen, "take the whole display (the lamp's own screen)");
    app.add_flag("--gpu", o.gpu, "draw with OpenGL (default: in memory, which needs no GL driver)");
    app.add_option("--screenshot", o.screenshot,
                   "wait for the first retained lamp state, draw one frame to this PNG file and exit");
    app.add_option("--screenshot-pairing", o.screenshot_pairing,
                   "with --screenshot: draw this pairing prompt (a lamp/ble/pairing JSON payload) over the screen");
    app.add_option("--screenshot-timeout", o.screenshot_timeout_seconds, "seconds --screenshot waits for the state")
        ->capture_default_str();
    add_log_options(app, o.log_level, o.log_format);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);  // --help exits 0, a usage error non-zero
    }
    return ui::run_ui(std::move(o));
}

}  // namespace

// As lampi-ble's main (src/ble/main.cpp): each program parses its own options with
// CLI11 the same way, and an exception that escapes ends it with one line naming it and 1.
int main(int argc, char** argv) {
    try {
        return parse_and_run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lampi-ui: %s\n", e.what());
        return 1;
    }
}
