// CertificateAuthority: the library behind lampi-ca, used directly.
#include "certificate_authority.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "certificate_checks.h"
#include "fresh_ca_test.h"
#include "lampi/files.h"
#include "process.h"
#include "text.h"

namespace lampi::ca {
namespace {

using lampi::testing::TempDir;
using testing::contains;
using testing::verify;
using testing::verify_text;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

class CaTest : public FreshCaTest {
protected:
    std::string out(const std::string& name) const { return dir_ / name; }
    std::string ca_pem() const { return ca_dir() + "/ca.pem"; }
    std::string crl_pem() const { return ca_dir() + "/crl.pem"; }
};

TEST_F(CaTest, InitCreatesAPrivateDirectoryAndEveryFile) {
    EXPECT_EQ(mode_of(ca_dir()), 0700u);
    EXPECT_EQ(mode_of(ca_dir() + "/ca.key"), 0600u);
    for (const char* name : {"ca.pem", "crl.pem", "serial", "crlnumber", "index.json"}) {
        EXPECT_TRUE(std::filesystem::exists(ca_dir() + "/" + name)) << name;
    }
    auto cert = load_certificate(ca_pem());
    ASSERT_TRUE(cert);
    EXPECT_EQ(subject_common_name(cert->get()), "LAMPi platform CA");
    EXPECT_EQ(X509_check_ca(cert->get()), 1);
    // The initial CRL is signed by the CA, empty, and has a nextUpdate.
    auto crl = load_crl(crl_pem());
    ASSERT_TRUE(crl);
    auto* revoked = X509_CRL_get_REVOKED(crl->get());
    EXPECT_TRUE(revoked == nullptr || sk_X509_REVOKED_num(revoked) == 0);
    ASSERT_NE(X509_CRL_get0_nextUpdate(crl->get()), nullptr);
    PkeyPtr ca_key(X509_get_pubkey(cert->get()));
    EXPECT_EQ(X509_CRL_verify(crl->get(), ca_key.get()), 1);
    EXPECT_EQ(EVP_PKEY_get_base_id(ca_key.get()), EVP_PKEY_EC);
    // No temporary file is left behind by the atomic writes.
    for (const auto& entry : std::filesystem::directory_iterator(ca_dir())) {
        EXPECT_FALSE(contains(entry.path().filename().string(), ".tmp-")) << entry.path();
    }
}

TEST_F(CaTest, InitRefusesToOverwriteAnExistingCa) {
    std::string before = lampi::testing::read_file(ca_dir() + "/ca.key");
    auto again = CertificateAuthority::create(ca_dir());
    ASSERT_FALSE(again);
    EXPECT_TRUE(contains(again.status().message(), "already holds a CA")) << again.status().message();
    EXPECT_EQ(lampi::testing::read_file(ca_dir() + "/ca.key"), before);
}

TEST(CaInit, AnInterruptedInitIsReportedNotReused) {
    TempDir dir;
    std::filesystem::create_directory(dir / "ca");
    lampi::testing::write_file(dir / "ca/ca.key", "half a key");
    auto created = CertificateAuthority::create(dir / "ca");
    ASSERT_FALSE(created);
    EXPECT_TRUE(contains(created.status().message(), "incomplete")) << created.status().message();
    auto opened = CertificateAuthority::open(dir / "ca");
    ASSERT_FALSE(opened);
    EXPECT_TRUE(contains(opened.status().message(), "incomplete")) << opened.status().message();
}

TEST(CaInit, RsaKeysWork) {
    TempDir dir;
    CreateOptions options;
    options.key_type = KeyType::rsa_3072;
    options.name = "Other CA";
    auto ca = CertificateAuthority::create(dir / "ca", options);
    ASSERT_TRUE(ca) << ca.status().message();
    PkeyPtr key(X509_get_pubkey(ca->ca_certificate()));
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
    EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 3072);
}

TEST(CaOpen, AMissingDirectorySaysHowToCreateOne) {
    auto ca = CertificateAuthority::open("/nonexistent-lampi-ca");
    ASSERT_FALSE(ca);
    EXPECT_TRUE(contains(ca.status().message(), "lampi-ca init")) << ca.status().message();
}

TEST_F(CaTest, AKeyReadableByOthersIsRefused) {
    ASSERT_EQ(::chmod((ca_dir() + "/ca.key").c_str(), 0644), 0);
    auto ca = CertificateAuthority::open(ca_dir());
    ASSERT_FALSE(ca);
    EXPECT_TRUE(contains(ca.status().message(), "chmod 600")) << ca.status().message();
}

TEST_F(CaTest, DeviceCertificateHasTheDeviceIdAsCnAndClientAuth) {
    auto ca = open();
    auto issued = ca.issue_device("B8:27:EB:74:66:3E", out("lamp"));
    ASSERT_TRUE(issued) << issued.status().message();
    EXPECT_EQ(issued->entry.common_name, "b827eb74663e");
    EXPECT_EQ(mode_of(out("lamp.key")), 0600u);
    auto cert = load_certificate(out("lamp.pem"));
    ASSERT_TRUE(cert);
    EXPECT_EQ(subject_common_name(cert->get()), "b827eb74663e");
    EXPECT_EQ(certificate_serial(cert->get()), issued->entry.serial);
    uint32_t eku = testing::extended_key_usage(cert->get());
    EXPECT_TRUE(eku & XKU_SSL_CLIENT);
    EXPECT_FALSE(eku & XKU_SSL_SERVER);
    EXPECT_EQ(X509_check_ca(cert->get()), 0);
    // The key file holds the certificate's key.
    auto key = load_private_key(out("lamp.key"));
    ASSERT_TRUE(key);
    EXPECT_EQ(X509_check_private_key(cert->get(), key->get()), 1);

    int result = verify(out("lamp.pem"), ca_pem(), crl_pem());
    EXPECT_EQ(result, X509_V_OK) << verify_text(result);
    // clientAuth only: it cannot serve as a TLS server certificate.
    EXPECT_NE(verify(out("lamp.pem"), ca_pem(), std::nullopt, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    // The chain file is the certificate followed by the CA.
    EXPECT_EQ(lampi::testing::read_file(out("lamp-chain.pem")),
              lampi::testing::read_file(out("lamp.pem")) + lampi::testing::read_file(ca_pem()));
}

TEST_F(CaTest, ServerCertificateHasSansAndServerAuth) {
    auto ca = open();
    ServerRequest request;
    request.dns_names = {"localhost", "broker.example"};
    request.ip_addresses = {"127.0.0.1", "::1"};
    auto issued = ca.issue_server(request, out("server"));
    ASSERT_TRUE(issued) << issued.status().message();
    auto cert = load_certificate(out("server.pem"));
    ASSERT_TRUE(cert);
    EXPECT_EQ(subject_common_name(cert->get()), "localhost");
    EXPECT_EQ(X509_check_host(cert->get(), "broker.example", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(cert->get(), "other.example", 0, 0, nullptr), 0);
    EXPECT_EQ(X509_check_ip_asc(cert->get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert->get(), "::1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(cert->get(), "10.0.0.1", 0), 0);
    int result = verify(out("server.pem"), ca_pem(), crl_pem(), X509_PURPOSE_SSL_SERVER);
    EXPECT_EQ(result, X509_V_OK) << verify_text(result);
    EXPECT_NE(verify(out("server.pem"), ca_pem(), std::nullopt, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
}

TEST_F(CaTest, ServerNamesCannotSmuggleExtraEntries) {
    auto ca = open();
    ServerRequest request;
    request.dns_names = {"localhost,IP:10.0.0.1"};
    auto issued = ca.issue_server(request, out("server"));
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "not a DNS name"));
    request.dns_names = {};
    request.ip_addresses = {"300.1.2.3"};
    EXPECT_FALSE(ca.issue_server(request, out("server")));
    EXPECT_FALSE(ca.issue_server(ServerRequest{}, out("server")));
    EXPECT_FALSE(std::filesystem::exists(out("server.key")));
}

TEST_F(CaTest, InvalidDeviceIdsAreRefused) {
    auto ca = open();
    for (const char* id : {"", "b827eb74663", "b827eb74663e0", "g827eb74663e", "b827eb74663e/x"}) {
        auto issued = ca.issue_device(id, out("lamp"));
        ASSERT_FALSE(issued) << id;
        EXPECT_TRUE(contains(issued.status().message(), "12 hex digits")) << issued.status().message();
    }
    EXPECT_FALSE(std::filesystem::exists(out("lamp.pem")));
    auto listed = ca.list();
    ASSERT_TRUE(listed);
    EXPECT_TRUE(listed->empty());
}

TEST_F(CaTest, ClientNamesThatCouldPassForADeviceOrAWildcardAreRefused) {
    auto ca = open();
    EXPECT_FALSE(ca.issue_client("b827eb74663e", out("c")));
    EXPECT_FALSE(ca.issue_client("B8:27:EB:74:66:3E", out("c")));
    EXPECT_FALSE(ca.issue_client("ops/#", out("c")));
    EXPECT_FALSE(ca.issue_client("", out("c")));
    auto issued = ca.issue_client("ops-console", out("c"));
    ASSERT_TRUE(issued) << issued.status().message();
    auto cert = load_certificate(out("c.pem"));
    EXPECT_EQ(subject_common_name(cert->get()), "ops-console");
    EXPECT_TRUE(testing::extended_key_usage(cert->get()) & XKU_SSL_CLIENT);
}

TEST_F(CaTest, ASecondValidCertificateForADeviceNeedsForce) {
    auto ca = open();
    ASSERT_TRUE(ca.issue_device("b827eb74663e", out("a")));
    auto again = ca.issue_device("b827eb74663e", out("b"));
    ASSERT_FALSE(again);
    EXPECT_TRUE(contains(again.status().message(), "--force")) << again.status().message();
    EXPECT_TRUE(contains(again.status().message(), "revoke")) << again.status().message();
    IssueOptions force;
    force.allow_duplicate = true;
    auto forced = ca.issue_device("b827eb74663e", out("b"), force);
    ASSERT_TRUE(forced) << forced.status().message();
    // Serials are never reused.
    EXPECT_NE(forced->entry.serial, "01");
}

TEST_F(CaTest, ExistingOutputFilesAreNotOverwrittenUnlessAsked) {
    auto ca = open();
    ASSERT_TRUE(ca.issue_client("ops", out("ops")));
    std::string key = lampi::testing::read_file(out("ops.key"));
    IssueOptions options;
    options.allow_duplicate = true;
    auto again = ca.issue_client("ops", out("ops"), options);
    ASSERT_FALSE(again);
    EXPECT_TRUE(contains(again.status().message(), "--overwrite"));
    EXPECT_EQ(lampi::testing::read_file(out("ops.key")), key);
    options.overwrite_files = true;
    ASSERT_TRUE(ca.issue_client("ops", out("ops"), options));
    EXPECT_NE(lampi::testing::read_file(out("ops.key")), key);
}

TEST_F(CaTest, AnUnwritableOutputIsReportedBeforeAnythingIsIssued) {
    auto ca = open();
    auto issued = ca.issue_device("b827eb74663e", "/nonexistent-lampi-out/lamp");
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "/nonexistent-lampi-out")) << issued.status().message();
    auto listed = ca.list();
    ASSERT_TRUE(listed);
    EXPECT_TRUE(listed->empty());
}

TEST_F(CaTest, RevokedCertificateIsInTheCrlAndFailsVerification) {
    auto ca = open();
    auto lamp = ca.issue_device("b827eb74663e", out("lamp"));
    auto other = ca.issue_device("b827eb740001", out("other"));
    ASSERT_TRUE(lamp && other);
    ASSERT_EQ(verify(out("lamp.pem"), ca_pem(), crl_pem()), X509_V_OK);

    auto revoked = ca.revoke("b827eb74663e", "keyCompromise");
    ASSERT_TRUE(revoked) << revoked.status().message();
    EXPECT_EQ(revoked->serial, lamp->entry.serial);

    auto crl = load_crl(crl_pem());
    ASSERT_TRUE(crl);
    auto* list = X509_CRL_get_REVOKED(crl->get());
    ASSERT_EQ(sk_X509_REVOKED_num(list), 1);
    auto cert = load_certificate(out("lamp.pem"));
    X509_REVOKED* entry = nullptr;
    EXPECT_EQ(X509_CRL_get0_by_cert(crl->get(), &entry, cert->get()), 1);
    int result = verify(out("lamp.pem"), ca_pem(), crl_pem());
    EXPECT_EQ(result, X509_V_ERR_CERT_REVOKED) << verify_text(result);
    // Without the CRL the signature alone still verifies: revocation lives in the CRL.
    EXPECT_EQ(verify(out("lamp.pem"), ca_pem()), X509_V_OK);
    // Others are unaffected.
    EXPECT_EQ(verify(out("other.pem"), ca_pem(), crl_pem()), X509_V_OK);
}

TEST_F(CaTest, RevokeBySerialAndItsErrors) {
    auto ca = open();
    auto ops = ca.issue_client("ops", out("ops"));
    ASSERT_TRUE(ops);
    auto unknown = ca.revoke("7f");
    ASSERT_FALSE(unknown);
    EXPECT_TRUE(contains(unknown.status().message(), "no certificate")) << unknown.status().message();
    EXPECT_FALSE(ca.revoke("ops", "because"));  // unknown reason
    ASSERT_TRUE(ca.revoke("0x" + ops->entry.serial, "superseded"));
    auto twice = ca.revoke(ops->entry.serial);
    ASSERT_FALSE(twice);
    EXPECT_TRUE(contains(twice.status().message(), "already revoked")) << twice.status().message();
}

TEST_F(CaTest, RevokingANameWithSeveralCertificatesAsksForASerial) {
    auto ca = open();
    IssueOptions force;
    force.allow_duplicate = true;
    ASSERT_TRUE(ca.issue_device("b827eb74663e", out("a")));
    ASSERT_TRUE(ca.issue_device("b827eb74663e", out("b"), force));
    auto revoked = ca.revoke("b827eb74663e");
    ASSERT_FALSE(revoked);
    EXPECT_TRUE(contains(revoked.status().message(), "by serial")) << revoked.status().message();
}

TEST_F(CaTest, ExpiredCertificateFailsVerification) {
    auto ca = open();
    IssueOptions past;
    past.not_before_days_ago = 10;
    past.days = 1;
    auto issued = ca.issue_device("b827eb74663e", out("old"), past);
    ASSERT_TRUE(issued) << issued.status().message();
    EXPECT_LT(issued->entry.not_after, std::time(nullptr));
    int result = verify(out("old.pem"), ca_pem(), crl_pem());
    EXPECT_EQ(result, X509_V_ERR_CERT_HAS_EXPIRED) << verify_text(result);
}

TEST_F(CaTest, CertificateFromAnotherCaFailsVerification) {
    // Same name, different key: only the signature tells them apart.
    auto other = CertificateAuthority::create(dir_ / "other-ca");
    ASSERT_TRUE(other);
    ASSERT_TRUE(other.value().issue_device("b827eb74663e", out("foreign")));
    int result = verify(out("foreign.pem"), ca_pem(), crl_pem());
    EXPECT_NE(result, X509_V_OK);
    EXPECT_EQ(verify(out("foreign.pem"), dir_ / "other-ca/ca.pem"), X509_V_OK);
}

TEST_F(CaTest, CertificatesMayNotOutliveTheCa) {
    auto ca = open();
    IssueOptions options;
    options.days = 20 * 365;
    auto issued = ca.issue_device("b827eb74663e", out("lamp"), options);
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "outlive")) << issued.status().message();
}

TEST_F(CaTest, ListShowsEachStatus) {
    {
        auto ca = open();
        ServerRequest server;
        server.dns_names = {"localhost"};
        ASSERT_TRUE(ca.issue_server(server, out("server")));
        ASSERT_TRUE(ca.issue_device("b827eb74663e", out("lamp")));
        IssueOptions past;
        past.not_before_days_ago = 3;
        past.days = 1;
        ASSERT_TRUE(ca.issue_device("b827eb740001", out("old"), past));
        ASSERT_TRUE(ca.issue_client("ops", out("ops")));
        ASSERT_TRUE(ca.revoke("ops"));
    }
    // A fresh open reads everything back from the index.
    auto reopened = open();
    auto listed = reopened.list();
    ASSERT_TRUE(listed) << listed.status().message();
    ASSERT_EQ(listed->size(), 4u);
    EXPECT_EQ((*listed)[0].entry.kind, CertKind::server);
    EXPECT_EQ((*listed)[0].entry.dns_names, std::vector<std::string>{"localhost"});
    EXPECT_EQ((*listed)[0].status, CertStatus::valid);
    EXPECT_EQ((*listed)[1].status, CertStatus::valid);
    EXPECT_EQ((*listed)[2].status, CertStatus::expired);
    EXPECT_EQ((*listed)[3].status, CertStatus::revoked);
    EXPECT_EQ((*listed)[3].entry.common_name, "ops");
    EXPECT_EQ((*listed)[3].entry.revocation_reason, "unspecified");
}

TEST_F(CaTest, CrlIsRegeneratedWithAGrowingNumber) {
    auto ca = open();
    auto number = [&] {
        auto crl = load_crl(crl_pem());
        Asn1IntegerPtr n(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl->get(), NID_crl_number, nullptr, nullptr)));
        return n ? ASN1_INTEGER_get(n.get()) : -1;
    };
    long first = number();
    ASSERT_TRUE(ca.write_crl(7));
    EXPECT_EQ(number(), first + 1);
    auto crl = load_crl(crl_pem());
    auto next = asn1_time_to_time_t(X509_CRL_get0_nextUpdate(crl->get()));
    ASSERT_TRUE(next);
    EXPECT_NEAR(static_cast<double>(*next - std::time(nullptr)), 7 * 86400.0, 60.0);
}

