// Device enrollment: POST /api/v1/enroll over HTTPS, one-time tokens on both
// engines, and the certificate that comes back checked against the CA.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "certificate_authority.h"
#include "certificate_checks.h"
#include "cloud_server.h"
#include "device_request.h"
#include "enroll/enrollment_tokens.h"
#include "http_client.h"
#include "json_reply.h"
#include "lampi/device_id.h"
#include "lampi/files.h"
#include "postgres_server.h"
#include "process.h"

namespace lampi::cloud {
namespace {

using testing::CloudServer;
using testing::HttpClient;
using testing::parse_json;

const std::string kLamp = "b827eb74663e";
const std::string kOtherLamp = "b827eb000001";

ca::PkeyPtr new_key() { return ca::PkeyPtr(EVP_EC_gen("P-256")); }

std::string request_for(EVP_PKEY* key, const std::string& device_id) {
    auto pem = ca::make_request_pem(key, device_id);
    EXPECT_TRUE(pem) << pem.status().message();
    return pem ? *pem : std::string();
}

std::string enroll_body(const std::string& token, const std::string& csr) {
    boost::json::object o;
    o["token"] = token;
    o["csr"] = csr;
    return boost::json::serialize(o);
}

std::string error_of(const testing::HttpReply& reply) {
    auto v = parse_json(reply.body);
    if (!v.is_object() || !v.as_object().contains("error")) return "(no error field) " + reply.body;
    return std::string(v.as_object().at("error").as_string());
}

class EnrollTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string why;
        if (!lampi::testing::backend_available(GetParam(), why)) GTEST_SKIP() << why;
        auto created = ca::CertificateAuthority::create(ca_dir());
        ASSERT_TRUE(created) << created.status().message();
        // The cloud's own HTTPS certificate comes from the same CA here, so the
        // lamp trusts one file.
        ca::ServerRequest server;
        server.ip_addresses = {"127.0.0.1"};
        ASSERT_TRUE(created.value().issue_server(server, dir_ / "cloud"));
        url_ = lampi::testing::fresh_database_url(GetParam(), dir_.path());
    }
    void start(bool with_ca = true) {
        testing::CloudServerOptions options;
        options.server.tls_cert_file = dir_ / "cloud-chain.pem";
        options.server.tls_key_file = dir_ / "cloud.key";
        if (with_ca) options.app.enrollment_ca.dir = ca_dir();
        server_ = std::make_unique<CloudServer>(url_, options);
    }
    std::string ca_dir() const { return dir_ / "ca"; }
    std::string ca_pem() const { return ca_dir() + "/ca.pem"; }
    std::string token(const std::string& device_id = "", std::int64_t ttl = 3600) {
        enroll::EnrollmentTokens tokens(server_->store().database());
        auto made = tokens.create(device_id, ttl, server_->now());
        EXPECT_TRUE(made) << made.status().message();
        return made ? made->token : std::string();
    }
    testing::HttpReply post(const std::string& body) { return post_to("/api/v1/enroll", body); }
    testing::HttpReply post_to(const std::string& path, const std::string& body) {
        HttpClient client(server_->port(), "127.0.0.1", lampi::testing::TlsIdentity{ca_pem(), "", ""});
        return client.request("POST", path, {{"Content-Type", "application/json"}}, body);
    }
    testing::HttpReply enroll(const std::string& token, EVP_PKEY* key, const std::string& device_id = kLamp) {
        return post(enroll_body(token, request_for(key, device_id)));
    }
    // An enrolled lamp's certificate (PEM) for `key`.
    std::string enrolled_certificate(EVP_PKEY* key) {
        auto reply = enroll(token(), key);
        EXPECT_EQ(reply.status, 200) << reply.body;
        if (reply.status != 200) return "";
        return std::string(parse_json(reply.body).as_object().at("certificate").as_string());
    }

    lampi::testing::TempDir dir_;
    std::string url_;
    std::unique_ptr<CloudServer> server_;
};

