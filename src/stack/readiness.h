// Whether a stack can start, and when it is ready. Both read the plan, so the
// ports, paths and logins they use are the ones the stack was rendered with.
#pragma once

#include <chrono>
#include <string>

#include "lampi/mqtt_client.h"
#include "lampi/status.h"
#include "stack_plan.h"

namespace lampi::stack {

// Everything `up` needs before it changes anything: no process of this stack
// runs, every port (the lamps' included) is free on 127.0.0.1 (a cloud host's on
// its listen address), the directory can
// be written, and the programs exist. Says what is wrong and what to do.
Status check_can_start(const StackPlan& plan);

// How the operator logs in to the cloud broker's service listener: the one place
// to change when operator logins change.
Result<MqttOptions> operator_mqtt_options(const StackPlan& plan);

// Waits until the stack is up. The demo: every lamp's retained state is visible
// to the operator through the cloud broker and lampi-cloud serves its login page
// over HTTPS. A cloud host: the login page. A lamp host: every lamp's bridge
// says, on the lamp's own broker, that it reached the cloud.
Status wait_ready(const StackPlan& plan, std::chrono::milliseconds timeout);

}  // namespace lampi::stack
