// The LAMPi platform that `./lampi up` runs, and its two roles on their own
// hosts: which processes, on which ports, with which files. plan_stack decides;
// write_stack creates what is missing (secrets, the CA and certificates) and
// writes every configuration file (Mosquitto, supervisord, the cloud's set-up
// script, endpoints.json).
//
// Every listener sits at a fixed offset from the port base, so two stacks with
// different bases run side by side. The one-machine demo (role all) listens on
// 127.0.0.1 only; a cloud host listens on the address it is given. Every hop
// that leaves a lamp is TLS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"

namespace lampi::stack {

// Cloud broker, MQTT over TLS with client certificates: the lamps' bridges.
inline constexpr int kLampMqttOffset = 0;
// Offset 1 held the cloud broker's WebSocket listener; the control page now
// reaches the broker through lampi-cloud's HTTPS port (/mqtt), and no program
// listens at +1.
// lampi-cloud, HTTPS.
inline constexpr int kHttpsOffset = 2;
// Cloud broker, MQTT over TLS with passwords: platform services, operators, scripts.
inline constexpr int kClientMqttOffset = 3;
// lampi-cloud, plain HTTP that only redirects to HTTPS.
inline constexpr int kHttpRedirectOffset = 4;
inline constexpr int kFirstLampOffset = 10;
inline constexpr int kMaxLamps = 500;

// What one host runs. all: the one-machine demo, a cloud and its lamps together.
// cloud: the cloud broker with the plugin and lampi-cloud. lamp: the lamps' own
// brokers, lampid, their screens and BLE services, bridged to a cloud elsewhere.
enum class Role { all, cloud, lamp };
std::string_view role_name(Role role);
std::optional<Role> role_from_name(std::string_view name);

// The cloud a lamp host bridges to: the name its certificate carries, and the
// cloud's port base (its lamps' MQTT port), HTTPS following at its offset.
struct CloudAddress {
    std::string host;
    int lamp_mqtt_port = 0;
    int https_port = 0;
};
// "NAME[:PORT]"; without a port, the cloud has the lamp host's port base.
Result<CloudAddress> parse_cloud_host(const std::string& text, int port_base);

struct StackOptions {
    Role role = Role::all;
    std::string dir = ".lampi";     // configs, state, logs
    int lamps = 3;
    int port_base = 18830;
    std::string build_dir = "build";  // the CMake build tree holding the programs
    std::string mosquitto = "/usr/sbin/mosquitto";
    std::string log_level = "info";
    std::string log_format = "text";  // text or json, for every LAMPi service
    int credential_seconds = 0;     // the page's broker credential lifetime; 0: lampi-cloud's default
    int signup_rate = 0;            // sign-ups per client address per hour; 0: lampi-cloud's default
    // A lampi-ui per lamp, each on its own virtual display, when Xvfb is installed.
    bool screens = true;
    std::string xvfb = "/usr/bin/Xvfb";
    // A lampi-ble per lamp, when dbus-daemon is installed: on the system bus
    // when there is one (bluetoothd's), else on a private bus of the stack's,
    // where it waits for a bluetoothd that never comes.
    bool ble = true;
    std::string dbus_daemon = "/usr/bin/dbus-daemon";
    std::string system_bus_socket = "/run/dbus/system_bus_socket";
    // The cloud role: the IPv4 address its listeners bind, and the name lamps and
    // browsers reach it by (its server certificate carries both).
    std::string listen_address = "127.0.0.1";
    std::string public_name;
    // The cloud's database (lampi-cloud's --db); empty: SQLite in <dir>/cloud.
    std::string database;
    // The lamp role: the cloud to bridge to ("NAME[:PORT]"), the CA certificate
    // that signed the cloud's server certificate, and the first simulated lamp's
    // number, so lamp hosts sharing a cloud have device ids of their own.
    std::string cloud_host;
    std::string cloud_ca_file;
    int first_lamp = 0;
};

// lampid's login on its lamp's broker, the only one that broker admits.
inline constexpr const char* kLampBrokerUser = "lampid";

struct LampPlan {
    std::string device_id;
    int broker_port = 0;
    std::string dir;                // <stack>/lamps/<device_id>
    std::string broker_password_file;  // lampid's password: <stack>/secrets/lamp-<device_id>-broker
    std::string broker_users_file;     // its hash, for Mosquitto: <dir>/broker-users (mode 0600)
    // The one-time token lampid enrolls with while the lamp has no certificate
    // (<stack>/secrets/lamp-<device_id>-enroll-token, made by cloud-setup.sh).
    std::string enroll_token_file;
    int display = 0;                   // the X display of its screen (":<display>"); 0 without screens
};

// One supervised process. Its command starts with `lampi-stack run --pid-file`,
// which records the program's pid (and start time) before exec'ing it, so the
// stack's processes are found by the files the stack writes, with or without a
// live supervisord.
struct ProcessPlan {
    std::string name;               // the supervisord program name
    std::string command;            // the program itself, without the pid-file wrapper
    std::string pid_file;           // <stack>/run/<name>.pid
    std::string log_file;
    int priority = 0;
    std::string environment;        // supervisord's environment= value, or empty
};

struct Login {
    std::string username;
    std::string password_file;
};

struct StackPlan {
    StackOptions options;           // with dir and build_dir made absolute
    bool runs_cloud = true;         // the cloud broker and lampi-cloud run here
    bool runs_lamps = true;         // the lamps' processes run here (role cloud: they are only registered)
    // Where the cloud's own services reach it (the plugin, lampi-cloud, the
    // readiness check): its listen address, or 127.0.0.1 for a wildcard.
    std::string cloud_local_address = "127.0.0.1";
    // The names and addresses the cloud's server certificate carries.
    std::vector<std::string> server_dns_names;
    std::vector<std::string> server_ip_addresses;
    CloudAddress cloud;  // where the lamps' bridges and lampid reach the cloud
    int lamp_mqtt_port = 0;
    int https_port = 0;
    int client_mqtt_port = 0;
    int http_redirect_port = 0;
    std::string broker_dir;         // <stack>/cloud-broker
    // The cloud broker's plain MQTT listener for lampi-cloud's WebSocket relay:
    // a unix socket in <stack>/run (mode 0700), so only this user reaches it.
    std::string relay_socket;
    std::string cloud_dir;          // <stack>/cloud: database
    std::string pki_dir;            // <stack>/pki: the CA and certificates
    std::string secrets_dir;        // <stack>/secrets, mode 0700
    std::string run_dir;            // <stack>/run: a pid file per process
    std::string supervisord_conf;
    std::string supervisord_pid_file;
    std::string cli_dir;            // <stack>/cli: mosquitto_sub/pub option files for the operator, mode 0700
    std::string database_file;      // lampi-cloud's SQLite database, unless --db names another
    std::string database_url;       // what lampi-cloud and cloud-setup.sh are given as --db
    std::string ca_file;            // the platform CA (role lamp: the copy of --cloud-ca-file)
    std::string server_cert;
    std::string server_key;
    std::string lampid;             // program paths
    std::string lampi_ui;
    std::string lampi_ble;
    std::string lampi_stack;
    std::string lampi_cloud;
    std::string auth_plugin;
    std::string bridge_nodelay;  // preloaded into each lamp's Mosquitto (src/bridge-nodelay)
    std::string static_dir;
    Login cloud_service;            // lampi-cloud's own broker login
    Login operator_login;           // an operator: everything on the broker
    Login demo;                     // owns every simulated lamp
    Login second_user;              // owns nothing: shows that users are kept apart
    std::string auth_secret_file;   // the broker's secret for the auth API
    // The analytics project (lampi-cloud's Keen-compatible API): its id and keys,
    // made here so endpoints.json can name them; cloud-setup.sh registers them.
    std::string analytics_project_file;
    std::string analytics_write_key_file;
    std::string analytics_read_key_file;
    std::string analytics_master_key_file;
    // Where the lamps' lampi-ble find BlueZ: "system", or the private bus below.
    std::string ble_bus;
    std::string private_bus_conf;    // <stack>/lamp-bus.conf, when the stack runs its own bus
    std::string private_bus_socket;  // <stack>/run/lamp-bus.socket
    std::vector<LampPlan> lamps;
};

// Every port the stack listens on, the lamps' included.
std::vector<int> all_ports(const StackPlan& plan);
// Every process supervisord runs, in start order.
std::vector<ProcessPlan> plan_processes(const StackPlan& plan);

// The options a stack was rendered with, kept in <dir>/stack.json so that the
// other subcommands (status, stop, wait-ready, summary) work out the same plan.
std::string options_file(const std::string& dir);
Result<StackOptions> load_options(const std::string& dir);

// Device ids of simulated lamps: locally administered MACs 02:00:00:00:00:01, ...
std::string simulated_device_id(int index);

// Whether a stack with these options runs screens: asked for, and Xvfb installed.
bool with_screens(const StackOptions& options);
// Whether it runs lampi-ble: asked for, and a system bus or dbus-daemon there.
bool with_ble(const StackOptions& options);

Result<StackPlan> plan_stack(const StackOptions& options);
std::string render_supervisord_conf(const StackPlan& plan);
// `secrets` maps password files to their contents (endpoints.json carries the
// logins so scripts and tests can use them; the file is mode 0600).
// `analytics`: the project id, write key and read key, in that order.
std::string render_endpoints_json(const StackPlan& plan, const std::string& operator_password,
                                  const std::string& demo_password, const std::string& second_password,
                                  const std::vector<std::string>& analytics);
// The cloud database's set-up: the demo users, the operator, each lamp given to
// demo. Each step runs once per database (recorded in <cloud>/setup.done), so a
// later start keeps whatever users changed since: passwords, released lamps.
// Passwords go through standard input, never through a command line.
std::string render_cloud_setup(const StackPlan& plan);
// Creates the directories, secrets, CA and certificates that are missing, and
// writes every configuration file.
Status write_stack(const StackPlan& plan);

}  // namespace lampi::stack
