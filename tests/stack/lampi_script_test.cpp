// `./lampi up`, `status` and `down` on a real platform (one lamp), as a user runs
// them: set-up runs once, everything is checked before anything changes, a dead
// supervisord leaves nothing behind, and no secret is readable by other users or
// visible in a command line or an environment.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "http_client.h"
#include "process.h"

namespace lampi::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// True when nothing holds any port of a one-lamp stack at `base`.
bool range_free(int base) {
    for (int offset : {0, 1, 2, 3, 4, 10}) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(base + offset));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        if (!free) return false;
    }
    return true;
}

// A free range at least 100 ports away from `avoid`.
int free_range(int avoid = 0) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        int candidate = 20000 + static_cast<int>(::random() % 12000);
        if (std::abs(candidate - avoid) > 100 && range_free(candidate)) return candidate;
    }
    return 0;
}

using ScriptRun = RunResult;

class LampiScript : public ::testing::Test {
protected:
    static inline TempDir* root_ = nullptr;
    static inline int port_base_ = 0;

    static void SetUpTestSuite() {
        root_ = new TempDir();
        ::srandom(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(::time(nullptr)));
        port_base_ = free_range();
    }
    static void TearDownTestSuite() {
        lampi({"down", "--dir", dir(), "--if-running"});
        lampi({"down", "--dir", *root_ / "fresh", "--if-running"});
        delete root_;
    }

    static std::string dir() { return *root_ / "stack"; }

    static ScriptRun lampi(std::vector<std::string> args, const std::string& name = "lampi") {
        args.insert(args.begin(), {"/bin/bash", LAMPI_SCRIPT});
        return run(args, *root_ / (name + ".log"), 120s);
    }

    static ScriptRun up(const std::string& stack_dir = dir(), int port_base = port_base_) {
        return lampi({"up", "--detach", "--no-build", "--build-dir", LAMPI_BUILD_DIR, "--dir", stack_dir,
                      "--port-base", std::to_string(port_base), "--lamps", "1", "--log-level", "warn", "--quiet"},
                     "up");
    }

    void SetUp() override { ASSERT_NE(port_base_, 0) << "no free port range"; }

    std::string https_url() const { return "https://127.0.0.1:" + std::to_string(port_base_ + 2); }
    std::string ca_file() const { return dir() + "/pki/ca/ca.pem"; }
    std::string secret(const std::string& name) const {
        std::string text = read_file(dir() + "/secrets/" + name);
        return text.substr(0, text.find('\n'));
    }
    std::string lamp_id() const { return "020000000001"; }
};

int mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return st.st_mode & 0777;
}

// A /proc file of a process that may exit while it is read: empty then.
std::string proc_file(const std::string& pid, const char* name) {
    std::string path = "/proc/" + pid + "/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    std::string content;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) content.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return content;
}

bool alive(pid_t pid) {
    std::string line = proc_file(std::to_string(pid), "stat");
    std::size_t close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::vector<std::string> all_pids() {
    std::vector<std::string> pids;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        std::string name = entry.path().filename().string();
        if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) pids.push_back(name);
    }
    return pids;
}

// Processes whose command line names `dir`: the platform's, whoever started them.
std::vector<std::string> processes_of(const std::string& dir) {
    std::vector<std::string> found;
    for (const std::string& pid : all_pids()) {
        std::string command = proc_file(pid, "cmdline");
        if (command.find(dir + "/") != std::string::npos && alive(std::stoi(pid))) found.push_back(pid + ": " + command);
    }
    return found;
}

