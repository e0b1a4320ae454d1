// The CA's certificates against a real Mosquitto (Debian's 2.0.11) with mutual
// TLS and a CRL, driven with mosquitto_pub / mosquitto_sub: what is accepted,
// what is refused, and when a revocation takes effect.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <signal.h>

#include <memory>
#include <thread>

#include "certificate_authority.h"
#include "process.h"
#include "text.h"

namespace lampi::ca {
namespace {

using namespace std::chrono_literals;
using lampi::testing::Process;
using lampi::testing::TempDir;
using testing::contains;
using testing::run;
using testing::RunResult;

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
constexpr const char* kPub = "/usr/bin/mosquitto_pub";
constexpr const char* kSub = "/usr/bin/mosquitto_sub";
constexpr const char* kLamp = "b827eb74663e";
constexpr const char* kOtherLamp = "b827eb740002";

class MosquittoTls : public ::testing::Test {
protected:
    void SetUp() override {
        {
            auto created = CertificateAuthority::create(dir_ / "ca");
            ASSERT_TRUE(created) << created.status().message();
            CertificateAuthority& ca = created.value();
            ServerRequest server;
            server.dns_names = {"localhost"};
            server.ip_addresses = {"127.0.0.1"};
            ASSERT_TRUE(ca.issue_server(server, dir_ / "server"));
            ASSERT_TRUE(ca.issue_device(kLamp, dir_ / "lamp"));
            ASSERT_TRUE(ca.issue_device(kOtherLamp, dir_ / "other-lamp"));
            ASSERT_TRUE(ca.issue_client("ops", dir_ / "ops"));
            IssueOptions past;
            past.not_before_days_ago = 10;
            past.days = 1;
            ASSERT_TRUE(ca.issue_device("b827eb740003", dir_ / "expired", past));
        }
        {
            // Same CA name, different key.
            auto foreign = CertificateAuthority::create(dir_ / "foreign-ca");
            ASSERT_TRUE(foreign);
            ASSERT_TRUE(foreign.value().issue_device("b827eb740004", dir_ / "foreign"));
        }
        port_ = lampi::testing::free_port();
        // The event log goes to a file: stdout is block-buffered when it is not a
        // terminal, so the tests would not see lines as they happen.
        // `user root`: the test's files are root's and 0600; Mosquitto would
        // otherwise drop to the mosquitto user before reading them.
        lampi::testing::write_file(dir_ / "mosquitto.conf",
                                   fmt::format("user root\n"
                                               "log_dest file {dir}/broker-events.log\n"
                                               "log_type all\n"
                                               "persistence false\n"
                                               "allow_anonymous false\n"
                                               "listener {port} 127.0.0.1\n"
                                               "cafile {dir}/ca/ca.pem\n"
                                               "certfile {dir}/server.pem\n"
                                               "keyfile {dir}/server.key\n"
                                               "require_certificate true\n"
                                               "use_identity_as_username true\n"
                                               "crlfile {dir}/ca/crl.pem\n",
                                               fmt::arg("port", port_), fmt::arg("dir", dir_.path())));
        start_broker();
    }

    void start_broker() {
        broker_ = std::make_unique<Process>(std::vector<std::string>{kMosquitto, "-c", dir_ / "mosquitto.conf"},
                                            dir_ / "mosquitto.log");
        broker_->start();
        ASSERT_TRUE(lampi::testing::wait_for_port(port_, 5s)) << broker_log();
    }

    // mosquitto_pub with the given certificate ("" for none); the exit code.
    RunResult publish(const std::string& cert, const std::string& topic, const std::string& payload,
                      bool tls = true) {
        std::vector<std::string> argv{kPub, "-h", "127.0.0.1", "-p", std::to_string(port_), "-t", topic, "-m", payload,
                                      "-q", "1", "-r"};
        if (tls) argv.insert(argv.end(), {"--cafile", dir_ / "ca/ca.pem"});
        if (!cert.empty()) argv.insert(argv.end(), {"--cert", dir_ / (cert + ".pem"), "--key", dir_ / (cert + ".key")});
        return run(argv, 10s);
    }

