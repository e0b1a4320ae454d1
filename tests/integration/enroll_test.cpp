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
#include <thread>

#include "certificate_authority.h"
#include "key_files.h"
#include "process.h"
#include "x509_builder.h"

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
                                     dir_ / "ca", "--enroll-days", std::to_string(enroll_days_)},
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
    int enroll_days_ = 365;
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

// A packaged lamp (lamp-join-cloud): the key readable by the broker's group, and
// the bridge `lampid bridge-config` prints, which a real Mosquitto connects with.
TEST_F(LampEnrollment, ThePrintedBridgeConnectsWithTheEnrolledCertificate) {
    RunResult enrolled =
        run({LAMPID_BINARY, "--device-id", kLamp, "enroll", "--cloud", fmt::format("https://127.0.0.1:{}", cloud_port_),
             "--token-file", token_file(), "--ca-file", dir_ / "ca/ca.pem", "--key-file", dir_ / "lamp.key",
             "--cert-file", dir_ / "lamp.pem", "--key-readable-by-group"},
            dir_ / "enroll.log", 30s);
    ASSERT_EQ(enrolled.exit_code, 0) << enrolled.output << cloud_->log();
    EXPECT_EQ(mode_of(dir_ / "lamp.key"), 0640u);
    ASSERT_NO_FATAL_FAILURE(start_broker());
    auto bridge_config = [&](const std::string& host, const std::string& cert) {
        return run({LAMPID_BINARY, "bridge-config", "--cloud-host", host, "--cloud-port", std::to_string(broker_port_),
                    "--ca-file", dir_ / "ca/ca.pem", "--cert-file", cert, "--key-file", dir_ / "lamp.key"},
                   dir_ / "bridge-config.log", 10s);
    };
    RunResult printed = bridge_config("127.0.0.1", dir_ / "lamp.pem");
    ASSERT_EQ(printed.exit_code, 0) << printed.output;
    EXPECT_TRUE(contains(printed.output, fmt::format("remote_username {}\n", kLamp))) << printed.output;
    int lamp_port = free_port();
    write_file(dir_ / "lamp-broker.conf",
               fmt::format("user root\npersistence false\nallow_anonymous true\nlistener {} 127.0.0.1\n{}", lamp_port,
                           printed.output));
    Process lamp_broker({"/usr/sbin/mosquitto", "-c", dir_ / "lamp-broker.conf"}, dir_ / "lamp-broker.log");
    lamp_broker.start();
    EXPECT_TRUE(eventually([&] { return contains(broker_->log(), fmt::format("as lamp-{}", kLamp)); }, 15s))
        << broker_->log() << lamp_broker.log();
    lamp_broker.stop(SIGTERM);

    // Not a lamp's certificate, and a port in the host name: said, nothing printed.
    RunResult server_cert = bridge_config("127.0.0.1", dir_ / "server.pem");
    EXPECT_EQ(server_cert.exit_code, 1);
    EXPECT_TRUE(contains(server_cert.output, "is not a lamp's certificate")) << server_cert.output;
    RunResult with_port = bridge_config("cloud.example:8883", dir_ / "lamp.pem");
    EXPECT_EQ(with_port.exit_code, 1);
    EXPECT_TRUE(contains(with_port.output, "--cloud-port")) << with_port.output;
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

std::string serial_on_disk(const std::string& cert_file) {
    auto cert = ca::load_certificate(cert_file);
    return cert ? ca::certificate_serial(cert->get()) : "unreadable: " + cert.status().message();
}

// The cloud signs certificates for 20 days: inside lampid's 30-day window from the
// start, so a running lampid renews its own at once, with no clock to move.
class LampRenewsWhileItRuns : public LampEnrollment {
protected:
    LampRenewsWhileItRuns() { enroll_days_ = 20; }
};

TEST_F(LampRenewsWhileItRuns, ARunningLampidRenewsACertificateNearExpiryAndABrokerAcceptsTheNewOne) {
    ASSERT_EQ(enroll(token_file()).exit_code, 0);
    const std::string first_serial = serial_on_disk(dir_ / "lamp.pem");
    // No lamp broker runs: renewal does not wait for MQTT.
    Process lampid({LAMPID_BINARY, "--device-id", kLamp, "--port", std::to_string(free_port()), "--state-file",
                    dir_ / "state/lamp-state.json", "--simulated-output", dir_ / "led", "--cloud-url",
                    fmt::format("https://127.0.0.1:{}", cloud_port_), "--cloud-ca-file", dir_ / "ca/ca.pem",
                    "--key-file", dir_ / "lamp.key", "--cert-file", dir_ / "lamp.pem"},
                   dir_ / "lampid.log");
    lampid.start();
    bool renewed = eventually([&] { return serial_on_disk(dir_ / "lamp.pem") != first_serial; }, 30s);
    ASSERT_TRUE(renewed) << lampid.log() << cloud_->log();
    // Key, certificate and chain are written one after the other: wait for the log line that follows them.
    ASSERT_TRUE(eventually([&] { return contains(lampid.log(), "renewed the lamp's certificate"); }, 10s))
        << lampid.log();
    const std::string second_serial = serial_on_disk(dir_ / "lamp.pem");
    EXPECT_TRUE(contains(lampid.log(), "serial " + second_serial)) << lampid.log();
    EXPECT_EQ(read_file(dir_ / "lamp-chain.pem"), read_file(dir_ / "lamp.pem") + read_file(dir_ / "ca/ca.pem"));
    EXPECT_EQ(mode_of(dir_ / "lamp.key"), 0600u);
    // Renewed once: the new certificate waits for the next daily check.
    std::this_thread::sleep_for(2s);
    EXPECT_TRUE(lampid.running()) << lampid.log();
    EXPECT_EQ(serial_on_disk(dir_ / "lamp.pem"), second_serial);
    // The new files are what a broker that requires the CA accepts.
    ASSERT_NO_FATAL_FAILURE(start_broker());
    RunResult published = publish_as("lamp");
    EXPECT_EQ(published.exit_code, 0) << published.output << broker_->log();
    EXPECT_EQ(lampid.stop(SIGTERM), 0) << lampid.log();
}

// Mosquitto 2.0.11 loads bridge_certfile and bridge_keyfile at every connection
// attempt of a bridge (and reloads no bridge setting on SIGHUP), so the renewed
// files need no restart of the lamp's broker: its bridge's next connection uses
// them. Shown with the old certificate revoked: only the new one gets in.
TEST_F(LampRenewsWhileItRuns, TheLampsBridgeUsesTheRenewedCertificateAtItsNextConnection) {
    ASSERT_EQ(enroll(token_file()).exit_code, 0);
    const std::string first_serial = serial_on_disk(dir_ / "lamp.pem");
    ASSERT_NO_FATAL_FAILURE(start_broker());
    const std::string bridged_in = fmt::format("as lamp-{}", kLamp);
    int lamp_port = free_port();
    write_file(dir_ / "lamp-broker.conf",
               fmt::format("user root\npersistence false\nallow_anonymous true\nlistener {lamp_port} 127.0.0.1\n"
                           "connection cloud\naddress 127.0.0.1:{cloud_port}\nremote_clientid lamp-{id}\n"
                           "bridge_cafile {dir}/ca/ca.pem\nbridge_certfile {dir}/lamp.pem\n"
                           "bridge_keyfile {dir}/lamp.key\ntopic lamp/changed out 1 \"\" devices/{id}/\n"
                           "cleansession true\nrestart_timeout 1 2\n",
                           fmt::arg("lamp_port", lamp_port), fmt::arg("cloud_port", broker_port_),
                           fmt::arg("id", kLamp), fmt::arg("dir", dir_.path())));
    Process lamp_broker({"/usr/sbin/mosquitto", "-c", dir_ / "lamp-broker.conf"}, dir_ / "lamp-broker.log");
    lamp_broker.start();
    ASSERT_TRUE(eventually([&] { return contains(broker_->log(), bridged_in); }, 15s))
        << broker_->log() << lamp_broker.log();

    // As a packaged lamp's broker reads the key: through its folder's group.
    Process lampid({LAMPID_BINARY, "--device-id", kLamp, "--port", std::to_string(lamp_port), "--state-file",
                    dir_ / "state/lamp-state.json", "--simulated-output", dir_ / "led", "--cloud-url",
                    fmt::format("https://127.0.0.1:{}", cloud_port_), "--cloud-ca-file", dir_ / "ca/ca.pem",
                    "--key-file", dir_ / "lamp.key", "--cert-file", dir_ / "lamp.pem", "--key-readable-by-group"},
                   dir_ / "lampid.log");
    lampid.start();
    ASSERT_TRUE(eventually([&] { return contains(lampid.log(), "renewed the lamp's certificate"); }, 30s))
        << lampid.log() << cloud_->log();
    ASSERT_NE(serial_on_disk(dir_ / "lamp.pem"), first_serial);
    EXPECT_EQ(mode_of(dir_ / "lamp.key"), 0640u);
    {
        auto authority = ca::CertificateAuthority::open(dir_ / "ca");
        ASSERT_TRUE(authority) << authority.status().message();
        ASSERT_TRUE(authority.value().revoke(first_serial, "superseded"));
    }
    // The cloud's broker restarts with the new CRL (the plugin-less broker of this
    // test reads it only at start); the bridge reconnects by itself.
    broker_->stop(SIGTERM);
    broker_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/mosquitto", "-c", dir_ / "mosquitto.conf"},
                                        dir_ / "mosquitto-restarted.log");
    broker_->start();
    EXPECT_TRUE(eventually([&] { return contains(broker_->log(), bridged_in); }, 20s))
        << "the bridge did not reconnect with the renewed certificate:\n"
        << broker_->log() << lamp_broker.log();
    EXPECT_TRUE(lamp_broker.running());
    lamp_broker.stop(SIGTERM);
    EXPECT_EQ(lampid.stop(SIGTERM), 0) << lampid.log();
}

