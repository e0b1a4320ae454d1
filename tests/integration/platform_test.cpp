// The platform as `./lampi up` runs it: lamps over mutual TLS, people with
// short-lived credentials from the web, the auth plugin asking lampi-cloud, and
// supervisord keeping it all alive. Each test is a request that must be allowed
// or refused, with a positive control so a refusal is not just a broken setup.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cstring>
#include <filesystem>
#include <iostream>

#include "platform_suite.h"
#include "prometheus_text.h"

namespace lampi::testing {
namespace {

class PlatformTest : public PlatformSuite<2> {
protected:
    std::unique_ptr<MqttProbe> as_operator(std::vector<std::string> subscriptions) {
        auto probe = std::make_unique<MqttProbe>(
            platform_->password_client("operator", platform_->login("operator", "password")), std::move(subscriptions));
        EXPECT_TRUE(probe->wait_connected()) << "the operator could not connect";
        return probe;
    }

    std::unique_ptr<MqttProbe> as_person(const char* who, std::vector<std::string> subscriptions) {
        auto credential = platform_->broker_credential(platform_->login(who, "username"), platform_->login(who, "password"));
        EXPECT_TRUE(credential) << who << " could not get a broker credential";
        if (!credential) return nullptr;
        auto probe = std::make_unique<MqttProbe>(person_client(*credential), std::move(subscriptions));
        EXPECT_TRUE(probe->wait_connected()) << who << " could not connect with their credential";
        return probe;
    }

    static std::string topic(int lamp, std::string_view local) { return topics::cloud(platform_->lamp_id(lamp), local); }

