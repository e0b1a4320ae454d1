// lampid: the lamp service. Parses options and hands them to run_lampid (service.h).
#include <CLI/CLI.hpp>

#include "bridge_command.h"
#include "enrollment.h"
#include "lampi/broker_cli.h"
#include "lampi/log_cli.h"
#include "service.h"

int main(int argc, char** argv) {
    using namespace lampi;
    CLI::App app{"lampid: the LAMPi lamp service. Owns the lamp state, drives the LED and speaks\n"
                 "the MQTT contract (lamp/set_config in, lamp/changed out) on the lamp's local broker."};
    app.set_config("--config", "", "read options from an INI/TOML file (keys are option names)");
    lampid::LampidOptions o = lampid::default_lampid_options();
    add_lamp_broker_options(app, o.mqtt, o.password_file);
    app.add_option("--device-id", o.device_id, "12 hex digits; default: the MAC of the first network interface");
    app.add_option("--state-file", o.state_file, "where the state is persisted")->capture_default_str();
    app.add_option("--backend", o.led.backend, "LED backend: simulated, sysfs-pwm or pigpiod")
        ->capture_default_str()
        ->check(CLI::IsMember({"simulated", "sysfs-pwm", "pigpiod"}));
    add_log_options(app, o.log_level, o.log_format);
    app.add_option("--association-file", o.association_file,
                   "remembers whether a user claimed the lamp (default: beside the state file)");
    app.add_option("--code-file", o.code_file,
                   "where to show the one-time association code (a stand-in for the screen)");
    app.add_option("--status-file", o.status_file,
                   "where lampid tells the operator how it is (lampid status reads it); default: beside the state "
                   "file");
    app.add_option("--home-assistant-prefix", o.home_assistant_prefix,
                   "Home Assistant's MQTT discovery prefix; \"\" keeps the lamp out of Home Assistant")
        ->capture_default_str();
    app.add_option("--simulated-output", o.led.simulated_output,
                   "simulated backend: file that holds the current R G B duty cycles");
    app.add_option("--pwm-chip", o.led.sysfs_chip, "sysfs-pwm backend: PWM chip directory")->capture_default_str();
    app.add_option("--pwm-channels", o.channels, "sysfs-pwm backend: red green blue channel numbers")->expected(3);
    app.add_option("--pwm-period-ns", o.led.sysfs_period_ns, "sysfs-pwm backend: PWM period")->capture_default_str();
    app.add_option("--pigpiod-host", o.led.pigpiod_host, "pigpiod backend: daemon host")->capture_default_str();
    app.add_option("--pigpiod-port", o.led.pigpiod_port, "pigpiod backend: daemon port")->capture_default_str();
    app.add_option("--pins", o.pins, "pigpiod backend: red green blue BCM pins")->expected(3);
    app.add_option("--cloud-url", o.renewal.cloud_url,
                   "https://HOST:PORT of lampi-cloud: lampid then renews the lamp's certificate itself (with "
                   "--cloud-ca-file, --key-file, --cert-file)");
    app.add_option("--cloud-ca-file", o.renewal.ca_file, "CA certificate the cloud's HTTPS certificate must chain to");
    app.add_option("--key-file", o.renewal.key_file, "the lamp's private key (the bridge's bridge_keyfile)");
    app.add_option("--cert-file", o.renewal.cert_file, "the lamp's certificate (the bridge's bridge_certfile)");
    app.add_option("--chain-file", o.renewal.chain_file,
                   "certificate + CA (default: the --cert-file name with -chain)");
    app.add_option(
        "--enroll-token-file", o.renewal.token_file,
        "with --cloud-url: while the lamp has no certificate, enroll with the token in this owner-only file");
    app.add_flag("--key-readable-by-group", o.renewal.key_readable_by_group,
                 "with --cloud-url: write the renewed key 0640, not 0600, as lampid enroll --key-readable-by-group");
    app.add_option("--renew-days-before-expiry", o.renew_days_before_expiry,
                   "renew the lamp's certificate this many days before it expires")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    app.fallthrough();  // `lampid status --config FILE` reads the options lampid runs with
    CLI::App* status = app.add_subcommand(
        "status",
        "say whether the running lampid reaches its broker and the cloud, saves and drives the LED, and its "
        "last save and command; exit 0 well, 1 a fault, 3 not running");
    bool raw = false;
    status->add_flag("--json", raw, "print the status file itself (JSON)");
    lampid::EnrollOptions enroll_options;
    CLI::App* enroll = app.add_subcommand(
        "enroll",
        "get this lamp's certificate from the cloud with a one-time token: makes the key here (never sent), "
        "posts a certificate request, writes key, certificate and chain");
    enroll->add_option("--cloud", enroll_options.cloud_url, "https://HOST:PORT of lampi-cloud")->required();
    enroll->add_option("--token-file", enroll_options.token_file,
                       "owner-only file whose first line is the enrollment token (lampi-cloud enroll-token create); "
                       "not with --renew");
    enroll->add_option("--ca-file", enroll_options.ca_file, "CA certificate the cloud's HTTPS certificate must chain to")
        ->required();
    enroll->add_option("--key-file", enroll_options.key_file, "where to write the lamp's new private key (0600)")
        ->required();
    enroll->add_option("--cert-file", enroll_options.cert_file, "where to write the lamp's certificate")->required();
    enroll->add_option("--chain-file", enroll_options.chain_file,
                       "where to write certificate + CA (default: the --cert-file name with -chain)");
    enroll->add_flag("--force", enroll_options.force, "replace an existing key and certificate");
    enroll->add_flag("--renew", enroll_options.renew,
                     "renew: prove the current --key-file/--cert-file to the cloud (no token) and replace both");
    enroll->add_option("--if-expiring-within-days", enroll_options.renew_within_days,
                       "with --renew: only if the current certificate expires within this many days (for a timer)")
        ->check(CLI::Range(1, 3650));
    enroll->add_flag("--key-readable-by-group", enroll_options.key_readable_by_group,
                     "write the key 0640, not 0600: for the lamp's broker, which reads it for its bridge through the "
                     "group of the key's folder (setgid)");
    lampid::BridgeCommandOptions bridge_options;
    CLI::App* bridge =
        app.add_subcommand("bridge-config",
                           "print the lamp broker's bridge to the cloud (Mosquitto configuration) for this lamp's "
                           "certificate");
    bridge->add_option("--cloud-host", bridge_options.cloud_host, "the cloud broker's name, as its certificate has it")
        ->required();
    bridge->add_option("--cloud-port", bridge_options.cloud_port, "the cloud broker's port for lamps (mutual TLS)")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    bridge->add_option("--ca-file", bridge_options.ca_file, "CA certificate the cloud broker's certificate chains to")
        ->required();
    bridge->add_option("--cert-file", bridge_options.cert_file, "the lamp's certificate (from lampid enroll)")
        ->required();
    bridge->add_option("--key-file", bridge_options.key_file, "the lamp's private key")->required();
    CLI11_PARSE(app, argc, argv);
    if (status->parsed()) return lampid::run_status(o, raw);
    if (enroll->parsed()) {
        enroll_options.device_id = o.device_id;
        return lampid::run_enroll(enroll_options);
    }
    if (bridge->parsed()) return lampid::run_bridge_config(bridge_options);
    return lampid::run_lampid(std::move(o));
}