    // One retained message on `topic`, read with the operator's certificate.
    RunResult read_retained(const std::string& topic) {
        return run({kSub, "-h", "127.0.0.1", "-p", std::to_string(port_), "-t", topic, "-C", "1", "-W", "5", "--cafile",
                    dir_ / "ca/ca.pem", "--cert", dir_ / "ops.pem", "--key", dir_ / "ops.key"},
                   10s);
    }

    bool accepted(const std::string& cert) {
        return publish(cert, fmt::format("devices/{}/lamp/changed", cert), "{}").exit_code == 0;
    }

    std::string broker_log() const { return lampi::testing::read_file(dir_ / "broker-events.log"); }

    TempDir dir_;
    int port_ = 0;
    std::unique_ptr<Process> broker_;
};

TEST_F(MosquittoTls, DeviceCertificateConnectsAndPublishes) {
    std::string topic = fmt::format("devices/{}/lamp/changed", kLamp);
    RunResult pub = publish("lamp", topic, "{\"on\":true}");
    ASSERT_EQ(pub.exit_code, 0) << pub.output << broker_log();
    RunResult sub = read_retained(topic);
    ASSERT_EQ(sub.exit_code, 0) << sub.output;
    EXPECT_EQ(sub.output, "{\"on\":true}\n");
    // The broker saw the certificate CN as the username.
    EXPECT_TRUE(contains(broker_log(), fmt::format("u'{}'", kLamp))) << broker_log();
}

TEST_F(MosquittoTls, CertificateFromAnotherCaIsRefused) {
    ASSERT_TRUE(accepted("lamp"));
    RunResult pub = publish("foreign", "devices/b827eb740004/lamp/changed", "{}");
    EXPECT_NE(pub.exit_code, 0) << pub.output;
    EXPECT_TRUE(contains(broker_log(), "certificate verify failed")) << broker_log();
}

TEST_F(MosquittoTls, ExpiredCertificateIsRefused) {
    ASSERT_TRUE(accepted("lamp"));
    EXPECT_FALSE(accepted("expired"));
}

TEST_F(MosquittoTls, PlaintextAndCertificateLessClientsAreRefused) {
    RunResult plain = publish("", "devices/x/lamp/changed", "{}", /*tls=*/false);
    EXPECT_NE(plain.exit_code, 0) << plain.output;
    RunResult no_cert = publish("", "devices/x/lamp/changed", "{}", /*tls=*/true);
    EXPECT_NE(no_cert.exit_code, 0) << no_cert.output;
    EXPECT_TRUE(contains(broker_log(), "peer did not return a certificate")) << broker_log();
}

// Mosquitto reads crlfile when it starts the listener: a revocation takes effect
// on SIGHUP (2.0.11 rebuilds its TLS contexts on a config reload) or a restart,
// not before.
TEST_F(MosquittoTls, RevokedCertificateIsRefusedAfterReloadAndRestart) {
    ASSERT_TRUE(accepted("lamp"));
    {
        auto ca = CertificateAuthority::open(dir_ / "ca");
        ASSERT_TRUE(ca);
        ASSERT_TRUE(ca.value().revoke(kLamp, "keyCompromise"));
    }
    EXPECT_TRUE(accepted("lamp")) << "Mosquitto is expected to keep its CRL until reloaded";

    ASSERT_EQ(::kill(broker_->pid(), SIGHUP), 0);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!contains(broker_log(), "Reloading config") && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(contains(broker_log(), "Reloading config")) << broker_log();
    EXPECT_FALSE(accepted("lamp")) << broker_log();
    EXPECT_TRUE(accepted("other-lamp")) << broker_log();

    broker_->stop();
    start_broker();
    EXPECT_FALSE(accepted("lamp")) << broker_log();
    EXPECT_TRUE(accepted("other-lamp")) << broker_log();
}

}  // namespace
}  // namespace lampi::ca
