// The parts of `lampid enroll` that need no cloud: reading --cloud, naming the
// chain file, and refusing before anything is made or sent.
#include "enrollment.h"

#include <gtest/gtest.h>

#include "https_post.h"
#include "process.h"

namespace lampi::lampid {
namespace {

TEST(HttpsUrl, TakesHostAndPort) {
    auto url = parse_https_url("https://cloud.example.com:8443/");
    ASSERT_TRUE(url) << url.status().message();
    EXPECT_EQ(url->host, "cloud.example.com");
    EXPECT_EQ(url->port, "8443");
    url = parse_https_url("https://127.0.0.1");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->port, "443");
    url = parse_https_url("https://[::1]:9443");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, "9443");
}

TEST(HttpsUrl, RefusesAnythingButHttpsHostPort) {
    for (const char* bad : {"http://cloud:8000", "cloud:8443", "https://", "https://cloud:0", "https://cloud:99999",
                            "https://cloud:80x", "https://cloud/api", "https://user@cloud", "https://[::1"}) {
        EXPECT_FALSE(parse_https_url(bad)) << bad;
    }
}

TEST(Enrollment, ChainFileSitsBesideTheCertificate) {
    EXPECT_EQ(default_chain_file("/etc/lampi/lamp.pem"), "/etc/lampi/lamp-chain.pem");
    EXPECT_EQ(default_chain_file("lamp"), "lamp-chain");
    EXPECT_EQ(default_chain_file("/etc/lampi.d/lamp"), "/etc/lampi.d/lamp-chain");
}

TEST(Enrollment, AnEnrolledLampIsNotReEnrolledByAccident) {
    lampi::testing::TempDir dir;
    lampi::testing::write_file(dir / "lamp.key", "old key");
    EnrollOptions o;
    o.cloud_url = "https://127.0.0.1:1";
    o.token_file = dir / "token";
    o.ca_file = dir / "ca.pem";
    o.key_file = dir / "lamp.key";
    o.cert_file = dir / "lamp.pem";
    o.device_id = "b827eb74663e";
    auto result = enroll_device(o);
    ASSERT_FALSE(result);
    EXPECT_NE(result.status().message().find("--force"), std::string::npos) << result.status().message();
    EXPECT_EQ(lampi::testing::read_file(dir / "lamp.key"), "old key");
}

TEST(Enrollment, MissingOptionsAndBadDeviceIdsAreNamed) {
    EnrollOptions o;
    auto result = enroll_device(o);
    ASSERT_FALSE(result);
    EXPECT_NE(result.status().message().find("--cloud"), std::string::npos);
    lampi::testing::TempDir dir;
    o = EnrollOptions{"https://127.0.0.1:1", dir / "t", dir / "ca", dir / "k", dir / "c", "", "not-an-id"};
    result = enroll_device(o);
    ASSERT_FALSE(result);
    EXPECT_NE(result.status().message().find("device id"), std::string::npos) << result.status().message();
}

}  // namespace
}  // namespace lampi::lampid