    // A person's credential with a client id of its own namespace, as the page uses.
    static MqttOptions person_client(const std::pair<std::string, std::string>& credential) {
        MqttOptions options = platform_->password_client(credential.first, credential.second);
        options.client_id = credential.first + "-1";
        return options;
    }
};

TEST_F(PlatformTest, TheDemoUserCommandsTheirLampAndSeesItChange) {
    auto demo = as_person("demo", {topic(0, topics::kChanged)});
    ASSERT_TRUE(demo);
    ASSERT_TRUE(demo->wait_for(topic(0, topics::kChanged))) << "no retained state for the owner";
    ASSERT_TRUE(demo->publish(topic(0, topics::kSetConfig), R"({"on": true, "brightness": 0.4, "client": "demo-test"})"));
    auto changed = demo->wait_for(topic(0, topics::kChanged), [](const MqttMessage& m) {
        auto state = decode_changed(m.payload);
        return state && state->client == "demo-test";
    });
    ASSERT_TRUE(changed) << "the lamp did not answer its owner";
    EXPECT_DOUBLE_EQ(decode_changed(changed->payload)->brightness, 0.4);
}

TEST_F(PlatformTest, AnotherUsersLampDevicesWildcardAndSysAreOutOfReach) {
    auto observer = as_operator({topic(0, topics::kSetConfig), "$SYS/broker/uptime"});
    auto guest = as_person("second_user", {topic(0, topics::kChanged), "devices/#", "$SYS/#"});
    ASSERT_TRUE(guest);
    // Acknowledged: the broker has decided on the guest's command, and has sent the
    // guest, on the same connection and before this PUBACK, the retained messages of
    // any subscription it granted.
    ASSERT_TRUE(guest->publish_acknowledged(topic(0, topics::kSetConfig), R"({"on": false, "client": "guest-attack"})"));
    EXPECT_TRUE(guest->messages(topic(0, topics::kChanged)).empty()) << "guest read the demo user's lamp";
    EXPECT_FALSE(guest->wait_for("$SYS/broker/uptime", nullptr, 0ms)) << "guest read $SYS";
    // Positive controls: the operator reads $SYS, and the lamp's owner is heard. The
    // owner's command is sent after the guest's was decided, so had the guest's gone
    // through it would have reached the observer first.
    EXPECT_TRUE(observer->wait_for("$SYS/broker/uptime", nullptr, 15s));
    auto demo = as_person("demo", {});
    ASSERT_TRUE(demo);
    EXPECT_TRUE(demo->publish(topic(0, topics::kSetConfig), R"({"client": "owner-control"})"))
        << "the client did not send it";
    EXPECT_TRUE(observer->wait_for(topic(0, topics::kSetConfig), [](const MqttMessage& m) {
        return m.payload.find("owner-control") != std::string::npos;
    }));
    for (const MqttMessage& m : observer->messages(topic(0, topics::kSetConfig)))
        EXPECT_EQ(m.payload.find("guest-attack"), std::string::npos) << "guest's command reached the lamp";
}

TEST_F(PlatformTest, ALampCertificateReachesOnlyItsOwnTopics) {
    auto observer = as_operator({"devices/+/lamp/connection/+/state"});
    // A lamp holds one connection (client id lamp-<id>): its bridge steps aside.
    platform_->supervisorctl("stop lamp-broker-" + platform_->lamp_id(0));
    struct Restart {
        ~Restart() { platform_->supervisorctl("start lamp-broker-" + platform_->lamp_id(0)); }
    } restart;
    MqttProbe impostor(platform_->lamp_client(0), {"devices/#", topic(1, topics::kSetConfig)});
    ASSERT_TRUE(impostor.wait_connected()) << "a lamp certificate could not connect";
    // The forged publish, then its own (allowed) on the same connection: the broker
    // handles them in order, so the second reaching the observer means the first
    // was decided, and would have arrived before it.
    EXPECT_TRUE(impostor.publish(topic(1, "lamp/connection/forged/state"), "1", 1, false))
        << "the client did not send it";
    // Acknowledged on the same connection after its subscriptions: any retained
    // message they had been granted arrived before this PUBACK.
    ASSERT_TRUE(impostor.publish_acknowledged(topic(0, "lamp/connection/probe/state"), "1"));
    ASSERT_TRUE(observer->wait_for(topic(0, "lamp/connection/probe/state"))) << "the lamp's own topic was refused";
    EXPECT_TRUE(observer->messages(topic(1, "lamp/connection/forged/state")).empty())
        << "lamp 0 published into lamp 1's topics";
    EXPECT_TRUE(impostor.messages(topic(1, topics::kChanged)).empty()) << "lamp 0 read devices/#";
}

// The TCP_NODELAY option of the socket `pid` holds connected to 127.0.0.1:`port`,
// read through a duplicate of its descriptor (pidfd_getfd); nullopt if none.
std::optional<bool> nodelay_of_socket_to(pid_t pid, int port, std::string& error) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        error = std::string("pidfd_open: ") + std::strerror(errno);
        return std::nullopt;
    }
    std::optional<bool> found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(fmt::format("/proc/{}/fd", pid), ec)) {
        std::error_code link_ec;
        if (std::filesystem::read_symlink(entry.path(), link_ec).string().rfind("socket:", 0) != 0) continue;
        int target = std::stoi(entry.path().filename().string());
        int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, target, 0));
        if (fd < 0) {
            error = std::string("pidfd_getfd: ") + std::strerror(errno);
            continue;
        }
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) == 0 && peer.sin_family == AF_INET &&
            ntohs(peer.sin_port) == port) {
            int on = 0;
            socklen_t size = sizeof on;
            if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &size) == 0) found = on != 0;
        }
        ::close(fd);
        if (found) break;
    }
    ::close(pidfd);
    return found;
}

// Nagle's algorithm on a lamp's bridge held every state report until the cloud's
// delayed ACK, ~40 ms (src/bridge-nodelay/README.md).
TEST_F(PlatformTest, ALampsBridgeToTheCloudSendsWithoutNaglesDelay) {
    const std::string pid_text = platform_->supervisorctl("pid lamp-broker-" + platform_->lamp_id(0));
    pid_t runner = static_cast<pid_t>(std::atol(pid_text.c_str()));
    ASSERT_GT(runner, 0) << pid_text;
    // lampi-stack run execs the broker, so supervisord's pid is Mosquitto's.
    ASSERT_NE(read_file(fmt::format("/proc/{}/cmdline", runner)).find("mosquitto"), std::string::npos);
    std::string error;
    std::optional<bool> nodelay;
    ASSERT_TRUE(eventually(
        [&] {
            nodelay = nodelay_of_socket_to(runner, platform_->lamp_mqtt_port(), error);
            return nodelay.has_value();
        },
        std::chrono::seconds(20)))
        << "no socket of the lamp's broker is connected to the cloud's lamp port " << platform_->lamp_mqtt_port() << " "
        << error;
    EXPECT_TRUE(*nodelay) << "the bridge socket has Nagle's algorithm on";
}

