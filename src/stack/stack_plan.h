// The one-machine platform that `./lampi up` runs: which processes, on which
// ports, with which files. plan_stack decides; write_stack puts the configuration
// files (Mosquitto, supervisord, endpoints.json) under the stack directory.
//
// Every listener sits at a fixed offset from the port base, so two stacks with
// different bases run side by side.
#pragma once

#include <string>
#include <vector>

#include "lampi/status.h"

namespace lampi::stack {

inline constexpr int kCloudMqttOffset = 0;
inline constexpr int kFirstLampOffset = 10;
inline constexpr int kMaxLamps = 500;

struct StackOptions {
    std::string dir = ".lampi";     // configs, state, logs
    int lamps = 3;
    int port_base = 18830;
    std::string bin_dir;            // where lampid lives
    std::string mosquitto = "/usr/sbin/mosquitto";
    std::string log_level = "info";
};

struct LampPlan {
    std::string device_id;
    int broker_port = 0;
    std::string dir;                // <stack>/lamps/<device_id>
};

struct StackPlan {
    StackOptions options;           // with dir and bin_dir made absolute
    int cloud_mqtt_port = 0;
    std::string cloud_dir;          // <stack>/cloud-broker
    std::vector<LampPlan> lamps;
};

// Device ids of simulated lamps: locally administered MACs 02:00:00:00:00:01, ...
std::string simulated_device_id(int index);

Result<StackPlan> plan_stack(const StackOptions& options);
std::string render_supervisord_conf(const StackPlan& plan);
std::string render_endpoints_json(const StackPlan& plan);
// Creates the directories and writes every configuration file.
Status write_stack(const StackPlan& plan);

}  // namespace lampi::stack
