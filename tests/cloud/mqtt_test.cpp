// lampi-cloud as a platform client on a real Mosquitto: lamp reports reach the
// API, API commands reach the lamp topics, onboarding round-trips.
#include <gtest/gtest.h>

#include <chrono>

#include <boost/json.hpp>
#include <thread>

#include "cloud_server.h"
#include "http_client.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"
#include "process.h"

namespace lampi::cloud {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using testing::CloudServer;

const std::string kLamp = "b827eb74663e";

class MqttTest : public ::testing::Test {
protected:
    void SetUp() override {
        broker_ = std::make_unique<lampi::testing::TestBroker>(dir_.path(), "cloud");
        broker_->start();
        server_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / "db.sqlite3"),
                                                testing::on_broker(broker_->port(), "lampi-cloud-test"));
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!server_->link()->connected() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(20ms);
        ASSERT_TRUE(server_->link()->connected());
        ASSERT_TRUE(subscriptions_landed()) << "the cloud's subscriptions never took effect";
    }

    // The link subscribes on connecting, lamp/health last; the broker handles a
    // client's SUBSCRIBEs in order, so once a health report of a marker device
    // reaches the service, every subscription is in effect.
    bool subscriptions_landed() {
        const std::string marker = "0000000000aa";
        lampi::testing::MqttProbe reporter(broker_->port(), {});
        if (!reporter.wait_connected()) return false;
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!reporter.publish_acknowledged(topics::cloud(marker, topics::kHealth),
                                               R"({"durable":true,"led":true})"))
                return false;
            if (server_->lamps().health_of(marker)) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    // Polls the API until `check` holds.
    bool eventually(testing::BrowserSession& s, const std::string& target,
                    const std::function<bool(const json::value&)>& check) {
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = s.get(target);
            boost::system::error_code ec;
            json::value v = json::parse(r.body, ec);
            if (!ec && check(v)) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<lampi::testing::TestBroker> broker_;
    std::unique_ptr<CloudServer> server_;
};

TEST_F(MqttTest, LampReportsShowUpInTheApi) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLamp, alice.id);
    lampi::testing::MqttProbe lamp(broker_->port(), {});
    ASSERT_TRUE(lamp.wait_connected());
    ASSERT_TRUE(lamp.publish("devices/" + kLamp + "/lamp/changed",
                             R"({"on":true,"color":{"h":0.1,"s":0.2},"brightness":0.3,"client":"lamp_ui","version":4})",
                             1, true));
    ASSERT_TRUE(lamp.publish("devices/" + kLamp + "/lamp/connection/lamp_service/state", "1", 1, true));
    testing::BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    EXPECT_TRUE(eventually(s, "/api/v1/lamps/" + kLamp, [](const json::value& v) {
        return v.at("online").as_bool() && v.at("state").is_object() &&
               v.at("state").at("version").to_number<int>() == 4;
    }));
}

TEST_F(MqttTest, ALampsHealthFaultShowsInTheApiAndClearsWhenItRecovers) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLamp, alice.id);
    lampi::testing::MqttProbe lamp(broker_->port(), {});
    ASSERT_TRUE(lamp.wait_connected());
    testing::BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    ASSERT_TRUE(lamp.publish("devices/" + kLamp + "/lamp/health",
                             R"({"durable":false,"led":true,"error":"state directory is read-only"})", 1, true));
    EXPECT_TRUE(eventually(s, "/api/v1/lamps/" + kLamp, [](const json::value& v) {
        const auto* health = v.as_object().if_contains("health");
        return health && health->is_object() && !health->at("durable").as_bool() &&
               health->at("error").as_string() == "state directory is read-only";
    })) << "a lamp that cannot save must say so in the API";
    ASSERT_TRUE(lamp.publish("devices/" + kLamp + "/lamp/health", R"({"durable":true,"led":true})", 1, true));
    EXPECT_TRUE(eventually(s, "/api/v1/lamps/" + kLamp, [](const json::value& v) {
        const auto* health = v.as_object().if_contains("health");
        return health && health->is_object() && health->at("durable").as_bool();
    }));
}