TEST_P(EnrollTest, AGoodEnrollmentReturnsACertificateTheCaVouchesFor) {
    start();
    auto key = new_key();
    auto reply = enroll(token(kLamp), key.get());
    ASSERT_EQ(reply.status, 200) << reply.describe() << " " << reply.body;
    auto v = parse_json(reply.body).as_object();
    EXPECT_EQ(v.at("device_id").as_string(), kLamp);
    std::string cert_pem(v.at("certificate").as_string());
    std::string chain_pem(v.at("chain").as_string());
    EXPECT_EQ(chain_pem, cert_pem + lampi::testing::read_file(ca_pem()));
    auto cert = ca::parse_certificate_pem(cert_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(ca::subject_common_name(cert->get()), kLamp);
    EXPECT_EQ(X509_check_private_key(cert->get(), key.get()), 1);
    auto not_after = ca::asn1_time_to_time_t(X509_get0_notAfter(cert->get()));
    ASSERT_TRUE(not_after);
    EXPECT_EQ(v.at("expires_at").as_int64(), static_cast<std::int64_t>(*not_after));
    ASSERT_TRUE(write_file_atomically(dir_ / "lamp.pem", cert_pem, 0644));
    int verified = lampi::testing::verify(dir_ / "lamp.pem", ca_pem(), ca_dir() + "/crl.pem");
    EXPECT_EQ(verified, X509_V_OK) << lampi::testing::verify_text(verified);
    // In the CA's index like any certificate it issued.
    auto authority = ca::CertificateAuthority::open(ca_dir());
    ASSERT_TRUE(authority);
    auto listed = authority->list();
    ASSERT_TRUE(listed);
    bool found = false;
    for (const auto& c : *listed) found |= c.entry.common_name == kLamp && c.entry.kind == ca::CertKind::device;
    EXPECT_TRUE(found);
}

TEST_P(EnrollTest, ATokenWorksOnce) {
    start();
    std::string once = token();
    auto first_key = new_key();
    ASSERT_EQ(enroll(once, first_key.get()).status, 200);
    auto second_key = new_key();
    auto again = enroll(once, second_key.get(), kOtherLamp);
    EXPECT_EQ(again.status, 403) << again.body;
    EXPECT_NE(error_of(again).find("already used"), std::string::npos) << again.body;
}

TEST_P(EnrollTest, AnExpiredTokenIsRefused) {
    start();
    std::string short_lived = token("", 60);
    server_->advance(61);
    auto key = new_key();
    auto reply = enroll(short_lived, key.get());
    EXPECT_EQ(reply.status, 410) << reply.body;
    EXPECT_NE(error_of(reply).find("expired"), std::string::npos) << reply.body;
}

TEST_P(EnrollTest, ATokenBoundToAnotherDeviceIsRefusedAndKeptForItsOwn) {
    start();
    std::string bound = token(kOtherLamp);
    auto key = new_key();
    auto reply = enroll(bound, key.get(), kLamp);
    EXPECT_EQ(reply.status, 403) << reply.body;
    EXPECT_NE(error_of(reply).find("another device"), std::string::npos) << reply.body;
    EXPECT_EQ(enroll(bound, key.get(), kOtherLamp).status, 200);
}

TEST_P(EnrollTest, AMalformedRequestIsRefusedWithoutUsingTheToken) {
    start();
    std::string kept = token();
    for (const std::string& body :
         {enroll_body(kept, "not a csr"), enroll_body(kept, request_for(new_key().get(), "lamp-1")),
          std::string(R"({"token": 1})"), std::string("{")}) {
        auto reply = post(body);
        EXPECT_EQ(reply.status, 400) << body << " -> " << reply.body;
        EXPECT_FALSE(error_of(reply).empty());
    }
    auto key = new_key();
    EXPECT_EQ(enroll(kept, key.get()).status, 200);
}

TEST_P(EnrollTest, AnUnknownTokenIsUnauthenticated) {
    start();
    auto key = new_key();
    auto reply = enroll(std::string(64, 'a'), key.get());
    EXPECT_EQ(reply.status, 401) << reply.body;
    reply = enroll("short", key.get());
    EXPECT_EQ(reply.status, 401) << reply.body;
}

TEST_P(EnrollTest, WithoutACaTheEndpointSaysSo) {
    start(false);
    auto key = new_key();
    auto reply = enroll(token(), key.get());
    EXPECT_EQ(reply.status, 503) << reply.body;
    EXPECT_NE(error_of(reply).find("--enroll-ca-dir"), std::string::npos) << reply.body;
}

TEST_P(EnrollTest, ASecondCertificateForTheSameLampNeedsARevocationFirst) {
    start();
    auto key = new_key();
    ASSERT_EQ(enroll(token(), key.get()).status, 200);
    std::string second = token();
    auto reply = enroll(second, key.get());
    EXPECT_EQ(reply.status, 409) << reply.body;
    EXPECT_NE(error_of(reply).find("revoke"), std::string::npos) << reply.body;
    // Nothing about the CA's files reaches the lamp.
    EXPECT_EQ(reply.body.find(ca_dir()), std::string::npos) << reply.body;
    // The refusal was not the token's fault: it still works once the old one is revoked.
    {
        auto authority = ca::CertificateAuthority::open(ca_dir());
        ASSERT_TRUE(authority);
        ASSERT_TRUE(authority.value().revoke(kLamp));
    }
    EXPECT_EQ(enroll(second, key.get()).status, 200);
}

TEST_P(EnrollTest, TwoConcurrentUsesOfOneTokenHaveOneWinner) {
    start();
    std::string contested = token();
    constexpr int kRacers = 4;
    std::vector<int> statuses(kRacers);
    std::atomic<int> ready{0};
    std::vector<std::thread> racers;
    std::vector<ca::PkeyPtr> keys;
    std::vector<std::string> bodies;
    for (int i = 0; i < kRacers; ++i) {
        keys.push_back(new_key());
        bodies.push_back(enroll_body(contested, request_for(keys.back().get(), device_id_from_number(0x100 + i))));
    }
    for (int i = 0; i < kRacers; ++i) {
        racers.emplace_back([&, i] {
            ready++;
            while (ready < kRacers) std::this_thread::yield();
            statuses[i] = post(bodies[i]).status;
        });
    }
    for (auto& t : racers) t.join();
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 403), kRacers - 1);
}