// A user's changes made through the web and the API survive `down` and `up`:
// set-up ran once, on the first start.
TEST_F(LampiScript, UpAgainKeepsAChangedPasswordAndAReleasedLamp) {
    ScriptRun first = up();
    ASSERT_EQ(first.exit_code, 0) << first.output;
    std::string old_password = secret("demo-password");
    const std::string new_password = "a-new-password-1";
    {
        BrowserSession web = BrowserSession::at(https_url(), ca_file());
        ASSERT_TRUE(web.login("demo", old_password));
        auto lamps = web.get("/api/v1/lamps");
        ASSERT_EQ(lamps.status, 200);
        ASSERT_NE(lamps.body.find(lamp_id()), std::string::npos) << "demo owns the lamp at first: " << lamps.body;
        EXPECT_EQ(web.send("DELETE", "/api/v1/lamps/" + lamp_id(), "",
                           {{"X-CSRFToken", web.cookie("csrftoken")}, {"Referer", https_url() + "/"}})
                      .status,
                  204);
        auto changed = web.post_form("/accounts/password_change/",
                                     {{"csrfmiddlewaretoken", web.cookie("csrftoken")},
                                      {"old_password", old_password},
                                      {"new_password1", new_password},
                                      {"new_password2", new_password}},
                                     {{"Referer", https_url() + "/"}});
        ASSERT_EQ(changed.status, 200) << changed.body;
    }
    ScriptRun down = lampi({"down", "--dir", dir()});
    ASSERT_EQ(down.exit_code, 0) << down.output;
    ScriptRun again = up();
    ASSERT_EQ(again.exit_code, 0) << again.output;

    BrowserSession old_login = BrowserSession::at(https_url(), ca_file());
    EXPECT_FALSE(old_login.login("demo", old_password)) << "up reset demo's password";
    BrowserSession web = BrowserSession::at(https_url(), ca_file());
    ASSERT_TRUE(web.login("demo", new_password)) << "up lost demo's new password";
    auto lamps = web.get("/api/v1/lamps");
    ASSERT_EQ(lamps.status, 200);
    EXPECT_EQ(lamps.body.find(lamp_id()), std::string::npos) << "up gave the released lamp back: " << lamps.body;
}

// Every secret of the stack (secrets/*) that appears in any process's command
// line or environment, as "<pid>: <command line>".
std::vector<std::string> secrets_in_proc(const std::vector<std::string>& secrets) {
    std::vector<std::string> found;
    for (const std::string& pid : all_pids()) {
        std::string command = proc_file(pid, "cmdline");
        std::string environment = proc_file(pid, "environ");
        for (const std::string& s : secrets) {
            if (command.find(s) != std::string::npos || environment.find(s) != std::string::npos) {
                std::replace(command.begin(), command.end(), '\0', ' ');
                found.push_back(pid + ": " + command);
            }
        }
    }
    return found;
}

// No secret is readable by another local user, and none appears in the command
// line or the environment of any process, while `up` starts the platform (its
// set-up and readiness check included) or once it runs.
TEST_F(LampiScript, SecretsAreOwnerOnlyAndInNoCommandLineOrEnvironment) {
    if (!fs::exists(dir() + "/secrets")) {
        ScriptRun started = up();
        ASSERT_EQ(started.exit_code, 0) << started.output;
    }
    std::vector<std::string> secrets;
    for (const auto& entry : fs::directory_iterator(dir() + "/secrets")) {
        secrets.push_back(secret(entry.path().filename().string()));
    }
    ASSERT_GE(secrets.size(), 5u);
    lampi({"down", "--dir", dir(), "--if-running"});

    // Watch /proc while up runs.
    std::atomic<bool> starting{true};
    std::vector<std::string> seen_while_starting;
    std::thread watcher([&] {
        while (starting) {
            for (std::string& hit : secrets_in_proc(secrets)) seen_while_starting.push_back(std::move(hit));
            std::this_thread::sleep_for(5ms);
        }
    });
    ScriptRun started = up();
    starting = false;
    watcher.join();
    ASSERT_EQ(started.exit_code, 0) << started.output;
    EXPECT_TRUE(seen_while_starting.empty()) << seen_while_starting.size() << " sighting(s), first "
                                             << seen_while_starting.front();
    auto seen_running = secrets_in_proc(secrets);
    EXPECT_TRUE(seen_running.empty()) << seen_running.size() << " sighting(s), first " << seen_running.front();

    std::vector<std::string> owner_only{dir() + "/endpoints.json",
                                        dir() + "/cloud-broker/mosquitto.conf",
                                        dir() + "/cloud/lampi.sqlite3",
                                        dir() + "/cloud/lampi.sqlite3-wal",
                                        dir() + "/cloud/lampi.sqlite3-shm",
                                        dir() + "/pki/server.key",
                                        dir() + "/lamps/" + lamp_id() + "/lamp.key",
                                        dir() + "/cli/mosquitto_sub",
                                        dir() + "/cli/mosquitto_pub"};
    for (const auto& entry : fs::recursive_directory_iterator(dir() + "/pki")) {
        if (entry.path().extension() == ".key") owner_only.push_back(entry.path().string());
    }
    for (const auto& entry : fs::directory_iterator(dir() + "/secrets")) owner_only.push_back(entry.path().string());
    for (const std::string& file : owner_only) EXPECT_EQ(mode_of(file), 0600) << file;
    for (const char* sub : {"/secrets", "/cli", "/run"}) EXPECT_EQ(mode_of(dir() + sub), 0700) << sub;

    // What supervisord runs and what set-up runs: their command lines come from these files.
    std::string programs = read_file(dir() + "/supervisord.conf") + read_file(dir() + "/cloud-setup.sh");
    for (const std::string& s : secrets) EXPECT_EQ(programs.find(s), std::string::npos);
    EXPECT_EQ(programs.find("--password "), std::string::npos);
}

