// A lamp enrolls against a real lampi-cloud: the operator makes a token with
// the CLI, `lampid enroll` makes its key and gets its certificate over HTTPS,
// and a Mosquitto that requires certificates from the platform CA then lets
// the lamp in with them. And each way it can fail, said in words.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "certificate_authority.h"
#include "process.h"

namespace lampi::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kLamp = "b827eb74663e";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

mode_t mode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

class LampEnrollment : public ::testing::Test {
protected:
    void SetUp() override {
        {
            // In a block: the CA's lock goes with the object, and the cloud needs it.
            auto created = ca::CertificateAuthority::create(dir_ / "ca");
            ASSERT_TRUE(created) << created.status().message();
            ca::ServerRequest server;
            server.ip_addresses = {"127.0.0.1"};
            ASSERT_TRUE(created.value().issue_server(server, dir_ / "server"));
            ASSERT_TRUE(ca::CertificateAuthority::create(dir_ / "foreign-ca"));
        }
        db_ = "sqlite://" + (dir_ / "cloud.sqlite3");
        cloud_port_ = free_port();
        cloud_ = std::make_unique<Process>(
            std::vector<std::string>{LAMPI_CLOUD_BINARY, "serve", "--db", db_, "--listen",
                                     "127.0.0.1:" + std::to_string(cloud_port_), "--mqtt-host", "", "--tls-cert",
                                     dir_ / "server-chain.pem", "--tls-key", dir_ / "server.key", "--enroll-ca-dir",
                                     dir_ / "ca"},
            dir_ / "cloud.log");
        cloud_->start();
        ASSERT_TRUE(wait_for_port(cloud_port_, 10s)) << cloud_->log();
    }
    void TearDown() override {
        if (broker_) broker_->stop(SIGTERM);
        if (cloud_) cloud_->stop(SIGTERM);
    }

    // A token from the operator CLI, in an owner-only file.
    std::string token_file(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv{LAMPI_CLOUD_BINARY, "enroll-token", "create", "--db", db_, "--log-level", "warn"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        RunResult made = run(argv, dir_ / "token.log", 20s);
        EXPECT_EQ(made.exit_code, 0) << made.output;
        // stdout (the token alone) and stderr (what it allows) come mixed: the token is the 64-hex-digit line.
        std::string token;
        std::istringstream lines(made.output);
        for (std::string line; std::getline(lines, line);)
            if (line.size() == 64 && line.find_first_not_of("0123456789abcdef") == std::string::npos) token = line;
        EXPECT_EQ(token.size(), 64u) << made.output;
        std::string path = dir_ / fmt::format("token-{}", ++tokens_);
        write_file(path, token + "\n");
        ::chmod(path.c_str(), 0600);
        return path;
    }

    RunResult enroll(const std::string& token, const std::string& name = "lamp",
                     const std::string& ca_file = "", int port = 0, const std::string& host = "127.0.0.1") {
        return run({LAMPID_BINARY, "--device-id", kLamp, "enroll", "--cloud",
                    fmt::format("https://{}:{}", host, port ? port : cloud_port_), "--token-file", token, "--ca-file",
                    ca_file.empty() ? dir_ / "ca/ca.pem" : ca_file, "--key-file", dir_ / (name + ".key"),
                    "--cert-file", dir_ / (name + ".pem")},
                   dir_ / "enroll.log", 30s);
    }

    void start_broker() {
        broker_port_ = free_port();
        write_file(dir_ / "mosquitto.conf",
                   fmt::format("user root\npersistence false\nallow_anonymous false\nlistener {port} 127.0.0.1\n"
                               "cafile {dir}/ca/ca.pem\ncertfile {dir}/server.pem\nkeyfile {dir}/server.key\n"
                               "require_certificate true\nuse_identity_as_username true\n"
                               "crlfile {dir}/ca/crl.pem\n",
                               fmt::arg("port", broker_port_), fmt::arg("dir", dir_.path())));
        broker_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", dir_ / "mosquitto.conf"},
                                            dir_ / "mosquitto.log");
        broker_->start();
        ASSERT_TRUE(wait_for_port(broker_port_, 5s)) << broker_->log();
    }

    RunResult publish_as(const std::string& name) {
        return run({"/usr/bin/mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_port_), "-t",
                    fmt::format("devices/{}/lamp/changed", kLamp), "-m", "{}", "-q", "1", "--cafile",
                    dir_ / "ca/ca.pem", "--cert", dir_ / (name + ".pem"), "--key", dir_ / (name + ".key")},
                   10s);
    }

    TempDir dir_;
    std::string db_;
    int cloud_port_ = 0;
    int broker_port_ = 0;
    int tokens_ = 0;
    std::unique_ptr<Process> cloud_;
    std::unique_ptr<Process> broker_;
};