// The cloud broker's $SYS figures and its auth plugin's registry size, re-exported
// by lampi-cloud: a running platform holds at least the lamps' bridges and
// lampi-cloud itself, so both must show at least that many.
TEST_F(PlatformTest, TheCloudBrokersOwnFiguresShowOnTheCloudsMetrics) {
    BrowserSession local = BrowserSession::at(platform_->https_url(), platform_->ca_file());
    PrometheusText metrics;
    std::string body;
    // $SYS comes every 10 s (sys_interval), the plugin's figure at its 10 s purge.
    ASSERT_TRUE(eventually(
        [&] {
            HttpReply reply = local.get("/metrics");
            body = reply.body;
            metrics = parse_prometheus_text(body);
            // The first figures, from the broker's start, may still be zeros.
            return reply.status == 200 && metrics.value("lampi_mosquitto_clients_connected") >= 3.0 &&
                   metrics.value("lampi_broker_auth_plugin_clients") >= 3.0;
        },
        std::chrono::seconds(30)))
        << "the cloud broker's clients (two lamps' bridges and lampi-cloud) never showed\n"
        << body;
    EXPECT_TRUE(metrics.errors.empty()) << metrics.errors.front();
    EXPECT_EQ(metrics.types["lampi_mosquitto_messages_received_total"], "counter");
    EXPECT_GT(metrics.value("lampi_mosquitto_uptime_seconds"), 0.0);
}

TEST_F(PlatformTest, AWrongPasswordIsRefused) {
    MqttProbe intruder(platform_->password_client("operator", "not-the-password"), {"#"});
    EXPECT_FALSE(intruder.wait_connected(2s));
    MqttProbe lamp_by_password(platform_->password_client(platform_->lamp_id(0), "anything"), {"#"});
    EXPECT_FALSE(lamp_by_password.wait_connected(2s)) << "a lamp id was accepted without its certificate";
}

// The broker decides CONNECTs without the cloud (signed credentials), so a
// person with a valid credential gets in while the cloud is down; a junk login
// does not.
TEST_F(PlatformTest, WithTheCloudDownSignedNewcomersGetInJunkDoesNotAndTheConnectedKeepWorking) {
    auto credential = platform_->broker_credential(platform_->login("demo", "username"), platform_->login("demo", "password"));
    ASSERT_TRUE(credential);
    auto observer = as_operator({topic(1, topics::kChanged)});
    ASSERT_NE(platform_->supervisorctl("stop lampi-cloud").find("stopped"), std::string::npos);

    MqttProbe newcomer(person_client(*credential), {});
    EXPECT_TRUE(newcomer.wait_connected(3s)) << "a signed credential was refused while the cloud was down";
    MqttProbe junk(platform_->password_client("web-junk", "v1.junk.junk"), {});
    EXPECT_FALSE(junk.wait_connected(2s)) << "a forged credential was let in while the cloud was down";
    EXPECT_TRUE(observer->publish(topic(1, topics::kSetConfig), R"({"brightness": 0.7, "client": "while-cloud-down"})"))
        << "the client did not send it";
    EXPECT_TRUE(observer->wait_for(topic(1, topics::kChanged), [](const MqttMessage& m) {
        auto state = decode_changed(m.payload);
        return state && state->client == "while-cloud-down";
    })) << "a connected client stopped working when the cloud went down";

    platform_->supervisorctl("start lampi-cloud");
    ASSERT_TRUE(wait_for_port(platform_->port_base + 2, 20s));
    MqttProbe later(person_client(*credential), {});
    EXPECT_TRUE(later.wait_connected(5s)) << "the credential was not accepted once the cloud was back";
}

TEST_F(PlatformTest, ACrashedLampidIsRestartedBySupervisord) {
    const std::string connection = topic(1, topics::connection_state(topics::kLampServiceClient));
    auto observer = as_operator({connection});
    ASSERT_TRUE(observer->wait_for(connection, [](const MqttMessage& m) { return m.payload == "1"; }));
    std::string pid = platform_->supervisorctl("pid lampid-" + platform_->lamp_id(1));
    ASSERT_GT(std::atoi(pid.c_str()), 0) << pid;
    observer->clear();
    ::kill(std::atoi(pid.c_str()), SIGKILL);
    EXPECT_TRUE(observer->wait_for(connection, [](const MqttMessage& m) { return m.payload == "0"; }));
    EXPECT_TRUE(observer->wait_for(connection, [](const MqttMessage& m) { return m.payload == "1"; }, 15s))
        << "supervisord did not restart lampid";
}