TEST_F(MqttTest, StateSetThroughTheApiArrivesOnSetConfig) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLamp, alice.id);
    lampi::testing::MqttProbe lamp(broker_->port(), {"devices/" + kLamp + "/lamp/set_config"});
    ASSERT_TRUE(lamp.wait_connected());
    testing::BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    auto wall_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    std::int64_t before = wall_ms();
    auto r = s.send("POST", "/api/v1/lamps/" + kLamp + "/state", R"({"on":true,"color":{"h":0.5,"s":1}})",
                    {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    std::int64_t after = wall_ms();
    ASSERT_EQ(r.status, 202) << r.body;
    auto message = lamp.wait_for("devices/" + kLamp + "/lamp/set_config");
    ASSERT_TRUE(message);
    EXPECT_EQ(message->qos, 1);
    auto payload = json::parse(message->payload);
    EXPECT_EQ(payload.at("on").as_bool(), true);
    EXPECT_DOUBLE_EQ(payload.at("color").at("h").to_number<double>(), 0.5);
    // Stamped in milliseconds, so a lamp can drop it if it waited in a queue
    // while the lamp changed (src/lampid/README.md, "Ordering").
    ASSERT_TRUE(payload.as_object().contains("sent_at")) << message->payload;
    std::int64_t sent_at = payload.at("sent_at").to_number<std::int64_t>();
    EXPECT_GE(sent_at, before);
    EXPECT_LE(sent_at, after);
}

TEST_F(MqttTest, OnboardingRoundTrip) {
    server_->add_user("alice");
    lampi::testing::MqttProbe lamp(broker_->port(), {"devices/" + kLamp + "/lamp/associated"});
    ASSERT_TRUE(lamp.wait_connected());
    ASSERT_TRUE(lamp.publish("devices/" + kLamp + "/lamp/associated", R"({"code":"4711AB","claimed":false})", 1, true));
    testing::BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    // The code is recorded asynchronously; retry until the claim goes through.
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
        status = s.send("POST", "/api/v1/lamps/claim", R"({"code":"4711ab"})",
                        {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}})
                     .status;
        if (status != 404) break;
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(status, 201);
    auto claimed = lamp.wait_for("devices/" + kLamp + "/lamp/associated", [](const MqttMessage& m) {
        return m.payload.find("\"claimed\":true") != std::string::npos;
    });
    ASSERT_TRUE(claimed);
    EXPECT_EQ((*server_->store().lamp(kLamp))->owner_name, "alice");
}

// Logout, password change, token revocation and lamp release each tell the
// broker, through lampi-cloud's own connection, to end that user's connections.
TEST_F(MqttTest, RevocationsArePublishedOnTheControlTopic) {
    auto alice = server_->add_user("alice");
    server_->add_lamp(kLamp, alice.id);
    lampi::testing::MqttProbe operator_view(broker_->port(), {"lampi/control/revoke"}, "operator-probe");
    ASSERT_TRUE(operator_view.wait_connected());
    testing::BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    auto json_call = [&](const std::string& method, const std::string& target, const std::string& body = "") {
        return s.send(method, target, body,
                      {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    };
    auto revocations = [&] { return operator_view.messages("lampi/control/revoke").size(); };
    auto expect_one_more = [&](std::size_t before, const char* what) {
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (revocations() <= before && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
        ASSERT_GT(revocations(), before) << what;
        auto all = operator_view.messages("lampi/control/revoke");
        auto payload = json::parse(all.back().payload);
        EXPECT_EQ(payload.at("user").as_string(), "alice") << what;
        EXPECT_EQ(payload.at("issued_before").as_int64(), server_->now()) << what;
        EXPECT_EQ(all.back().qos, 1) << what;
    };
    // Token revocation.
    auto token = json_call("POST", "/api/v1/tokens", "{}");
    ASSERT_EQ(token.status, 201);
    std::size_t before = revocations();
    ASSERT_EQ(json_call("DELETE", "/api/v1/tokens/" + std::string(json::parse(token.body).at("id").as_string())).status,
              204);
    expect_one_more(before, "token revocation");
    // Lamp release.
    before = revocations();
    ASSERT_EQ(json_call("DELETE", "/api/v1/lamps/" + kLamp).status, 204);
    expect_one_more(before, "lamp release");
    // Password change.
    before = revocations();
    ASSERT_EQ(s.change_password(CloudServer::kPassword, "new-password-1").status, 200);
    expect_one_more(before, "password change");
    // Logout.
    before = revocations();
    ASSERT_EQ(s.post_form("/logout/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}}).status, 200);
    expect_one_more(before, "logout");
}

}  // namespace
}  // namespace lampi::cloud
