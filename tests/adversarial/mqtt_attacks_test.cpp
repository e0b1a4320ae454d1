// Attacks on the cloud broker, as `./lampi up` runs it: lamps on mutual TLS
// (+0, certificate CN = device id, CRL), services, operators and people on TLS
// with passwords (+3), the auth plugin asking lampi-cloud. Each attack is sent
// on the wire (tests/support/wire.h) and must be refused; each test first
// shows the same path working for the rightful client, so a refusal cannot be a
// broken set-up.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <boost/json.hpp>
#include <thread>

#include "attack_platform.h"
#include "certificate_authority.h"

namespace lampi::testing {
namespace {

// Short, so the expiry attack waits seconds, not the default 15 minutes.
constexpr int kCredentialSeconds = 3;
// The lamp the revocation test takes out of service (the last of three).
constexpr int kRevokedLamp = 2;
// A device id with a certificate from the platform's CA but no running lamp.
const std::string kSpareLamp = "0400000000a1";

class MqttAttacks : public PlatformSuite<3, kCredentialSeconds> {
protected:

    static int lamp_port() { return platform_->lamp_mqtt_port(); }
    static int client_port() { return platform_->client_mqtt_port(); }
    static std::string lamp(int i) { return platform_->lamp_id(i); }
    static std::string topic(int lamp_index, std::string_view local) { return topics::cloud(lamp(lamp_index), local); }

    // A client id in the username's own namespace unless one is given (web
    // credentials may use only "<username>" and "<username>-…").
    static MqttConnect as(std::string username, std::string password, std::string client_id = "") {
        if (client_id.empty()) client_id = username + "-adversary";
        return MqttConnect{std::move(client_id), std::move(username), std::move(password)};
    }
    static MqttConnect operator_login() {
        return as("operator", platform_->login("operator", "password"), "operator-control");
    }

    struct Credential {
        std::string username;
        std::string password;
        std::int64_t expires_at = 0;
    };
    // What the control page gets for `who` after logging in on the web.
    static std::optional<Credential> credential(const char* who) {
        BrowserSession web = BrowserSession::at(platform_->https_url(), platform_->ca_file());
        if (!web.login(platform_->login(who, "username"), platform_->login(who, "password"))) return std::nullopt;
        auto response = web.get("/api/v1/mqtt-credential");
        if (response.status != 200) return std::nullopt;
        auto json = boost::json::parse(response.body);
        return Credential{std::string(json.at("username").as_string()), std::string(json.at("password").as_string()),
                          json.at("expires_at").as_int64()};
    }

    // `who` on the client listener with a credential taken just before, and that
    // credential. Credentials live kCredentialSeconds here, which a loaded machine
    // can spend between taking one and using it: a refusal counts only while the
    // credential was still valid, so one that expired on the way is taken again
    // (three times at most).
    struct Connected {
        Credential credential;
        MqttAttempt attempt;
    };
    static Connected connect_with_fresh_credential(const char* who) {
        Connected out;
        for (int tries = 0; tries < 3; ++tries) {
            auto issued = credential(who);
            if (!issued) {
                out.attempt.observed = fmt::format("{} could not get a broker credential", who);
                return out;
            }
            out.credential = *issued;
            out.attempt =
                mqtt_connect(client_port(), server_verified(*platform_), as(issued->username, issued->password));
            auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
            if (out.attempt.accepted || now < issued->expires_at) return out;
        }
        return out;
    }