TEST_P(EnrollTest, TheStoreLetsExactlyOneConsumerWin) {
    start();
    enroll::EnrollmentTokens tokens(server_->store().database());
    auto made = tokens.create("", 3600, server_->now());
    ASSERT_TRUE(made);
    constexpr int kRacers = 8;
    std::atomic<int> won{0}, ready{0};
    std::vector<std::thread> racers;
    for (int i = 0; i < kRacers; ++i) {
        racers.emplace_back([&, i] {
            ready++;
            while (ready < kRacers) std::this_thread::yield();
            if (tokens.consume(made->token, device_id_from_number(i), server_->now())) won++;
        });
    }
    for (auto& t : racers) t.join();
    EXPECT_EQ(won.load(), 1);
}

TEST_P(EnrollTest, PlainHttpIsRefused) {
    testing::CloudServerOptions options;
    options.app.enrollment_ca.dir = ca_dir();
    server_ = std::make_unique<CloudServer>(url_, options);
    HttpClient client(server_->port());
    auto key = new_key();
    auto reply = client.request("POST", "/api/v1/enroll", {{"Content-Type", "application/json"}},
                                enroll_body(token(), request_for(key.get(), kLamp)));
    EXPECT_EQ(reply.status, 403) << reply.body;
    EXPECT_NE(error_of(reply).find("HTTPS"), std::string::npos) << reply.body;
}

