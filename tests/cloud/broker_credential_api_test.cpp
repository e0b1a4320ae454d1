// The control page's broker credential as lampi-cloud issues it with a shared
// secret: signed, so the broker plugin checks it alone (auth/broker_credential.h),
// and still answered by the auth API, which the plugin's refresher and clustered
// brokers ask, with rights read from the database at the time of asking.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cloud_server.h"
#include "http_client.h"
#include "postgres_server.h"
#include "process.h"
#include "rules/broker_credential.h"

namespace lampi::cloud {
namespace {

// The same names as in api_test.cpp on purpose: both talk to a CloudServer as a
// browser and as the broker would; a shared header for six lines would hide them.
namespace json = boost::json;
using testing::BrowserSession;
using testing::CloudServer;
using testing::HttpClient;

const std::string kSecret = "shared-with-the-plugin";
const std::string kLampA = "b827eb74663e";

class SignedBrokerCredential : public ::testing::Test {
protected:
    void SetUp() override {
        testing::CloudServerOptions options;
        options.app.auth_secret = kSecret;
        server_ = std::make_unique<CloudServer>(testing::fresh_database_url("sqlite", dir_.path()), options);
    }
    json::value ask_auth_api(const std::string& username, const std::string& password) {
        HttpClient c(server_->port());
        auto reply = c.request("POST", "/auth/v1/user",
                               {{"Content-Type", "application/json"}, {"X-Lampi-Auth-Secret", kSecret}},
                               json::serialize(json::object{{"username", username}, {"password", password}}));
        return json::parse(reply.body);
    }

    struct Issued {
        std::string username;
        std::string password;
        std::int64_t expires_at = 0;
    };
    // Alice, who owns lamp A, logs in on `s`; what her control page then gets.
    void issue_alices_credential(BrowserSession& s, Issued& issued) {
        auto alice = server_->add_user("alice");
        server_->add_lamp(kLampA, alice.id);
        ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
        auto reply = json::parse(s.get("/api/v1/mqtt-credential").body);
        issued = {std::string(reply.at("username").as_string()), std::string(reply.at("password").as_string()),
                  reply.at("expires_at").as_int64()};
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<CloudServer> server_;
};

TEST_F(SignedBrokerCredential, ThePagesCredentialIsSignedWithTheAccountAndItsLamps) {
    BrowserSession s(server_->port());
    Issued issued;
    ASSERT_NO_FATAL_FAILURE(issue_alices_credential(s, issued));
    auto claims = rules::verify_broker_credential(issued.username, issued.password, kSecret, server_->now());
    ASSERT_TRUE(claims) << claims.status().message();
    EXPECT_EQ(claims->account, "alice");
    EXPECT_EQ(claims->client_id_prefix, issued.username);
    EXPECT_EQ(claims->devices, std::vector<std::string>{kLampA});
    EXPECT_EQ(claims->expires_at, issued.expires_at);
    EXPECT_FALSE(rules::verify_broker_credential(issued.username, issued.password, "another-secret", server_->now()));
}

TEST_F(SignedBrokerCredential, TheAuthApiStillAnswersForItWithTheRightsOfTheMomentAsked) {
    BrowserSession s(server_->port());
    Issued issued;
    ASSERT_NO_FATAL_FAILURE(issue_alices_credential(s, issued));
    auto answer = ask_auth_api(issued.username, issued.password);
    EXPECT_EQ(answer.at("ok").as_bool(), true);
    EXPECT_EQ(answer.at("acl").as_array().size(), 5u);  // 4 rules for lamp A + the final deny
    EXPECT_EQ(ask_auth_api(issued.username, issued.password + "x").at("ok").as_bool(), false);

    // Alice lets the lamp go: the token still lists it, the auth API no longer grants it.
    ASSERT_EQ(s.send("DELETE", "/api/v1/lamps/" + kLampA, "", {{"X-CSRFToken", s.cookie("csrftoken")}}).status, 204);
    auto after = ask_auth_api(issued.username, issued.password);
    EXPECT_EQ(after.at("ok").as_bool(), true);
    EXPECT_EQ(after.at("acl").as_array().size(), 1u);  // only the final deny
}

}  // namespace
}  // namespace lampi::cloud