// The simulated lamps got their certificates as real ones do: each lampid
// enrolled with its one-time token, lampi-cloud signed, and the bridge used it.
TEST_F(PlatformTest, EachSimulatedLampEnrolledThroughTheCloudWithItsToken) {
    const std::string cloud_log = read_file(platform_->stack_dir() + "/logs/lampi-cloud.log");
    for (int i = 0; i < 2; ++i) {
        const std::string lamp = platform_->lamp_id(i);
        const std::string lampid_log = read_file(platform_->stack_dir() + "/logs/lampid-" + lamp + ".log");
        std::size_t at = lampid_log.find("enrolled: certificate serial ");
        ASSERT_NE(at, std::string::npos) << lampid_log;
        std::string serial = lampid_log.substr(at + 29, lampid_log.find(',', at) - at - 29);
        std::string enrolled_line = "enrolled device " + lamp;
        enrolled_line += ": certificate serial " + serial;
        EXPECT_NE(cloud_log.find(enrolled_line), std::string::npos) << serial << "\n" << cloud_log;
        EXPECT_TRUE(std::filesystem::exists(platform_->stack_dir() + "/lamps/" + lamp + "/lamp.pem"));
    }
}

}  // namespace
}  // namespace lampi::testing

namespace lampi::testing {
namespace {

// Onboarding end to end: the owner lets a lamp go, the lamp offers a one-time
// code (shown on its "screen", here a file), another user claims it with that
// code, and the lamp learns it is claimed.
TEST_F(PlatformTest, ALampLetGoIsClaimedByAnotherUserWithTheCodeItShows) {
    const std::string lamp = platform_->lamp_id(1);
    std::string code_file(
        platform_->endpoints.at("lamps").at(1).at("association_code_file").as_string());
    ASSERT_EQ(read_file(code_file), "claimed\n") << "an owned lamp should not offer a code";

    BrowserSession demo = BrowserSession::at(platform_->https_url(), platform_->ca_file());
    ASSERT_TRUE(demo.login(platform_->login("demo", "username"), platform_->login("demo", "password")));
    auto released = demo.send_json("DELETE", "/api/v1/lamps/" + lamp, "");
    ASSERT_EQ(released.status, 204) << released.body;

    std::string code;
    for (int i = 0; i < 100 && (code.empty() || code == "claimed\n"); ++i) {
        std::this_thread::sleep_for(100ms);
        code = read_file(code_file);
    }
    ASSERT_EQ(code.size(), 7u) << "the lamp did not offer a code: " << code;
    code.pop_back();

    BrowserSession guest = BrowserSession::at(platform_->https_url(), platform_->ca_file());
    ASSERT_TRUE(guest.login(platform_->login("second_user", "username"), platform_->login("second_user", "password")));
    auto wrong = guest.send_json("POST", "/api/v1/lamps/claim", R"({"code": "000000"})");
    EXPECT_EQ(code == "000000" ? 201 : 404, wrong.status) << wrong.body;
    auto claimed = guest.send_json("POST", "/api/v1/lamps/claim", R"({"code": ")" + code + R"("})");
    ASSERT_EQ(claimed.status, 201) << claimed.body;
    EXPECT_NE(guest.get("/api/v1/lamps").body.find(lamp), std::string::npos);
    EXPECT_EQ(demo.get("/api/v1/lamps").body.find(lamp), std::string::npos);

    std::string shown;
    for (int i = 0; i < 100 && shown != "claimed\n"; ++i) {
        std::this_thread::sleep_for(100ms);
        shown = read_file(code_file);
    }
    EXPECT_EQ(shown, "claimed\n") << "the lamp never learned it was claimed";
    auto reused = guest.send_json("POST", "/api/v1/lamps/claim", R"({"code": ")" + code + R"("})");
    EXPECT_EQ(reused.status, 409) << "a used code was accepted again";
}

}  // namespace
}  // namespace lampi::testing
