#include <gtest/gtest.h>

#include "cloud_auth_client.h"

namespace lampi::broker {
namespace {

TEST(AuthAnswer, ReadsTheEmqxShapeWithItsAcl) {
    auto answer = parse_auth_answer(R"({"ok":true,"error":"","result":"allow","is_superuser":false,"acl":[
        {"permission":"allow","action":"subscribe","topic":"devices/b827eb74663e/lamp/changed"},
        {"permission":"allow","action":"publish","topic":"devices/b827eb74663e/lamp/set_config"},
        {"permission":"deny","action":"all","topic":"#"}]})");
    ASSERT_TRUE(answer) << answer.status().message();
    EXPECT_TRUE(answer->allowed);
    EXPECT_FALSE(answer->superuser);
    ASSERT_EQ(answer->rules.size(), 2u);
    EXPECT_EQ(answer->rules[1].topic, "devices/b827eb74663e/lamp/set_config");
}

TEST(AuthAnswer, ReadsGoAuthsOkOnly) {
    auto answer = parse_auth_answer(R"({"ok": false, "error": "wrong password"})");
    ASSERT_TRUE(answer);
    EXPECT_FALSE(answer->allowed);
    EXPECT_EQ(answer->error, "wrong password");
}

TEST(AuthAnswer, ADenialCarriesNoRights) {
    auto answer = parse_auth_answer(R"({"result":"deny","is_superuser":true,"acl":[
        {"permission":"allow","action":"all","topic":"#"}]})");
    ASSERT_TRUE(answer);
    EXPECT_FALSE(answer->superuser);
    EXPECT_TRUE(answer->rules.empty());
}

TEST(AuthAnswer, MalformedAnswersAreErrorsNotGrants) {
    for (const char* body : {"", "[]", "{}", R"({"result":"allow","acl":[1]})",
                             R"({"result":"allow","acl":[{"permission":"allow","action":"fly","topic":"#"}]})"}) {
        EXPECT_FALSE(parse_auth_answer(body)) << body;
    }
}

TEST(CloudAuthClient, AnUnreachableCloudIsAnErrorThatSaysWhere) {
    CloudAuthOptions options;
    options.url = "http://127.0.0.1:9/auth/v1/user";
    options.timeout = std::chrono::milliseconds(500);
    CloudAuthClient client(options);
    auto answer = client.check_user({"web-alice", "x"}, "c1");
    ASSERT_FALSE(answer);
    EXPECT_NE(answer.status().message().find("127.0.0.1:9"), std::string::npos);
}

}  // namespace
}  // namespace lampi::broker
