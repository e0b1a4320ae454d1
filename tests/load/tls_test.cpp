// lampi-load over TLS, with certificates from the platform CA (lampi_ca): publish
// and fleet against a TLS listener, per-lamp client certificates on a mutual-TLS
// listener that takes the certificate's CN as the user name, and clear failures
// when the CA or the client certificate is wrong.
#include <gtest/gtest.h>

#include <fmt/core.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "certificate_authority.h"
#include "cli_run.h"
#include "fleet/fleet.h"
#include "loopback_ca.h"
#include "mqtt_harness.h"
#include "scenario/publish.h"

namespace lampi::load {
namespace {

using lampi::testing::TempDir;
using lampi::testing::TestBroker;

// A CA, a server certificate for 127.0.0.1 and a broker listening with it.
class TlsLoad : public ::testing::Test {
protected:
    void SetUp() override {
        auto made = lampi::testing::make_loopback_ca(dir_.path());
        ASSERT_TRUE(made) << made.status().message();
        ca_ = std::make_unique<ca::CertificateAuthority>(std::move(made.value().authority));
        server_ = made->server;
    }

    void start_broker(bool mutual) {
        stack::BrokerSettings settings;
        stack::ListenerTls tls;
        tls.ca_file = ca_->ca_cert_path();
        tls.cert_file = server_.cert_path;
        tls.key_file = server_.key_path;
        tls.require_certificate = mutual;
        tls.use_identity_as_username = mutual;
        settings.tls = tls;
        broker_ = std::make_unique<TestBroker>(dir_.path(), "broker", settings);
    }

    ClientOptions client(std::string cert = "", std::string key = "") {
        ClientOptions o;
        o.port = broker_->port();
        o.tls = MqttTls{ca_->ca_cert_path(), std::move(cert), std::move(key)};
        return o;
    }

    static RunReport run(Scenario& scenario) {
        RunSettings settings;
        settings.threads = 2;
        settings.hard_limit_s = 30;
        return run_scenario(scenario, settings);
    }

    static double figure(const RunReport& report, const std::string& key) {
        for (const Figure& f : report.figures) {
            if (f.key == key) return f.value;
        }
        return -1;
    }

    TempDir dir_;
    std::unique_ptr<ca::CertificateAuthority> ca_;
    ca::IssuedFiles server_;
    std::unique_ptr<TestBroker> broker_;
};

TEST_F(TlsLoad, PublishOverTlsVerifiesTheBrokerAndConfirmsEverything) {
    start_broker(false);
    PublishOptions pub;
    pub.client = client();
    pub.clients = 4;
    pub.count = 200;
    pub.qos = 1;
    PublishScenario publish(pub);
    RunReport report = run(publish);
    EXPECT_TRUE(report.ok()) << (report.failures.empty() ? "" : report.failures.front());
    EXPECT_EQ(report.totals.get(Counter::completed), 800u);
    EXPECT_EQ(report.totals.get(Counter::errors), 0u);
}

TEST_F(TlsLoad, PublishWithAClientCertificateOnAMutualTlsListener) {
    start_broker(true);
    auto operator_cert = ca_->issue_client("load-operator", dir_ / "operator");
    ASSERT_TRUE(operator_cert) << operator_cert.status().message();
    // A run like the plain TLS test's; only the client certificate is new.
    PublishOptions pub;
    pub.client = client(operator_cert->cert_path, operator_cert->key_path);
    pub.clients = 3;
    pub.count = 100;
    pub.qos = 2;
    PublishScenario publish(pub);
    RunReport report = run(publish);
    EXPECT_TRUE(report.ok()) << (report.failures.empty() ? "" : report.failures.front());
    EXPECT_EQ(report.totals.get(Counter::completed), 300u);
    EXPECT_NE(broker_->log().find("u'load-operator'"), std::string::npos) << "the CN is the user name";
}

TEST_F(TlsLoad, FleetLampsEachUseTheirOwnCertificate) {
    start_broker(true);
    FleetOptions o;
    o.lamps = 10;
    o.connect_rate = 200;
    o.commands_per_s = 100;
    o.duration_s = 1;
    std::string lamp_dir = dir_ / "lamps";
    std::filesystem::create_directories(lamp_dir);
    for (int i = 0; i < o.lamps; ++i) {
        std::string id = FleetScenario::device_id(o.first_device_id, i);
        auto issued = ca_->issue_device(id, lamp_dir + "/" + id);
        ASSERT_TRUE(issued) << issued.status().message();
    }
    auto commander = ca_->issue_client("lampi-load-commander", dir_ / "commander");
    ASSERT_TRUE(commander) << commander.status().message();
    o.client = client(commander->cert_path, commander->key_path);
    o.cert_dir = lamp_dir;
    FleetScenario fleet(o);
    RunReport report = run(fleet);

    EXPECT_TRUE(report.ok()) << (report.failures.empty() ? "" : report.failures.front());
    EXPECT_EQ(report.totals.get(Counter::connect_ok), 11u);
    EXPECT_GE(figure(report, "commands_sent"), 50);
    EXPECT_EQ(figure(report, "commands_answered"), figure(report, "commands_sent"));
    // The broker took each lamp's device id (its certificate's CN) as its user name.
    std::string log = broker_->log();
    for (int i = 0; i < o.lamps; ++i) {
        std::string id = FleetScenario::device_id(o.first_device_id, i);
        EXPECT_NE(log.find(fmt::format("as lamp-{} (p2, c1, k60, u'{}')", id, id)), std::string::npos) << id;
    }
}

using lampi::testing::CliRun;
using lampi::testing::lampi_load;

TEST_F(TlsLoad, TheWrongCaIsAClearFailure) {
    start_broker(false);
    ca::CreateOptions foreign;
    foreign.name = "Someone else's CA";
    auto other = ca::CertificateAuthority::create(dir_ / "other-ca", foreign);
    ASSERT_TRUE(other) << other.status().message();
    CliRun r =
        lampi_load(fmt::format("publish -p {} -n 5 -P 2 --quiet --cafile {}", broker_->port(), other->ca_cert_path()));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(fmt::format("TLS handshake with 127.0.0.1:{} failed", broker_->port())), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("check that --cafile is the CA that signed the broker's certificate"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("2 of 2 connections failed"), std::string::npos) << r.output;
}

TEST_F(TlsLoad, NoClientCertificateOnAMutualTlsListenerIsAClearFailure) {
    start_broker(true);
    CliRun r = lampi_load(fmt::format("publish -p {} -n 5 --quiet --cafile {}", broker_->port(), ca_->ca_cert_path()));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("--cert/--key"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Result: FAILED"), std::string::npos) << r.output;
}

TEST_F(TlsLoad, AnUnreadableCaFileSaysWhichFile) {
    start_broker(false);
    CliRun r = lampi_load(fmt::format("publish -p {} -n 5 --quiet --cafile {}", broker_->port(), dir_ / "missing.pem"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("cannot load the CA certificate '" + (dir_ / "missing.pem") + "'"), std::string::npos)
        << r.output;
}

}  // namespace
}  // namespace lampi::load
