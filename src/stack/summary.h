// What `./lampi up` prints once the stack is ready: addresses, logins, and
// commands to copy. The operator's commands read their options from the stack's
// cli/ directory (mosquitto_sub's own config file), so no password is typed into
// a command line.
#pragma once

#include <string>

#include "stack_plan.h"

namespace lampi::stack {

std::string render_summary(const StackPlan& plan, bool detached);

}  // namespace lampi::stack