TEST_F(LampRenewsWhileItRuns, AnUnreachableCloudIsLoggedAndRetriedAndLampidKeepsRunning) {
    ASSERT_EQ(enroll(token_file()).exit_code, 0);
    const std::string first_serial = serial_on_disk(dir_ / "lamp.pem");
    Process lampid({LAMPID_BINARY, "--device-id", kLamp, "--port", std::to_string(free_port()), "--state-file",
                    dir_ / "state/lamp-state.json", "--simulated-output", dir_ / "led", "--cloud-url",
                    fmt::format("https://127.0.0.1:{}", free_port()), "--cloud-ca-file", dir_ / "ca/ca.pem",
                    "--key-file", dir_ / "lamp.key", "--cert-file", dir_ / "lamp.pem"},
                   dir_ / "lampid.log");
    lampid.start();
    ASSERT_TRUE(eventually([&] { return contains(lampid.log(), "trying again in 5 s"); }, 20s)) << lampid.log();
    EXPECT_TRUE(contains(lampid.log(), "cannot reach")) << lampid.log();
    EXPECT_TRUE(lampid.running()) << lampid.log();
    EXPECT_EQ(serial_on_disk(dir_ / "lamp.pem"), first_serial);
    EXPECT_EQ(lampid.stop(SIGTERM), 0) << lampid.log();
}

