#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace lampi::testing {

TempDir::TempDir() {
    char pattern[] = "/tmp/lampi-test-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!std::getenv("LAMPI_KEEP_TEST_DIRS")) std::filesystem::remove_all(path_, ec);
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!check()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(port));
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        if (ok) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
}

Process::Process(std::vector<std::string> argv, std::string log_file)
    : argv_(std::move(argv)), log_file_(std::move(log_file)) {}

Process::~Process() {
    if (pid_ > 0) stop(SIGKILL);
}

void Process::start() {
    if (pid_ > 0) throw std::logic_error("process already started");
    // Everything that allocates happens before the fork: the child of a threaded test
    // may call only async-signal-safe functions, or it can hang on a lock another
    // thread held (seen under ASan: a broker that never started, its log empty).
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    const char* log_path = log_file_.c_str();
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // A test that dies (a crash, ctest's timeout) takes its programs with it, so none
        // holds a port, a database or a CPU into the next tests. The signal comes when the
        // thread that started it ends: start programs from a thread that outlives them.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);  // the test died before prctl took

        int log = ::open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    pid_ = pid;
}

bool Process::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

int Process::stop(int signal, std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
}

RunResult run(std::vector<std::string> argv, const std::string& log_file, std::chrono::milliseconds timeout) {
    write_file(log_file, "");  // the output of this run only
    Process process(std::move(argv), log_file);
    process.start();
    int status = process.wait(timeout);
    RunResult result;
    if (status >= 0) result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.output = read_file(log_file);
    return result;
}

RunResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
    TempDir dir;
    return run(std::move(argv), dir / "output.log", timeout);
}

RunResult run_shell(const std::string& command, std::chrono::milliseconds timeout) {
    return run({"/bin/sh", "-c", command}, timeout);
}

}  // namespace lampi::testing
