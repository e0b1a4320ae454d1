// Test support: child processes, temp dirs and free loopback ports.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace lampi::testing {

// A directory under /tmp, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// A port on 127.0.0.1 that nothing listened on a moment ago.
int free_port();

// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// True once `check` holds, polled every 20 ms until `timeout`: a wait for the event
// itself, with a deadline generous enough for a loaded machine, instead of a sleep.
bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

// A child process whose stdout and stderr go to a log file. Killed with SIGKILL
// on destruction if still running, and when the test process dies.
class Process {
public:
    Process(std::vector<std::string> argv, std::string log_file);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    void start();
    bool running();
    // Sends `signal` and waits for the exit; returns the wait status, or -1 on timeout.
    int stop(int signal = 15, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void kill9() { stop(9); }
    // Waits for the process to exit by itself; returns the wait status, or -1 on timeout.
    int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) { return stop(0, timeout); }
    pid_t pid() const { return pid_; }
    std::string log() const { return read_file(log_file_); }

private:
    std::vector<std::string> argv_;
    std::string log_file_;
    pid_t pid_ = -1;
};

// A program run to completion. Every run has a deadline: a program that hangs
// is killed and reported, never waited on forever.
struct RunResult {
    int exit_code = -1;  // 128 + signal when killed by one; -1: did not finish within the timeout
    std::string output;  // stdout and stderr together
};
// Its output replaces what `log_file` held.
RunResult run(std::vector<std::string> argv, const std::string& log_file,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
// The same, with the output kept in a file of its own that goes away afterwards.
RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(10));
// A shell command line, through /bin/sh -c.
RunResult run_shell(const std::string& command, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace lampi::testing
