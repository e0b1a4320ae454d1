// lampi-stack: writes the configuration of the one-machine platform that
// `./lampi up` runs under supervisord.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "stack_plan.h"

int main(int argc, char** argv) {
    using namespace lampi::stack;
    CLI::App app{"lampi-stack: writes the configuration of a one-machine LAMPi platform: the cloud\n"
                 "broker (TLS, auth plugin), lampi-cloud, simulated lamps with their brokers and bridges,\n"
                 "supervisord, the CA and certificates (made on first run) and endpoints.json."};
    app.require_subcommand(1);
    StackOptions options;
    CLI::App* render = app.add_subcommand("render", "write every configuration file under --dir");
    render->add_option("--dir", options.dir, "configs, state and logs")->capture_default_str();
    render->add_option("--lamps", options.lamps, "number of simulated lamps")->capture_default_str();
    render->add_option("--port-base", options.port_base, "first port; every listener is at a fixed offset")
        ->capture_default_str();
    render->add_option("--build-dir", options.build_dir, "the build tree holding lampid, lampi-cloud and the plugin")
        ->required();
    render->add_option("--mosquitto", options.mosquitto, "the mosquitto broker binary")->capture_default_str();
    render->add_option("--log-level", options.log_level, "log level of the LAMPi services")->capture_default_str();
    render->add_option("--credential-seconds", options.credential_seconds,
                       "lifetime of the control page's broker credential (default: lampi-cloud's)");
    CLI11_PARSE(app, argc, argv);

    auto plan = plan_stack(options);
    if (!plan) {
        fmt::print(stderr, "lampi-stack: {}\n", plan.status().message());
        return 2;
    }
    if (auto written = write_stack(*plan); !written) {
        fmt::print(stderr, "lampi-stack: {}\n", written.message());
        return 1;
    }
    fmt::print("{}\n", plan->options.dir + "/endpoints.json");
    return 0;
}