TEST_P(EnrollTest, AttemptsAreRateLimitedPerAddress) {
    testing::CloudServerOptions options;
    options.server.tls_cert_file = dir_ / "cloud-chain.pem";
    options.server.tls_key_file = dir_ / "cloud.key";
    options.app.enrollment_ca.dir = ca_dir();
    options.app.enroll_rate.limit = 3;
    server_ = std::make_unique<CloudServer>(url_, options);
    auto key = new_key();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(enroll(std::string(64, 'b'), key.get()).status, 401);
    auto reply = enroll(token(), key.get());
    EXPECT_EQ(reply.status, 429) << reply.body;
    EXPECT_FALSE(reply.header("Retry-After").empty());
}

std::string renew_body(const std::string& current, const std::string& csr, const std::string& signature) {
    boost::json::object o;
    o["certificate"] = current;
    o["csr"] = csr;
    o["signature"] = signature;
    return boost::json::serialize(o);
}

TEST_P(EnrollTest, ALampRenewsWithItsCurrentKeyAndNoToken) {
    start();
    auto current_key = new_key();
    std::string current = enrolled_certificate(current_key.get());
    ASSERT_FALSE(current.empty());
    auto next_key = new_key();
    std::string csr = request_for(next_key.get(), kLamp);
    auto signature = ca::sign_renewal(current_key.get(), csr);
    ASSERT_TRUE(signature);
    HttpClient client(server_->port(), "127.0.0.1", lampi::testing::TlsIdentity{ca_pem(), "", ""});

    // Signed by the new key instead: refused.
    auto wrong = ca::sign_renewal(next_key.get(), csr);
    auto refused = client.request("POST", "/api/v1/enroll/renew", {{"Content-Type", "application/json"}},
                                  renew_body(current, csr, *wrong));
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(error_of(refused).find("current certificate's key"), std::string::npos) << refused.body;

    auto renewed = client.request("POST", "/api/v1/enroll/renew", {{"Content-Type", "application/json"}},
                                  renew_body(current, csr, *signature));
    ASSERT_EQ(renewed.status, 200) << renewed.body;
    auto cert = ca::parse_certificate_pem(std::string(parse_json(renewed.body).as_object().at("certificate").as_string()));
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_private_key(cert->get(), next_key.get()), 1);
    EXPECT_EQ(ca::subject_common_name(cert->get()), kLamp);
    // Once: the old certificate cannot renew again.
    auto again = client.request("POST", "/api/v1/enroll/renew", {{"Content-Type", "application/json"}},
                                renew_body(current, csr, *signature));
    EXPECT_EQ(again.status, 409) << again.body;
}

TEST_P(EnrollTest, ARevokedCertificateCannotRenew) {
    start();
    auto current_key = new_key();
    std::string current = enrolled_certificate(current_key.get());
    ASSERT_FALSE(current.empty());
    {
        auto authority = ca::CertificateAuthority::open(ca_dir());
        ASSERT_TRUE(authority);
        ASSERT_TRUE(authority.value().revoke(kLamp));
    }
    auto next_key = new_key();
    std::string csr = request_for(next_key.get(), kLamp);
    auto reply = post_to("/api/v1/enroll/renew", renew_body(current, csr, *ca::sign_renewal(current_key.get(), csr)));
    EXPECT_EQ(reply.status, 403) << reply.body;
    EXPECT_NE(error_of(reply).find("revoked"), std::string::npos) << reply.body;
}

TEST(EnrollTokenTtl, ParsesUnitsAndRefusesNonsense) {
    EXPECT_EQ(*enroll::parse_token_ttl("90s"), 90);
    EXPECT_EQ(*enroll::parse_token_ttl("30m"), 1800);
    EXPECT_EQ(*enroll::parse_token_ttl("1h"), 3600);
    EXPECT_EQ(*enroll::parse_token_ttl("7d"), 7 * 86400);
    EXPECT_EQ(*enroll::parse_token_ttl("120"), 120);
    for (const char* bad : {"", "h", "0", "-1h", "31d", "1w", "1.5h", "1hh"}) EXPECT_FALSE(enroll::parse_token_ttl(bad)) << bad;
}

INSTANTIATE_TEST_SUITE_P(Backends, EnrollTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lampi::cloud
