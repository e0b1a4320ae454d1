// The one-machine platform that `./lampi up` runs: which processes, on which
// ports, with which files. plan_stack decides; write_stack creates what is
// missing (secrets, the CA and certificates) and writes every configuration file
// (Mosquitto, supervisord, the cloud's set-up script, endpoints.json).
//
// Every listener sits at a fixed offset from the port base, so two stacks with
// different bases run side by side. Everything listens on 127.0.0.1 only, and
// every hop that leaves a lamp is TLS.
#pragma once

#include <string>
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

struct StackOptions {
    std::string dir = ".lampi";     // configs, state, logs
    int lamps = 3;
    int port_base = 18830;
    std::string build_dir = "build";  // the CMake build tree holding the programs
    std::string mosquitto = "/usr/sbin/mosquitto";
    std::string log_level = "info";
    int credential_seconds = 0;     // the page's broker credential lifetime; 0: lampi-cloud's default
};

struct LampPlan {
    std::string device_id;
    int broker_port = 0;
    std::string dir;                // <stack>/lamps/<device_id>
};

struct Login {
    std::string username;
    std::string password_file;
};

struct StackPlan {
    StackOptions options;           // with dir and build_dir made absolute
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
    std::string ca_file;
    std::string server_cert;
    std::string server_key;
    std::string lampid;             // program paths
    std::string lampi_cloud;
    std::string auth_plugin;
    std::string static_dir;
    Login cloud_service;            // lampi-cloud's own broker login
    Login operator_login;           // an operator: everything on the broker
    Login demo;                     // owns every simulated lamp
    Login second_user;              // owns nothing: shows that users are kept apart
    std::string auth_secret_file;   // the broker's secret for the auth API
    std::vector<LampPlan> lamps;
};

// Device ids of simulated lamps: locally administered MACs 02:00:00:00:00:01, ...
std::string simulated_device_id(int index);

Result<StackPlan> plan_stack(const StackOptions& options);
std::string render_supervisord_conf(const StackPlan& plan);
// `secrets` maps password files to their contents (endpoints.json carries the
// logins so scripts and tests can use them; the file is mode 0600).
std::string render_endpoints_json(const StackPlan& plan, const std::string& operator_password,
                                  const std::string& demo_password, const std::string& second_password);
// The cloud database's set-up: demo users owning the lamps, the operator. Safe to run again.
std::string render_cloud_setup(const StackPlan& plan);
// Creates the directories, secrets, CA and certificates that are missing, and
// writes every configuration file.
Status write_stack(const StackPlan& plan);

}  // namespace lampi::stack
