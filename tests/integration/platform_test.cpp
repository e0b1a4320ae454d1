// The platform as `./lampi up` runs it: lamps over mutual TLS, people with
// short-lived credentials from the web, the auth plugin asking lampi-cloud, and
// supervisord keeping it all alive. Each test is a request that must be allowed
// or refused, with a positive control so a refusal is not just a broken setup.
#include <gtest/gtest.h>

#include <iostream>

#include "platform.h"

namespace lampi::testing {
namespace {

constexpr auto kQuiet = 1500ms;  // how long "nothing arrives" is watched

class PlatformTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        platform_ = new Platform;
        setup_error_ = platform_->start(2);
        if (setup_error_.empty()) {
            // Every lamp reports through the cloud before any test starts.
            MqttProbe watcher(platform_->password_client("operator", platform_->login("operator", "password")),
                              {"devices/+/lamp/changed"});
            for (int i = 0; i < 2; ++i) {
                if (!watcher.wait_for(topics::cloud(platform_->lamp_id(i), topics::kChanged), nullptr, 30s)) {
                    setup_error_ = "lamp " + platform_->lamp_id(i) + " never reported through the cloud";
                }
            }
        }
        if (!setup_error_.empty()) setup_error_ += "\n" + platform_->logs();
    }
    static void TearDownTestSuite() {
        platform_->stop();
        delete platform_;
    }
    void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }
    void TearDown() override {
        if (HasFailure()) std::cerr << platform_->logs();
    }

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

    static Platform* platform_;
    static std::string setup_error_;
};

Platform* PlatformTest::platform_ = nullptr;
std::string PlatformTest::setup_error_;

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
    EXPECT_TRUE(guest->publish(topic(0, topics::kSetConfig), R"({"on": false, "client": "guest-attack"})"))
        << "the client did not send it";
    std::this_thread::sleep_for(kQuiet);
    EXPECT_TRUE(guest->messages(topic(0, topics::kChanged)).empty()) << "guest read the demo user's lamp";
    EXPECT_FALSE(guest->wait_for("$SYS/broker/uptime", nullptr, 0ms)) << "guest read $SYS";
    EXPECT_TRUE(observer->messages(topic(0, topics::kSetConfig)).empty()) << "guest's command reached the lamp";
    // Positive controls: the operator reads $SYS, and the lamp's owner is heard.
    EXPECT_TRUE(observer->wait_for("$SYS/broker/uptime", nullptr, 15s));
    auto demo = as_person("demo", {});
    ASSERT_TRUE(demo);
    EXPECT_TRUE(demo->publish(topic(0, topics::kSetConfig), R"({"client": "owner-control"})"))
        << "the client did not send it";
    EXPECT_TRUE(observer->wait_for(topic(0, topics::kSetConfig)));
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
    EXPECT_TRUE(impostor.publish(topic(1, "lamp/connection/forged/state"), "1", 1, false))
        << "the client did not send it";
    EXPECT_TRUE(impostor.publish(topic(0, "lamp/connection/probe/state"), "1", 1, false))
        << "the client did not send it";  // its own: allowed
    ASSERT_TRUE(observer->wait_for(topic(0, "lamp/connection/probe/state"))) << "the lamp's own topic was refused";
    std::this_thread::sleep_for(kQuiet);
    EXPECT_TRUE(observer->messages(topic(1, "lamp/connection/forged/state")).empty())
        << "lamp 0 published into lamp 1's topics";
    EXPECT_TRUE(impostor.messages(topic(1, topics::kChanged)).empty()) << "lamp 0 read devices/#";
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

    HttpClient demo(platform_->https_url(), platform_->ca_file());
    ASSERT_TRUE(demo.login(platform_->login("demo", "username"), platform_->login("demo", "password")));
    auto released = demo.request("DELETE", "/api/v1/lamps/" + lamp, "",
                                 {"X-CSRFToken: " + demo.cookie("csrftoken"), "Origin: " + platform_->https_url()});
    ASSERT_EQ(released.status, 204) << released.body;

    std::string code;
    for (int i = 0; i < 100 && (code.empty() || code == "claimed\n"); ++i) {
        std::this_thread::sleep_for(100ms);
        code = read_file(code_file);
    }
    ASSERT_EQ(code.size(), 7u) << "the lamp did not offer a code: " << code;
    code.pop_back();

    HttpClient guest(platform_->https_url(), platform_->ca_file());
    ASSERT_TRUE(guest.login(platform_->login("second_user", "username"), platform_->login("second_user", "password")));
    auto wrong = guest.post("/api/v1/lamps/claim", R"({"code": "000000"})", "application/json",
                            {"X-CSRFToken: " + guest.cookie("csrftoken"), "Origin: " + platform_->https_url()});
    EXPECT_EQ(code == "000000" ? 201 : 404, wrong.status) << wrong.body;
    auto claimed = guest.post("/api/v1/lamps/claim", R"({"code": ")" + code + R"("})", "application/json",
                              {"X-CSRFToken: " + guest.cookie("csrftoken"), "Origin: " + platform_->https_url()});
    ASSERT_EQ(claimed.status, 201) << claimed.body;
    EXPECT_NE(guest.get("/api/v1/lamps").body.find(lamp), std::string::npos);
    EXPECT_EQ(demo.get("/api/v1/lamps").body.find(lamp), std::string::npos);

    std::string shown;
    for (int i = 0; i < 100 && shown != "claimed\n"; ++i) {
        std::this_thread::sleep_for(100ms);
        shown = read_file(code_file);
    }
    EXPECT_EQ(shown, "claimed\n") << "the lamp never learned it was claimed";
    auto reused = guest.post("/api/v1/lamps/claim", R"({"code": ")" + code + R"("})", "application/json",
                             {"X-CSRFToken: " + guest.cookie("csrftoken"), "Origin: " + platform_->https_url()});
    EXPECT_EQ(reused.status, 409) << "a used code was accepted again";
}

}  // namespace
}  // namespace lampi::testing