    std::unique_ptr<MqttProbe> observer(std::vector<std::string> subscriptions) {
        auto probe = std::make_unique<MqttProbe>(
            platform_->password_client("operator", platform_->login("operator", "password")), std::move(subscriptions));
        EXPECT_TRUE(probe->wait_connected()) << "the operator could not connect";
        return probe;
    }

};


TEST_F(MqttAttacks, PlaintextMqttOnTheTlsListenersGetsNoConnack) {
    // Controls: the same CONNECTs inside TLS are answered.
    ASSERT_TRUE(mqtt_connect(lamp_port(), extra_lamp_identity(*platform_, kSpareLamp), as_lamp(kSpareLamp)).accepted);
    ASSERT_TRUE(mqtt_connect(client_port(), server_verified(*platform_), operator_login()).accepted);

    MqttAttempt lamp_listener = mqtt_connect(lamp_port(), std::nullopt, client_id_only("adversary"));
    EXPECT_TRUE(refused("plaintext MQTT CONNECT to the lamps' mTLS listener (+0)", "no CONNACK",
                        !lamp_listener.accepted, lamp_listener.observed));
    // The operator's real password, sent in the clear, must not open anything.
    MqttAttempt service_listener = mqtt_connect(client_port(), std::nullopt, operator_login());
    EXPECT_TRUE(refused("plaintext MQTT CONNECT with the operator's password (+3)", "no CONNACK",
                        !service_listener.accepted, service_listener.observed));
}

TEST_F(MqttAttacks, ACertificateFromAnotherCaIsRefusedEvenWithARealLampsId) {
    // The attacker's own CA issues a certificate whose CN is a real lamp's id.
    std::string foreign_dir = platform_->dir / "foreign-ca";
    {
        auto foreign = ca::CertificateAuthority::create(foreign_dir);
        ASSERT_TRUE(foreign) << foreign.status().message();
        ASSERT_TRUE(foreign.value().issue_device(lamp(0), foreign_dir + "/impostor"));
    }
    ASSERT_TRUE(mqtt_connect(lamp_port(), extra_lamp_identity(*platform_, kSpareLamp), as_lamp(kSpareLamp)).accepted);

    TlsIdentity impostor{platform_->ca_file(), foreign_dir + "/impostor.pem", foreign_dir + "/impostor.key"};
    MqttAttempt attempt = mqtt_connect(lamp_port(), impostor, client_id_only("adversary"));
    EXPECT_TRUE(refused("lamp certificate (CN = real lamp id) from another CA (+0)", "TLS refused",
                        !attempt.accepted, attempt.observed));
    MqttAttempt no_certificate = mqtt_connect(lamp_port(), server_verified(*platform_), client_id_only("adversary"));
    EXPECT_TRUE(refused("no client certificate on the lamps' listener (+0)", "TLS refused", !no_certificate.accepted,
                        no_certificate.observed));
}

TEST_F(MqttAttacks, AnExpiredLampCertificateIsRefused) {
    std::string prefix = platform_->dir / "expired-lamp";
    {
        // Signed by the platform's own CA, for a real lamp: only the dates are wrong.
        auto authority = ca::CertificateAuthority::open(platform_->ca_dir());
        ASSERT_TRUE(authority) << authority.status().message();
        ca::IssueOptions expired;
        expired.days = 1;
        expired.not_before_days_ago = 10;
        expired.allow_duplicate = true;
        auto issued = authority.value().issue_device(lamp(0), prefix, expired);
        ASSERT_TRUE(issued) << issued.status().message();
    }
    ASSERT_TRUE(mqtt_connect(lamp_port(), extra_lamp_identity(*platform_, kSpareLamp), as_lamp(kSpareLamp)).accepted);

    MqttAttempt attempt =
        mqtt_connect(lamp_port(), TlsIdentity{platform_->ca_file(), prefix + ".pem", prefix + ".key"}, client_id_only("adversary"));
    EXPECT_TRUE(refused("expired lamp certificate from the platform CA (+0)", "TLS refused", !attempt.accepted,
                        attempt.observed));
}

TEST_F(MqttAttacks, ALampCertificateStaysInsideItsOwnTopics) {
    auto operator_view = observer({"devices/#"});
    // A lamp of the platform's CA that no running bridge uses (one connection per lamp).
    MqttAttempt lamp0 = mqtt_connect(lamp_port(), extra_lamp_identity(*platform_, kSpareLamp), as_lamp(kSpareLamp));
    ASSERT_TRUE(lamp0.accepted) << lamp0.observed;
    std::string observed;
    ASSERT_TRUE(
        subscription_granted(mqtt_subscribe(*lamp0.session, topics::cloud(kSpareLamp, topics::kSetConfig), observed)))
        << "a lamp could not subscribe to its own set_config: " << observed;

    for (const std::string& filter : {std::string("devices/#"), topic(0, topics::kSetConfig), std::string("#"),
                                      std::string("$SYS/#")}) {
        int code = mqtt_subscribe(*lamp0.session, filter, observed);
        EXPECT_TRUE(refused("a lamp certificate subscribes to " + filter, "SUBACK 0x80", subscription_refused(code), observed));
    }

    // Forged messages into lamp 1's topics, then one into lamp 0's own. The broker
    // handles one connection's packets in order, so once the allowed one reaches
    // the operator, the forged ones would have too.
    std::string error;
    const std::string forged_state = topic(1, topics::kChanged);
    const std::string forged_presence = topic(1, "lamp/connection/forged/state");
    ASSERT_TRUE(lamp0.session->send(
        mqtt_publish_packet(forged_state, R"({"on":false,"color":{"h":0,"s":0},"brightness":0,"client":"forged"})"),
        error));
    ASSERT_TRUE(lamp0.session->send(mqtt_publish_packet(forged_presence, "0"), error));
    ASSERT_TRUE(lamp0.session->send(mqtt_publish_packet(topics::cloud(kSpareLamp, "lamp/connection/probe/state"), "1"), error));
    ASSERT_TRUE(operator_view->wait_for(topics::cloud(kSpareLamp, "lamp/connection/probe/state")))
        << "the lamp's publish into its own topics did not arrive";
    auto forged = operator_view->wait_for(
        forged_state, [](const MqttMessage& m) { return m.payload.find("forged") != std::string::npos; }, 0ms);
    EXPECT_TRUE(refused("a lamp certificate publishes lamp 1's lamp/changed", "dropped by the broker", !forged,
                        forged ? "delivered to subscribers" : "not delivered (own-topic control was)"));
    bool presence = !operator_view->messages(forged_presence).empty();
    EXPECT_TRUE(refused("a lamp certificate publishes lamp 1's connection state", "dropped by the broker",
                        !presence, presence ? "delivered to subscribers" : "not delivered (own-topic control was)"));
}

TEST_F(MqttAttacks, ABrowserCredentialIsRefusedOnceItHasExpired) {
    // Control: fresh, it opens the broker (the plugin serves every listener alike;
    // the page uses +1, WebSockets, with the same credential).
    Connected fresh = connect_with_fresh_credential("demo");
    ASSERT_TRUE(fresh.attempt.accepted) << fresh.attempt.observed;
    const Credential* issued = &fresh.credential;
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    ASSERT_LE(issued->expires_at - now, kCredentialSeconds + 1) << "the platform ignored --credential-seconds";

    auto wait = std::chrono::seconds(issued->expires_at - now) + 1500ms;
    ASSERT_LE(wait, 10s);
    std::this_thread::sleep_for(wait);
    MqttAttempt replay = mqtt_connect(client_port(), server_verified(*platform_), as(issued->username, issued->password));
    EXPECT_TRUE(refused("browser broker credential replayed after expiry (+3)", "CONNACK refused", !replay.accepted,
                        replay.observed));
}

TEST_F(MqttAttacks, APersonsCredentialReachesOnlyTheirOwnLampsAndNoWildcards) {
    auto operator_view = observer({topic(0, topics::kSetConfig), "$SYS/broker/uptime"});
    MqttAttempt guest = connect_with_fresh_credential("second_user").attempt;
    MqttAttempt demo = connect_with_fresh_credential("demo").attempt;
    ASSERT_TRUE(guest.accepted && demo.accepted) << guest.observed << " / " << demo.observed;

    std::string observed;
    // Control: the owner subscribes to their lamp.
    ASSERT_TRUE(subscription_granted(mqtt_subscribe(*demo.session, topic(0, topics::kChanged), observed))) << observed;
    // Control: the operator reads $SYS (Mosquitto publishes it every 10 s).
    ASSERT_TRUE(operator_view->wait_for("$SYS/broker/uptime", nullptr, 15s)) << "no $SYS for the operator";

    int code = mqtt_subscribe(*guest.session, topic(0, topics::kChanged), observed);
    EXPECT_TRUE(refused("guest's credential subscribes to demo's lamp", "SUBACK 0x80", subscription_refused(code), observed));
    for (const std::string& filter : {std::string("#"), std::string("$SYS/#"), std::string("devices/+/lamp/changed")}) {
        code = mqtt_subscribe(*guest.session, filter, observed);
        EXPECT_TRUE(refused("guest (non-operator) subscribes to " + filter, "SUBACK 0x80", subscription_refused(code), observed));
        code = mqtt_subscribe(*demo.session, filter, observed);
        EXPECT_TRUE(refused("lamp owner (non-operator) subscribes to " + filter, "SUBACK 0x80", subscription_refused(code),
                            observed));
    }

    std::string error;
    // The guest's command is acknowledged (decided on) before the owner's is sent,
    // so had it gone through it would reach the observer before the owner's.
    ASSERT_TRUE(mqtt_publish_acknowledged(*guest.session, topic(0, topics::kSetConfig),
                                          R"({"on":false,"client":"guest-attack"})", observed))
        << observed;
    ASSERT_TRUE(demo.session->send(
        mqtt_publish_packet(topic(0, topics::kSetConfig), R"({"client":"owner-control"})"), error));
    ASSERT_TRUE(operator_view->wait_for(topic(0, topics::kSetConfig), [](const MqttMessage& m) {
        return m.payload.find("owner-control") != std::string::npos;
    })) << "the owner's command did not reach the lamp";
    auto attack = operator_view->wait_for(
        topic(0, topics::kSetConfig), [](const MqttMessage& m) { return m.payload.find("guest-attack") != std::string::npos; },
        0ms);
    EXPECT_TRUE(refused("guest's credential publishes set_config to demo's lamp", "dropped by the broker", !attack,
                        attack ? "delivered to the lamp" : "not delivered (owner's control was)"));
}

TEST_F(MqttAttacks, ALampIdIsNotAUsername) {
    ASSERT_TRUE(mqtt_connect(client_port(), server_verified(*platform_), operator_login()).accepted);

    MqttAttempt guessed = mqtt_connect(client_port(), server_verified(*platform_), as(lamp(0), "anything"));
    EXPECT_TRUE(refused("lamp id as username with a password (+3)", "CONNACK refused", !guessed.accepted,
                        guessed.observed));
    MqttAttempt borrowed = mqtt_connect(client_port(), server_verified(*platform_),
                                        as(lamp(0), platform_->login("operator", "password")));
    EXPECT_TRUE(refused("lamp id as username with the operator's password (+3)", "CONNACK refused",
                        !borrowed.accepted, borrowed.observed));
    // The lamp's own certificate does not make a password login a lamp login.
    MqttAttempt with_certificate =
        mqtt_connect(client_port(), lamp_identity(*platform_, 0), MqttConnect{"adversary", lamp(0), std::nullopt});
    EXPECT_TRUE(refused("lamp id as username, lamp certificate, no password (+3)", "CONNACK refused",
                        !with_certificate.accepted, with_certificate.observed));
    MqttAttempt injected =
        mqtt_connect(client_port(), server_verified(*platform_), as("' OR '1'='1' --", "' OR '1'='1' --"));
    EXPECT_TRUE(refused("SQL injection as MQTT username and password (+3)", "CONNACK refused", !injected.accepted,
                        injected.observed));
}

// Last in the suite: it takes lamp 2 out of service for good.
TEST_F(MqttAttacks, ARevokedLampIsShutOutOnceTheBrokerReloadsItsCrl) {
    ASSERT_TRUE(mqtt_connect(lamp_port(), lamp_identity(*platform_, kRevokedLamp), as_lamp(lamp(kRevokedLamp))).accepted);
    {
        auto authority = ca::CertificateAuthority::open(platform_->ca_dir());
        ASSERT_TRUE(authority) << authority.status().message();
        auto revoked = authority.value().revoke(lamp(kRevokedLamp), "keyCompromise");
        ASSERT_TRUE(revoked) << revoked.status().message();
    }
    // Mosquitto 2.0.11 reads its CRL again when it reloads its configuration.
    platform_->supervisorctl("signal HUP cloud-broker");
    MqttAttempt attempt;
    auto reloaded_by = std::chrono::steady_clock::now() + 30s;  // generous: a loaded machine reloads late
    do {
        attempt = mqtt_connect(lamp_port(), lamp_identity(*platform_, kRevokedLamp), as_lamp(lamp(kRevokedLamp)));
        if (attempt.accepted) std::this_thread::sleep_for(250ms);
    } while (attempt.accepted && std::chrono::steady_clock::now() < reloaded_by);
    EXPECT_TRUE(refused("revoked lamp certificate, after SIGHUP (+0)", "TLS refused", !attempt.accepted,
                        attempt.observed));
    MqttAttempt other = mqtt_connect(lamp_port(), extra_lamp_identity(*platform_, kSpareLamp), as_lamp(kSpareLamp));
    EXPECT_TRUE(other.accepted) << "the other lamps' certificates must keep working: " << other.observed;

    // The revoked lamp's own bridge: restart both lamps' brokers, so each bridge
    // connects anew; lamp 0 comes back, lamp 2 must not.
    auto operator_view = observer({"devices/+/lamp/connection/bridge/state"});
    const std::string revoked_broker = "lamp-broker-" + lamp(kRevokedLamp);
    const std::string control_broker = "lamp-broker-" + lamp(0);
    platform_->supervisorctl("stop " + revoked_broker + " " + control_broker);
    operator_view->clear();
    platform_->supervisorctl("start " + revoked_broker + " " + control_broker);
    auto online = [](const MqttMessage& m) { return m.payload == "1"; };
    ASSERT_TRUE(operator_view->wait_for(topic(0, "lamp/connection/bridge/state"), online, 20s))
        << "lamp 0's bridge did not come back after its broker restarted";
    auto back = operator_view->wait_for(topic(kRevokedLamp, "lamp/connection/bridge/state"), online, 3s);
    EXPECT_TRUE(refused("revoked lamp's bridge reconnects after its broker restarts", "stays out", !back,
                        back ? "bridge online again" : "bridge offline while lamp 0's came back"));
}

}  // namespace
}  // namespace lampi::testing
