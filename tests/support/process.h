// Test support: child processes, temp dirs and free loopback ports.
#pragma once

#include <sys/types.h>

#include <chrono>
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

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

// A child process whose stdout and stderr go to a log file. Killed with SIGKILL
// on destruction if still running.
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

}  // namespace lampi::testing
