// The test support's own promises that the other suites lean on.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "process.h"

namespace lampi::testing {
namespace {

// Whether `pid` is gone or dead (a zombie its new parent has not reaped yet).
bool dead(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    std::size_t after_name = line.rfind(')');
    return after_name == std::string::npos || line.compare(after_name + 2, 1, "Z") == 0;
}

// A test that dies (a crash, ctest's timeout) must not leave its programs running
// into the next tests: the program goes with it.
TEST(Process, AProgramEndsWhenTheTestThatStartedItDies) {
    TempDir dir;
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t test = ::fork();
    ASSERT_GE(test, 0);
    if (test == 0) {
        // The dying test: starts a program, says its pid, and is killed.
        Process sleeper({"/bin/sleep", "60"}, dir / "sleep.log");
        sleeper.start();
        pid_t pid = sleeper.pid();
        (void)!::write(pipe_fds[1], &pid, sizeof pid);
        ::pause();
        ::_exit(0);
    }
    pid_t program = 0;
    ASSERT_EQ(::read(pipe_fds[0], &program, sizeof program), static_cast<ssize_t>(sizeof program));
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    EXPECT_FALSE(dead(program)) << "the program runs while its test does";
    ::kill(test, SIGKILL);
    ::waitpid(test, nullptr, 0);
    EXPECT_TRUE(eventually([&] { return dead(program); }, std::chrono::seconds(5)))
        << "pid " << program << " outlived the test that started it";
    if (!dead(program)) ::kill(program, SIGKILL);
}

}  // namespace
}  // namespace lampi::testing
