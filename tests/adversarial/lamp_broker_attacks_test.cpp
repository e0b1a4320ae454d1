// Attacks on a lamp's own broker (P+10+i, plain MQTT on loopback), as a local
// user of the Pi would try them: it admits only lampid's login, whose password
// lives in a file only the lamp's user can read and never in a command line.
// The rightful login is shown working first, so a refusal is not a broken set-up.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "attack_platform.h"

namespace lampi::testing {
namespace {

class LampBrokerAttacks : public PlatformSuite<1> {
protected:

    static const boost::json::value& local_mqtt() { return platform_->endpoints.at("lamps").at(0).at("local_mqtt"); }
    static int port() { return static_cast<int>(local_mqtt().at("port").as_int64()); }
    static std::string username() { return std::string(local_mqtt().at("username").as_string()); }
    static std::string password_file() { return std::string(local_mqtt().at("password_file").as_string()); }
    static std::string password() {
        std::string text = read_file(password_file());
        return text.substr(0, text.find('\n'));
    }

};


int mode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

TEST_F(LampBrokerAttacks, OnlyLampidsLoginReachesTheLampsBroker) {
    MqttAttempt rightful = mqtt_connect(port(), std::nullopt, MqttConnect{"rightful-check", username(), password()});
    ASSERT_TRUE(rightful.accepted) << rightful.observed;

    MqttAttempt anonymous = mqtt_connect(port(), std::nullopt, client_id_only("adversary"));
    EXPECT_TRUE(refused_now("anonymous CONNECT to a lamp's local broker (+10)", "CONNACK refused",
                            !anonymous.accepted, anonymous.observed));
    MqttAttempt guessed = mqtt_connect(port(), std::nullopt, MqttConnect{"adversary", username(), "lampid"});
    EXPECT_TRUE(refused_now("lampid's username with a guessed password on the lamp's broker (+10)",
                            "CONNACK refused", !guessed.accepted, guessed.observed));
    MqttAttempt operator_password = mqtt_connect(
        port(), std::nullopt, MqttConnect{"adversary", "operator", platform_->login("operator", "password")});
    EXPECT_TRUE(refused_now("the cloud operator's login on a lamp's broker (+10)", "CONNACK refused",
                            !operator_password.accepted, operator_password.observed));
}

TEST_F(LampBrokerAttacks, AnotherLocalUserCannotReadLampidsPassword) {
    std::string secrets = std::filesystem::path(password_file()).parent_path().string();
    std::string users = platform_->stack_dir() + "/lamps/" + platform_->lamp_id(0) + "/broker-users";
    bool owner_only = mode_of(password_file()) == 0600 && mode_of(secrets) == 0700 && mode_of(users) == 0600;
    EXPECT_TRUE(refused("another local user reads lampid's broker password", "files 0600 in a 0700 directory",
                        owner_only,
                        fmt::format("password {:o}, its directory {:o}, broker's hash file {:o}",
                                    mode_of(password_file()), mode_of(secrets), mode_of(users))));
    if (geteuid() == 0) {
        // As root, show it with a real other user too.
        RunResult read = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/cat",
                              password_file()});
        int status = read.exit_code;
        std::string said = read.output;
        while (!said.empty() && said.back() == '\n') said.pop_back();
        EXPECT_TRUE(refused("user nobody runs cat on lampid's broker password", "permission denied", status != 0,
                            said));
    }
}

TEST_F(LampBrokerAttacks, LampidsPasswordIsNotInItsCommandLine) {
    std::string pid_text = platform_->supervisorctl("pid lampid-" + platform_->lamp_id(0));
    int pid = std::atoi(pid_text.c_str());
    ASSERT_GT(pid, 0) << pid_text;
    std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    ASSERT_NE(cmdline.find("--password-file"), std::string::npos) << "not lampid's command line: " << cmdline;
    bool hidden = cmdline.find(password()) == std::string::npos;
    EXPECT_TRUE(refused("read lampid's broker password from /proc/<pid>/cmdline", "not there", hidden,
                        hidden ? "only the file's path" : "the password is in argv"));
}

}  // namespace
}  // namespace lampi::testing
