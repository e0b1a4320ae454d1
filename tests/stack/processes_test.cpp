#include "processes.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "process.h"

namespace lampi::stack {
namespace {

using namespace std::chrono_literals;

StackPlan plan_in(const std::string& dir) {
    StackOptions options;
    options.dir = dir;
    options.lamps = 1;
    auto plan = plan_stack(options);
    std::filesystem::create_directories(plan->run_dir);
    return *plan;
}

bool wait_for_file(const std::string& path) {
    for (int i = 0; i < 200; ++i) {
        if (std::filesystem::exists(path)) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

// `/bin/sleep 300` under `lampi-stack run` as supervisord starts it (the pid file
// names the program itself), once its pid file is there. Killed and reaped when
// it goes out of scope, if a failed test left it running; until then a stopped
// child is a zombie, which counts as not running.
std::unique_ptr<testing::Process> sleeper_with_pid_file(const std::string& pid_file) {
    auto process = std::make_unique<testing::Process>(std::vector<std::string>{LAMPI_STACK_BINARY, "run", "--pid-file",
                                                                               pid_file, "--", "/bin/sleep", "300"},
                                                      pid_file + ".log");
    process->start();
    EXPECT_TRUE(wait_for_file(pid_file)) << "no pid file at " << pid_file;
    return process;
}

TEST(StackProcesses, APidFileNamesTheProgramItselfAndStopEndsIt) {
    testing::TempDir dir;
    StackPlan plan = plan_in(dir / "stack");
    std::string pid_file = plan.run_dir + "/lampid-020000000001.pid";
    auto child = sleeper_with_pid_file(pid_file);
    auto live = live_pid(pid_file);
    ASSERT_TRUE(live);
    EXPECT_EQ(*live, child->pid()) << "the wrapper execs the program under its own pid";
    EXPECT_TRUE(anything_runs(plan));

    EXPECT_TRUE(stop_stack(plan, 2s));
    EXPECT_FALSE(live_pid(pid_file));
    EXPECT_FALSE(anything_runs(plan));
}

TEST(StackProcesses, APidFileOfAnEarlierProcessNeverNamesAStrangerThatReusesThePid) {
    testing::TempDir dir;
    StackPlan plan = plan_in(dir / "stack");
    std::string pid_file = plan.run_dir + "/lampi-cloud.pid";
    // This test process is alive, but started at another time than the file says.
    std::ofstream(pid_file) << ::getpid() << " 1\n";
    EXPECT_FALSE(live_pid(pid_file));
    EXPECT_FALSE(anything_runs(plan));
    EXPECT_TRUE(stop_stack(plan, 1s));  // and it is not signalled
}

TEST(StackProcesses, StopFindsLeftoverPidFilesOfAnEarlierLargerStack) {
    testing::TempDir dir;
    StackPlan plan = plan_in(dir / "stack");
    // A lamp that the current plan (one lamp) no longer has.
    std::string pid_file = plan.run_dir + "/lampid-020000000009.pid";
    auto child = sleeper_with_pid_file(pid_file);
    ASSERT_TRUE(live_pid(pid_file));
    auto states = stack_processes(plan);
    EXPECT_TRUE(std::any_of(states.begin(), states.end(),
                            [](const ProcessState& p) { return p.name == "lampid-020000000009" && p.pid; }));
    EXPECT_TRUE(stop_stack(plan, 2s));
    EXPECT_FALSE(live_pid(pid_file));
}

}  // namespace
}  // namespace lampi::stack

namespace lampi::stack {
namespace {

TEST(StackProcesses, ADeadProcessOfAnEarlierLargerStackIsNotListed) {
    testing::TempDir dir;
    StackPlan plan = plan_in(dir / "stack");
    std::ofstream(plan.run_dir + "/lampid-020000000009.pid") << "999999999 1\n";
    auto states = stack_processes(plan);
    EXPECT_EQ(states.size(), 1u + plan_processes(plan).size()) << "supervisord and the plan's programs only";
    EXPECT_TRUE(std::none_of(states.begin(), states.end(),
                             [](const ProcessState& p) { return p.name == "lampid-020000000009"; }));
}

}  // namespace
}  // namespace lampi::stack
