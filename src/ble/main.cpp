// lampi-ble: the lamp's Bluetooth LE service. Parses options and hands them to run_ble (ble_app.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "ble_app.h"
#include "lampi/broker_cli.h"
#include "lampi/log_cli.h"

namespace {

int parse_and_run(int argc, char** argv) {
    using namespace lampi;
    CLI::App app{
        "lampi-ble: the LAMPi lamp's Bluetooth LE service. Offers the lamp's power, colour and\n"
        "brightness as GATT characteristics through BlueZ (D-Bus), passes writes to the lamp's\n"
        "broker as set_config, and notifies subscribed phones of every change."};
    app.set_config("--config", "", "read options from an INI/TOML file (keys are option names)");
    ble::BleOptions o = ble::default_ble_options();
    add_lamp_broker_options(app, o.mqtt, o.password_file);
    app.add_option("--device-id", o.device_id,
                   "this lamp's id, as lampid's (default: the MAC of the first network interface)");
    app.add_option("--bus", o.bus, "D-Bus to find BlueZ on: system, session, or an address (unix:path=...)")
        ->capture_default_str();
    app.add_option("--adapter", o.adapter, "BlueZ adapter object to register with")->capture_default_str();
    app.add_option("--pairing-timeout-ms", o.pairing_timeout_ms,
                   "how long a pairing prompt waits for an answer on the lamp's screen")
        ->capture_default_str()
        ->check(CLI::Range(1, 600'000));
    add_log_options(app, o.log_level, o.log_format);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);  // --help exits 0, a usage error non-zero
    }
    return ble::run_ble(std::move(o));
}

}  // namespace

// As in lampi-ui's main: an exception that escapes ends the program with its name
// and 1; a line each, so the message names the program.
int main(int argc, char** argv) {
    try {
        return parse_and_run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lampi-ble: %s\n", e.what());
        return 1;
    }
}