// `up` refuses a taken port (a lamp's included) and a directory a platform runs
// from, before it writes anything.
TEST_F(LampiScript, UpChecksEveryPortAndARunningPlatformBeforeChangingAnything) {
    int other_base = free_range(port_base_);
    ASSERT_NE(other_base, 0);
    // Hold the lamp's broker port.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(other_base + 10));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    std::string fresh = *root_ / "fresh";
    ScriptRun refused = up(fresh, other_base);
    ::close(fd);
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.output.find(std::to_string(other_base + 10)), std::string::npos) << refused.output;
    EXPECT_FALSE(fs::exists(fresh + "/stack.json")) << "up wrote its files before checking the ports";
    EXPECT_FALSE(fs::exists(fresh + "/secrets")) << "up wrote its files before checking the ports";

    // A platform runs from dir(): a second up there changes nothing.
    if (lampi({"status", "--dir", dir()}).exit_code != 0) {
        lampi({"down", "--dir", dir(), "--if-running"});
        ASSERT_EQ(up().exit_code, 0);
    }
    std::string setup_before = read_file(dir() + "/supervisord.conf");
    auto written_before = fs::last_write_time(dir() + "/supervisord.conf");
    ScriptRun twice = up(dir(), other_base);
    EXPECT_NE(twice.exit_code, 0);
    EXPECT_NE(twice.output.find("already runs"), std::string::npos) << twice.output;
    EXPECT_EQ(fs::last_write_time(dir() + "/supervisord.conf"), written_before);
    EXPECT_EQ(read_file(dir() + "/supervisord.conf"), setup_before);
}

// After a kill -9 of supervisord its programs run on as orphans: status says
// so (non-zero), and down stops every one of them.
TEST_F(LampiScript, AfterSupervisordIsKilledStatusFailsAndDownLeavesNoProcess) {
    if (lampi({"status", "--dir", dir()}).exit_code != 0) {
        lampi({"down", "--dir", dir(), "--if-running"});
        ScriptRun started = up();
        ASSERT_EQ(started.exit_code, 0) << started.output;
    }
    ScriptRun healthy = lampi({"status", "--dir", dir()});
    EXPECT_EQ(healthy.exit_code, 0) << healthy.output;
    pid_t supervisord = std::stoi(read_file(dir() + "/supervisord.pid"));
    std::size_t programs = processes_of(dir()).size();
    ASSERT_GE(programs, 5u) << "supervisord, the cloud broker, lampi-cloud, a lamp broker, lampid";
    ASSERT_EQ(::kill(supervisord, SIGKILL), 0);
    for (int i = 0; i < 100 && alive(supervisord); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_FALSE(alive(supervisord));
    EXPECT_EQ(processes_of(dir()).size(), programs - 1) << "the orphans run on";

    ScriptRun orphaned = lampi({"status", "--dir", dir()});
    EXPECT_NE(orphaned.exit_code, 0) << orphaned.output;
    EXPECT_NE(orphaned.output.find("supervisord"), std::string::npos) << orphaned.output;

    ScriptRun down = lampi({"down", "--dir", dir()});
    EXPECT_EQ(down.exit_code, 0) << down.output;
    auto left = processes_of(dir());
    EXPECT_TRUE(left.empty()) << left.size() << " process(es) left, first: " << (left.empty() ? "" : left[0]);
    EXPECT_NE(lampi({"status", "--dir", dir()}).exit_code, 0);
}

}  // namespace
}  // namespace lampi::testing
