#include "commands.h"

#include <fmt/core.h>

#include <filesystem>

#include "processes.h"
#include "readiness.h"
#include "summary.h"

namespace lampi::stack {
namespace {

int fail(const Status& status, int code = 1) {
    fmt::print(stderr, "lampi-stack: {}\n", status.message());
    return code;
}

// The plan of the stack rendered into `dir`.
Result<StackPlan> saved_plan(const std::string& dir) {
    auto saved = load_options(std::filesystem::absolute(dir).lexically_normal().string());
    if (!saved) return saved.status();
    return plan_stack(*saved);
}

}  // namespace

int render_command(const StackOptions& options) {
    auto plan = plan_stack(options);
    if (!plan) return fail(plan.status(), 2);
    if (Status written = write_stack(*plan); !written) return fail(written);
    fmt::print("{}\n", plan->options.dir + "/endpoints.json");
    return 0;
}

int check_command(const StackOptions& options) {
    auto plan = plan_stack(options);
    if (!plan) return fail(plan.status(), 2);
    Status can = check_can_start(*plan);
    return can ? 0 : fail(can);
}

int run_command(const std::string& pid_file, const std::vector<std::string>& command) {
    return fail(exec_with_pid_file(pid_file, command), 127);
}

int status_command(const std::string& dir) {
    auto plan = saved_plan(dir);
    if (!plan) return fail(plan.status(), 2);
    bool all = true;
    for (const ProcessState& process : stack_processes(*plan)) {
        fmt::print("{:<30} {}\n", process.name,
                   process.pid ? fmt::format("running, pid {}", *process.pid) : "not running");
        all = all && process.pid.has_value();
    }
    return all ? 0 : 1;
}

int stop_command(const std::string& dir) {
    auto plan = saved_plan(dir);
    if (!plan) return fail(plan.status(), 2);
    Status stopped = stop_stack(*plan, std::chrono::seconds(5));
    return stopped ? 0 : fail(stopped);
}

int wait_ready_command(const std::string& dir, std::chrono::milliseconds timeout) {
    auto plan = saved_plan(dir);
    if (!plan) return fail(plan.status(), 2);
    Status ready = wait_ready(*plan, timeout);
    return ready ? 0 : fail(ready);
}

int summary_command(const std::string& dir, bool detached) {
    auto plan = saved_plan(dir);
    if (!plan) return fail(plan.status(), 2);
    fmt::print("{}", render_summary(*plan, detached));
    return 0;
}

}  // namespace lampi::stack
