#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

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

// A cloud that accepts the connection (the kernel does, from the backlog) and
// then never answers: the check gives up at its timeout, as a transport error,
// never as an answer. The plugin's refresher thread would otherwise wait for ever.
TEST(CloudAuthClient, ACloudThatAcceptsAndHangsTimesOutAtTheHardTimeout) {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 8), 0);
    socklen_t length = sizeof addr;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length), 0);

    CloudAuthOptions options;
    options.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/auth/v1/user";
    options.timeout = std::chrono::milliseconds(400);
    CloudAuthClient client(options);
    auto start = std::chrono::steady_clock::now();
    auto answer = client.check_user({"web-alice", "x"}, "c1");
    auto took = std::chrono::steady_clock::now() - start;
    ::close(listener);
    EXPECT_FALSE(answer) << "a cloud that never answered gave an answer";
    EXPECT_GE(took, std::chrono::milliseconds(350)) << "gave up before the cloud had a chance to answer";
    EXPECT_LT(took, std::chrono::milliseconds(2000)) << "the 400 ms timeout did not hold";
}

}  // namespace
}  // namespace lampi::broker
