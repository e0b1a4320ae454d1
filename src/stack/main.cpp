// lampi-stack: the one-machine platform that `./lampi up` runs under supervisord:
// writes its configuration, checks it can start, runs each program with a pid
// file, waits until it is ready, and reports or stops its processes.
#include <CLI/CLI.hpp>

#include "commands.h"
#include "stack_plan.h"

namespace {

using namespace lampi::stack;

void add_plan_options(CLI::App* command, StackOptions& options) {
    command
        ->add_option_function<std::string>(
            "--role", [&options](const std::string& name) { options.role = *role_from_name(name); },
            "what this host runs: all (the one-machine demo), cloud (the cloud broker and lampi-cloud) or lamp "
            "(the lamps, bridged to --cloud-host)")
        ->default_str("all")
        ->check(CLI::IsMember({"all", "cloud", "lamp"}));
    command
        ->add_option("--listen-address", options.listen_address,
                     "role cloud: the IPv4 address every listener of the cloud binds")
        ->capture_default_str();
    command->add_option("--public-name", options.public_name,
                        "role cloud: the host name lamps and browsers reach the cloud by; its TLS certificate "
                        "carries it");
    command->add_option("--db", options.database,
                        "role cloud or all: the cloud's database, postgresql://user@host:port/dbname (no password: "
                        "a password file or trust) or sqlite:///path (default: SQLite in DIR/cloud)");
    command->add_option("--cloud-host", options.cloud_host,
                        "role lamp: the cloud, NAME[:PORT], PORT its port base (default: --port-base); the cloud's "
                        "certificate must carry NAME");
    command->add_option("--cloud-ca-file", options.cloud_ca_file,
                        "role lamp: the CA certificate of the cloud (the cloud host's pki/ca/ca.pem)");
    command
        ->add_option("--first-lamp", options.first_lamp,
                     "the number of the first simulated lamp (0: 02:00:00:00:00:01), so lamp hosts sharing a "
                     "cloud have device ids of their own")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    command->add_option("--dir", options.dir, "configs, state and logs")->capture_default_str();
    command->add_option("--lamps", options.lamps, "number of simulated lamps")->capture_default_str();
    command->add_option("--port-base", options.port_base, "first port; every listener is at a fixed offset")
        ->capture_default_str();
    command->add_option("--build-dir", options.build_dir, "the build tree holding lampid, lampi-cloud and the plugin")
        ->required();
    command->add_option("--mosquitto", options.mosquitto, "the mosquitto broker binary")->capture_default_str();
    command->add_option("--log-level", options.log_level, "log level of the LAMPi services")->capture_default_str();
    command->add_option("--log-format", options.log_format, "log format of the LAMPi services: text or json")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "json"}));
    command->add_option("--credential-seconds", options.credential_seconds,
                        "lifetime of the control page's broker credential (default: lampi-cloud's)");
    command
        ->add_option("--signup-rate", options.signup_rate,
                     "sign-ups per client address per hour (default: lampi-cloud's; a test platform whose "
                     "browsers all sign up from 127.0.0.1 needs more)")
        ->check(CLI::NonNegativeNumber);
    command->add_flag_callback(
        "--no-screens", [&options] { options.screens = false; },
        "no lampi-ui screens (default: one per lamp on a virtual display when Xvfb is installed)");
    command->add_flag_callback(
        "--no-ble", [&options] { options.ble = false; },
        "no lampi-ble Bluetooth services (default: one per lamp, on the system bus or a private one)");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"lampi-stack: the one-machine LAMPi platform (cloud broker with TLS and the auth plugin,\n"
                 "lampi-cloud, simulated lamps with their brokers and bridges) that ./lampi up runs under supervisord."};
    app.require_subcommand(1);
    StackOptions options;
    std::string dir = ".lampi", pid_file;
    std::vector<std::string> command;
    double seconds = 30;
    bool detached = false;
    auto* render = app.add_subcommand("render", "write every configuration file under --dir; create the CA, "
                                                "certificates and secrets that are missing");
    add_plan_options(render, options);
    auto* check = app.add_subcommand("check", "exit non-zero, saying why, unless a stack with these options can "
                                              "start: nothing of --dir runs, every port is free, the programs exist");
    add_plan_options(check, options);
    auto* run = app.add_subcommand("run", "record this process's pid in --pid-file, then exec the command");
    run->add_option("--pid-file", pid_file, "where to write \"<pid> <start time>\"")->required();
    run->add_option("command", command, "the program and its arguments (after --)")->required();
    auto* status = app.add_subcommand("status", "list the stack's processes; exit 1 unless every one runs");
    auto* stop = app.add_subcommand("stop", "stop every process of the stack found by its pid files, "
                                            "with or without a live supervisord");
    auto* wait = app.add_subcommand("wait-ready", "wait until every lamp is seen through the cloud broker and "
                                                  "the web answers");
    wait->add_option("--timeout", seconds, "seconds to wait")->capture_default_str();
    auto* summary = app.add_subcommand("summary", "print the addresses, logins and commands to copy");
    summary->add_flag("--detached", detached, "the stack runs in the background");
    for (auto* command_of_dir : {status, stop, wait, summary}) {
        command_of_dir->add_option("--dir", dir, "the stack's directory")->capture_default_str();
    }
    CLI11_PARSE(app, argc, argv);

    if (run->parsed()) return run_command(pid_file, command);
    if (render->parsed()) return render_command(options);
    if (check->parsed()) return check_command(options);
    if (status->parsed()) return status_command(dir);
    if (stop->parsed()) return stop_command(dir);
    if (wait->parsed()) return wait_ready_command(dir, std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
    return summary_command(dir, detached);
}