// Why `lampi-ca crl` must run before nextUpdate: a relying party that checks
// CRLs refuses every certificate once the CRL is stale.
TEST_F(CaTest, AStaleCrlFailsEveryVerification) {
    {
        auto ca = open();
        ASSERT_TRUE(ca.issue_device("b827eb74663e", out("lamp")));
    }
    auto cert = load_certificate(ca_pem());
    auto key = load_private_key(ca_dir() + "/ca.key");
    ASSERT_TRUE(cert && key);
    std::time_t now = std::time(nullptr);
    auto stale = make_crl(cert->get(), key->get(), {}, 99, now - 2 * 86400, now - 86400);
    ASSERT_TRUE(stale) << stale.status().message();
    auto pem = ca::crl_pem(stale->get());
    ASSERT_TRUE(write_file_atomically(out("stale-crl.pem"), *pem, 0644));
    EXPECT_EQ(verify(out("lamp.pem"), ca_pem(), out("stale-crl.pem")), X509_V_ERR_CRL_HAS_EXPIRED);
    EXPECT_EQ(verify(out("lamp.pem"), ca_pem(), crl_pem()), X509_V_OK);
}

TEST(CaPassphrase, AnEncryptedKeyNeedsTheRightPassphrase) {
    TempDir dir;
    CreateOptions options;
    options.passphrase = SecretString("correct horse");
    ASSERT_TRUE(CertificateAuthority::create(dir / "ca", options));
    EXPECT_TRUE(contains(lampi::testing::read_file(dir / "ca/ca.key"), "ENCRYPTED PRIVATE KEY"));
    {
        auto ca = CertificateAuthority::open(dir / "ca");
        ASSERT_TRUE(ca);
        auto issued = ca.value().issue_client("ops", dir / "a");
        ASSERT_FALSE(issued);
        EXPECT_TRUE(contains(issued.status().message(), "--passphrase-file")) << issued.status().message();
    }
    {
        auto ca = CertificateAuthority::open(dir / "ca", OpenOptions{SecretString("wrong")});
        ASSERT_TRUE(ca);
        auto issued = ca.value().issue_client("ops", dir / "a");
        ASSERT_FALSE(issued);
        EXPECT_TRUE(contains(issued.status().message(), "wrong passphrase")) << issued.status().message();
    }
    auto ca = CertificateAuthority::open(dir / "ca", OpenOptions{SecretString("correct horse")});
    ASSERT_TRUE(ca);
    EXPECT_TRUE(ca.value().issue_client("ops", dir / "a"));
    // Nothing lists as issued for the failed attempts.
    EXPECT_EQ(ca->list()->size(), 1u);
}

