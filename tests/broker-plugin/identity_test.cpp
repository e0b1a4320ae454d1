#include "identity.h"

#include <gtest/gtest.h>

namespace lampi::broker {
namespace {

const Identity kLamp{IdentityKind::lamp, "b827eb74663e", "", 0, ""};
const Identity kPerson{IdentityKind::person, "web-abc", "alice", 100, "web-abc"};
const Identity kService{IdentityKind::service, "lampi-cloud", "", 0, ""};
const Identity kOperator{IdentityKind::operator_account, "operator", "", 0, ""};

TEST(Identity, EachKindMayUseOnlyItsOwnClientIds) {
    EXPECT_EQ(client_id_refusal(kLamp, "lamp-b827eb74663e"), "");
    EXPECT_NE(client_id_refusal(kLamp, "lamp-000000000001"), "");
    EXPECT_NE(client_id_refusal(kLamp, "lamp-b827eb74663e-2"), "");
    EXPECT_NE(client_id_refusal(kLamp, "lampi-cloud"), "");

    EXPECT_EQ(client_id_refusal(kPerson, "web-abc"), "");
    EXPECT_EQ(client_id_refusal(kPerson, "web-abc-1"), "");
    EXPECT_NE(client_id_refusal(kPerson, "web-abcd"), "");
    EXPECT_NE(client_id_refusal(kPerson, "web-abc-"), "");
    EXPECT_NE(client_id_refusal(kPerson, "lamp-b827eb74663e"), "");

    EXPECT_EQ(client_id_refusal(kService, "lampi-cloud"), "");
    EXPECT_NE(client_id_refusal(kService, "lampi-cloud-2"), "");

    EXPECT_EQ(client_id_refusal(kOperator, "operator"), "");
    EXPECT_EQ(client_id_refusal(kOperator, "operator-console"), "");
    EXPECT_EQ(client_id_refusal(kOperator, "auto-9F1C6A1E-2B44"), "");
    EXPECT_NE(client_id_refusal(kPerson, "auto-9F1C6A1E-2B44"), "");
    EXPECT_NE(client_id_refusal(kOperator, "lampi-cloud"), "");
    EXPECT_NE(client_id_refusal(kOperator, "lamp-b827eb74663e"), "");
    EXPECT_NE(client_id_refusal(kOperator, "web-abc"), "");
}

TEST(Identity, OnlyALampRetainsAndOnlyItsOwnContractTopics) {
    struct Case {
        const Identity& who;
        std::string topic;
        bool may;
    };
    const Case cases[] = {
        {kLamp, "devices/b827eb74663e/lamp/changed", true},
        {kLamp, "devices/b827eb74663e/lamp/associated", true},
        {kLamp, "devices/b827eb74663e/lamp/health", true},
        {kLamp, "devices/000000000001/lamp/health", false},
        {kLamp, "devices/b827eb74663e/lamp/connection/bridge/state", true},
        {kLamp, "devices/b827eb74663e/lamp/connection/lamp_service/state", true},
        {kLamp, "devices/b827eb74663e/lamp/connection/x1234/state", false},
        {kLamp, "devices/b827eb74663e/lamp/connection//state", false},
        {kLamp, "devices/000000000001/lamp/changed", false},
        {kLamp, "devices/b827eb74663e/lamp/changed/extra", false},
        {kPerson, "devices/b827eb74663e/lamp/set_config", false},
        {kOperator, "devices/b827eb74663e/lamp/changed", false},
        {kService, "devices/b827eb74663e/lamp/associated", true},
        {kService, "devices/b827eb74663e/lamp/changed", false},
        {kService, "devices/+/lamp/associated", false},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(may_retain(c.who, c.topic), c.may) << to_string(c.who.kind) << " " << c.who.name << " retains "
                                                     << c.topic << ": expected " << (c.may ? "allowed" : "refused");
    }
}

TEST(Identity, OnlyLampDashADeviceIdNamesALamp) {
    EXPECT_EQ(lamp_of_client_id("lamp-b827eb74663e"), "b827eb74663e");
    EXPECT_FALSE(lamp_of_client_id("lamp-B827EB74663E"));
    EXPECT_FALSE(lamp_of_client_id("lamp-b827eb74663e-2"));
    EXPECT_FALSE(lamp_of_client_id("lamp-"));
    EXPECT_FALSE(lamp_of_client_id("web-b827eb74663e"));
}

TEST(Identity, ALampHoldsOneConnection) {
    EXPECT_EQ(connection_cap(IdentityKind::lamp), 1u);
    EXPECT_EQ(connection_cap(IdentityKind::service), 1u);
}

}  // namespace
}  // namespace lampi::broker
