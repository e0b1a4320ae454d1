#include "stack_plan.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>

#include "process.h"

namespace lampi::stack {
namespace {

TEST(StackPlan, ListenersSitAtFixedOffsetsFromThePortBase) {
    StackOptions options;
    options.port_base = 20000;
    options.lamps = 3;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->lamp_mqtt_port, 20000);
    EXPECT_EQ(plan->https_port, 20002);
    EXPECT_EQ(plan->client_mqtt_port, 20003);
    ASSERT_EQ(plan->lamps.size(), 3u);
    EXPECT_EQ(plan->lamps[0].broker_port, 20010);
    EXPECT_EQ(plan->lamps[2].broker_port, 20012);
    EXPECT_EQ(plan->lamps[0].device_id, "020000000001");
    EXPECT_EQ(plan->lamps[2].device_id, "020000000003");
}

TEST(StackPlan, RefusesPortsAndCountsOutOfRangeAndSaysWhatFits) {
    StackOptions options;
    options.port_base = 65530;
    auto plan = plan_stack(options);
    ASSERT_FALSE(plan);
    EXPECT_NE(plan.status().message().find("pick a base between 1024 and"), std::string::npos);
    options.port_base = 20000;
    options.lamps = -1;
    EXPECT_FALSE(plan_stack(options));
}

int mode_of(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
}

TEST(StackPlan, WritesEveryFileSecretsAndCertificatesAndKeepsThemOnTheNextRun) {
    testing::TempDir dir;
    StackOptions options;
    options.dir = dir / "stack";
    options.build_dir = "/opt/lampi/build";
    options.lamps = 2;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    ASSERT_TRUE(write_stack(*plan));

    auto endpoints = boost::json::parse(testing::read_file(dir / "stack/endpoints.json"));
    EXPECT_EQ(endpoints.at("cloud").at("http").at("url").as_string(), "https://127.0.0.1:18832");
    EXPECT_EQ(endpoints.at("cloud").at("mqtt").at("port").as_int64(), 18833);
    EXPECT_EQ(endpoints.at("lamps").as_array().size(), 2u);
    EXPECT_EQ(endpoints.at("lamps").at(1).at("device_id").as_string(), "020000000002");
    std::string demo_password(endpoints.at("demo").at("password").as_string());
    EXPECT_EQ(mode_of(dir / "stack/endpoints.json"), 0600);
    EXPECT_EQ(mode_of(dir / "stack/secrets"), 0700);
    EXPECT_EQ(mode_of(dir / "stack/secrets/auth-secret"), 0600);

    std::string supervisord = testing::read_file(dir / "stack/supervisord.conf");
    EXPECT_NE(supervisord.find("[program:lampi-cloud]"), std::string::npos);
    EXPECT_NE(supervisord.find("[program:lampid-020000000002]"), std::string::npos);
    EXPECT_NE(supervisord.find("command=/opt/lampi/build/src/lampid/lampid --host 127.0.0.1 --port 18841"),
              std::string::npos);
    std::string cloud = testing::read_file(dir / "stack/cloud-broker/mosquitto.conf");
    EXPECT_NE(cloud.find("allow_anonymous false"), std::string::npos);
    EXPECT_NE(cloud.find("plugin /opt/lampi/build/src/broker-plugin/lampi_auth_plugin.so"), std::string::npos);
    EXPECT_NE(cloud.find("listener 18830 127.0.0.1\ncafile"), std::string::npos);
    EXPECT_NE(cloud.find("require_certificate true\nuse_identity_as_username true\ncrlfile"), std::string::npos);
    // Browsers come through lampi-cloud's relay, to a unix socket only this user reaches.
    EXPECT_EQ(cloud.find("websockets"), std::string::npos) << "Mosquitto 2.0.11 binds those to every interface";
    EXPECT_EQ(cloud.find("listener 18831"), std::string::npos);
    EXPECT_NE(cloud.find("\nlistener 0 " + (dir / "stack/run/cloud-broker.sock") + "\n"), std::string::npos);
    EXPECT_EQ(mode_of(dir / "stack/run"), 0700);
    EXPECT_NE(supervisord.find("--relay-broker unix:" + (dir / "stack/run/cloud-broker.sock")), std::string::npos);
    EXPECT_NE(supervisord.find("--mqtt-ws-url /mqtt "), std::string::npos);
    EXPECT_EQ(endpoints.at("cloud").at("websocket").at("url").as_string(), "wss://127.0.0.1:18832/mqtt");
    EXPECT_EQ(mode_of(dir / "stack/cloud-broker/mosquitto.conf"), 0600);  // holds the auth secret
    std::string lamp = testing::read_file(dir / "stack/lamps/020000000001/mosquitto.conf");
    EXPECT_NE(lamp.find("address 127.0.0.1:18830"), std::string::npos);
    EXPECT_NE(lamp.find("bridge_certfile " + (dir / "stack/lamps/020000000001/lamp.pem")), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(dir / "stack/pki/ca/ca.pem"));
    EXPECT_TRUE(std::filesystem::exists(dir / "stack/pki/server.pem"));
    EXPECT_EQ(mode_of(dir / "stack/lamps/020000000002/lamp.key"), 0600);

    std::string certificate = testing::read_file(dir / "stack/lamps/020000000001/lamp.pem");
    ASSERT_TRUE(write_stack(*plan));
    EXPECT_EQ(testing::read_file(dir / "stack/lamps/020000000001/lamp.pem"), certificate);
    auto again = boost::json::parse(testing::read_file(dir / "stack/endpoints.json"));
    EXPECT_EQ(again.at("demo").at("password").as_string(), demo_password);
}

}  // namespace
}  // namespace lampi::stack