// A lamp given a token and no certificate enrolls as it starts, then only renews.
TEST_F(LampEnrollment, ALampidWithATokenAndNoCertificateEnrollsAtStart) {
    Process lampid({LAMPID_BINARY, "--device-id", kLamp, "--port", std::to_string(free_port()), "--state-file",
                    dir_ / "state/lamp-state.json", "--simulated-output", dir_ / "led", "--cloud-url",
                    fmt::format("https://127.0.0.1:{}", cloud_port_), "--cloud-ca-file", dir_ / "ca/ca.pem",
                    "--key-file", dir_ / "lamp.key", "--cert-file", dir_ / "lamp.pem", "--enroll-token-file",
                    token_file({"--device", kLamp})},
                   dir_ / "lampid.log");
    lampid.start();
    ASSERT_TRUE(eventually([&] { return contains(lampid.log(), "enrolled: certificate serial"); }, 30s))
        << lampid.log() << cloud_->log();
    EXPECT_TRUE(contains(lampid.log(), "serial " + serial_on_disk(dir_ / "lamp.pem"))) << lampid.log();
    EXPECT_EQ(mode_of(dir_ / "lamp.key"), 0600u);
    ASSERT_NO_FATAL_FAILURE(start_broker());
    RunResult published = publish_as("lamp");
    EXPECT_EQ(published.exit_code, 0) << published.output << broker_->log();
    EXPECT_TRUE(lampid.running());
    EXPECT_EQ(lampid.stop(SIGTERM), 0) << lampid.log();
}

TEST(LampidRenewalOptions, AHalfConfiguredRenewalIsRefusedAtStart) {
    TempDir dir;
    RunResult refused = run({LAMPID_BINARY, "--device-id", kLamp, "--state-file", dir / "lamp-state.json",
                             "--cloud-url", "https://127.0.0.1:8443", "--cert-file", dir / "lamp.pem"},
                            dir / "lampid.log", 10s);
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_TRUE(contains(refused.output, "--cloud-ca-file")) << refused.output;
}

}  // namespace
}  // namespace lampi::testing
