// The lampi-stack subcommands, each a function from parsed options to an exit code
// (0 ok, 1 failed, 2 no usable plan; run: 127 when the command cannot be started).
// main.cpp only parses options and calls these. Errors go to stderr as
// "lampi-stack: <what is wrong>".
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "stack_plan.h"

namespace lampi::stack {

// render: writes every file of the plan, prints where endpoints.json is.
int render_command(const StackOptions& options);
// check: whether a stack with these options can start.
int check_command(const StackOptions& options);
// run: records this process in pid_file, then becomes `command`.
int run_command(const std::string& pid_file, const std::vector<std::string>& command);

// The rest read the options a stack was rendered with from dir/stack.json.
int status_command(const std::string& dir);
int stop_command(const std::string& dir);
int wait_ready_command(const std::string& dir, std::chrono::milliseconds timeout);
int summary_command(const std::string& dir, bool detached);

}  // namespace lampi::stack