TEST_F(LampEnrollment, TheEnrolledLampConnectsToABrokerThatRequiresTheCa) {
    RunResult enrolled = enroll(token_file({"--device", kLamp, "--ttl", "10m"}));
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.output << cloud_->log();
    EXPECT_TRUE(contains(enrolled.output, kLamp)) << enrolled.output;
    EXPECT_EQ(mode_of(dir_ / "lamp.key"), 0600u);
    EXPECT_EQ(read_file(dir_ / "lamp-chain.pem"), read_file(dir_ / "lamp.pem") + read_file(dir_ / "ca/ca.pem"));
    // The key never left the lamp: the cloud's log and database do not hold it.
    std::string key = read_file(dir_ / "lamp.key");
    std::string key_body = key.substr(key.find('\n') + 1, 40);
    EXPECT_FALSE(contains(cloud_->log(), key_body));
    EXPECT_FALSE(contains(read_file(dir_ / "cloud.sqlite3"), key_body));

    ASSERT_NO_FATAL_FAILURE(start_broker());
    RunResult published = publish_as("lamp");
    EXPECT_EQ(published.exit_code, 0) << published.output << broker_->log();
}

TEST_F(LampEnrollment, TheLampRenewsWithItsCurrentKeyAndTheNewOneIsAccepted) {
    ASSERT_EQ(enroll(token_file()).exit_code, 0);
    std::string first_key = read_file(dir_ / "lamp.key");
    std::string first_cert = read_file(dir_ / "lamp.pem");
    auto renew = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv{LAMPID_BINARY, "enroll", "--renew", "--cloud",
                                      fmt::format("https://127.0.0.1:{}", cloud_port_), "--ca-file",
                                      dir_ / "ca/ca.pem", "--key-file", dir_ / "lamp.key", "--cert-file",
                                      dir_ / "lamp.pem"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run(argv, dir_ / "renew.log", 30s);
    };
    // A year left: a daily timer's run renews nothing.
    RunResult early = renew({"--if-expiring-within-days", "30"});
    ASSERT_EQ(early.exit_code, 0) << early.output;
    EXPECT_TRUE(contains(early.output, "not renewed")) << early.output;
    EXPECT_EQ(read_file(dir_ / "lamp.pem"), first_cert);

    RunResult renewed = renew({});
    ASSERT_EQ(renewed.exit_code, 0) << renewed.output << cloud_->log();
    EXPECT_TRUE(contains(renewed.output, "renewed")) << renewed.output;
    EXPECT_NE(read_file(dir_ / "lamp.key"), first_key);
    EXPECT_NE(read_file(dir_ / "lamp.pem"), first_cert);
    EXPECT_EQ(mode_of(dir_ / "lamp.key"), 0600u);
    ASSERT_NO_FATAL_FAILURE(start_broker());
    RunResult published = publish_as("lamp");
    EXPECT_EQ(published.exit_code, 0) << published.output << broker_->log();
}

TEST_F(LampEnrollment, EachFailureIsSaidInWordsAndWritesNothing) {
    std::string token = token_file();
    // Not trusted: the lamp was given another CA.
    RunResult untrusted = enroll(token, "a", dir_ / "foreign-ca/ca.pem");
    EXPECT_EQ(untrusted.exit_code, 1);
    EXPECT_TRUE(contains(untrusted.output, "not trusted")) << untrusted.output;
    // The CA is right but the certificate does not name the host asked for
    // (it names 127.0.0.1 only): any certificate of the CA could pose as the cloud otherwise.
    RunResult misnamed = enroll(token, "m", "", 0, "localhost");
    EXPECT_EQ(misnamed.exit_code, 1);
    EXPECT_TRUE(contains(misnamed.output, "not trusted")) << misnamed.output;
    // Nobody there.
    RunResult unreachable = enroll(token, "b", "", free_port());
    EXPECT_EQ(unreachable.exit_code, 1);
    EXPECT_TRUE(contains(unreachable.output, "cannot reach")) << unreachable.output;
    for (const char* name : {"a.key", "a.pem", "b.key", "b.pem", "m.key", "m.pem"}) EXPECT_FALSE(std::filesystem::exists(dir_ / name));

    // The token was not used by those: it works now, and only once.
    ASSERT_EQ(enroll(token, "c").exit_code, 0);
    RunResult reused = enroll(token, "d");
    EXPECT_EQ(reused.exit_code, 1);
    EXPECT_TRUE(contains(reused.output, "refused")) << reused.output;
    EXPECT_TRUE(contains(reused.output, "already used")) << reused.output;
    // Bound to another lamp.
    RunResult other = enroll(token_file({"--device", "b827eb000001"}), "e");
    EXPECT_EQ(other.exit_code, 1);
    EXPECT_TRUE(contains(other.output, "another device")) << other.output;
    // An enrolled lamp is not enrolled again by accident.
    RunResult again = enroll(token_file(), "c");
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_TRUE(contains(again.output, "--force")) << again.output;
}

}  // namespace
}  // namespace lampi::testing
