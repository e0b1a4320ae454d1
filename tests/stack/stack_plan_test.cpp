#include "stack_plan.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "process.h"

namespace lampi::stack {
namespace {

TEST(StackPlan, ListenersSitAtFixedOffsetsFromThePortBase) {
    StackOptions options;
    options.port_base = 20000;
    options.lamps = 3;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->cloud_mqtt_port, 20000);
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

TEST(StackPlan, WritesEveryFileAndAnEndpointsListScriptsCanRead) {
    testing::TempDir dir;
    StackOptions options;
    options.dir = dir / "stack";
    options.bin_dir = "/opt/lampi/bin";
    options.lamps = 2;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    ASSERT_TRUE(write_stack(*plan));
    auto endpoints = boost::json::parse(testing::read_file(dir / "stack/endpoints.json"));
    EXPECT_EQ(endpoints.at("cloud").at("mqtt").at("port").as_int64(), 18830);
    EXPECT_EQ(endpoints.at("lamps").as_array().size(), 2u);
    EXPECT_EQ(endpoints.at("lamps").at(1).at("device_id").as_string(), "020000000002");
    std::string supervisord = testing::read_file(dir / "stack/supervisord.conf");
    EXPECT_NE(supervisord.find("[program:lampid-020000000002]"), std::string::npos);
    EXPECT_NE(supervisord.find("command=/opt/lampi/bin/lampid --host 127.0.0.1 --port 18841"), std::string::npos);
    EXPECT_NE(supervisord.find("autorestart=true"), std::string::npos);
    EXPECT_NE(testing::read_file(dir / "stack/lamps/020000000001/mosquitto.conf").find("address 127.0.0.1:18830"),
              std::string::npos);
}

}  // namespace
}  // namespace lampi::stack