TEST_F(CaTest, ASecondHandleOnTheSameDirectoryWaitsThenGivesUp) {
    auto first = open();
    auto second = CertificateAuthority::open(ca_dir(), {}, std::chrono::milliseconds(200));
    ASSERT_FALSE(second);
    EXPECT_TRUE(contains(second.status().message(), "in use")) << second.status().message();
}

TEST(CaIndex, ACorruptIndexIsReportedNotOverwritten) {
    TempDir dir;
    ASSERT_TRUE(CertificateAuthority::create(dir / "ca"));
    lampi::testing::write_file(dir / "ca/index.json", "{\"format\": 1, \"certificates\": [");
    auto ca = CertificateAuthority::open(dir / "ca");
    ASSERT_TRUE(ca);
    auto issued = ca.value().issue_device("b827eb74663e", dir / "lamp");
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "corrupt")) << issued.status().message();
    EXPECT_EQ(lampi::testing::read_file(dir / "ca/index.json"), "{\"format\": 1, \"certificates\": [");
}

TEST(Serials, AreNormalized) {
    EXPECT_EQ(*normalize_serial("a"), "0A");
    EXPECT_EQ(*normalize_serial("0x0a"), "0A");
    EXPECT_EQ(*normalize_serial("000100"), "0100");
    EXPECT_FALSE(normalize_serial("0"));
    EXPECT_FALSE(normalize_serial("xyz"));
    EXPECT_FALSE(normalize_serial(std::string(41, 'f')));
}

}  // namespace
}  // namespace lampi::ca
