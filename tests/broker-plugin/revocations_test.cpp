#include "revocations.h"

#include <gtest/gtest.h>

namespace lampi::broker {
namespace {

TEST(Revocations, ParsesTheTwoShapesAndNothingElse) {
    auto user = parse_revocation(R"({"user":"alice","issued_before":1800000000})");
    ASSERT_TRUE(user) << user.status().message();
    EXPECT_EQ(std::get<UserRevocation>(*user).account, "alice");
    EXPECT_EQ(std::get<UserRevocation>(*user).issued_before, 1800000000);
    auto device = parse_revocation(R"({"device":"b827eb74663e"})");
    ASSERT_TRUE(device);
    EXPECT_EQ(std::get<DeviceRevocation>(*device).device_id, "b827eb74663e");
    for (const char* junk : {"", "{}", "[]", R"({"device":"+"})", R"({"device":"#"})", R"({"user":"alice"})",
                             R"({"user":"","issued_before":1})", R"({"user":"a","issued_before":"1"})",
                             R"({"user":"a","issued_before":1,"extra":2})", R"({"device":"B827EB74663E"})"}) {
        EXPECT_FALSE(parse_revocation(junk)) << junk;
    }
}

TEST(Revocations, AUserCutCoversCredentialsIssuedUpToItsSecond) {
    Revocations revocations;
    revocations.apply(UserRevocation{"alice", 1000});
    Identity before{IdentityKind::person, "web-a", "alice", 999, ""};
    Identity same_second{IdentityKind::person, "web-b", "alice", 1000, ""};
    Identity after{IdentityKind::person, "web-c", "alice", 1001, ""};
    Identity bob{IdentityKind::person, "web-d", "bob", 10, ""};
    EXPECT_TRUE(revocations.covers(before));
    EXPECT_TRUE(revocations.covers(same_second));
    EXPECT_FALSE(revocations.covers(after));
    EXPECT_FALSE(revocations.covers(bob));
    // An older cut never reopens a newer one.
    revocations.apply(UserRevocation{"alice", 10});
    EXPECT_TRUE(revocations.covers(before));
}

TEST(Revocations, ARevokedDeviceCoversOnlyThatLamp) {
    Revocations revocations;
    revocations.apply(DeviceRevocation{"b827eb74663e"});
    EXPECT_TRUE(revocations.covers(Identity{IdentityKind::lamp, "b827eb74663e", "", 0, ""}));
    EXPECT_FALSE(revocations.covers(Identity{IdentityKind::lamp, "000000000001", "", 0, ""}));
    EXPECT_FALSE(revocations.covers(Identity{IdentityKind::operator_account, "b827eb74663e", "", 0, ""}));
}

}  // namespace
}  // namespace lampi::broker
