// Signing lamps' certificate requests: proof of possession, the device id as CN,
// the key rules, and that nothing but the public key is taken from a request.
#include "device_request.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>

#include "certificate_authority.h"
#include "certificate_checks.h"
#include "fresh_ca_test.h"
#include "lampi/files.h"
#include "process.h"
#include "text.h"

namespace lampi::ca {
namespace {

using testing::contains;

constexpr const char* kDevice = "b827eb74663e";

PkeyPtr ec_key(const char* curve = "P-256") { return PkeyPtr(EVP_EC_gen(curve)); }
PkeyPtr rsa_key(unsigned bits) { return PkeyPtr(EVP_RSA_gen(bits)); }

std::string pem_of(X509_REQ* request) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_REQ(bio.get(), request);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

// A request built by hand, for the cases make_request_pem would never produce.
X509ReqPtr raw_request(EVP_PKEY* key, const std::string& cn) {
    X509ReqPtr request(X509_REQ_new());
    X509_NAME* name = X509_REQ_get_subject_name(request.get());
    X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                               -1, -1, 0);
    X509_REQ_set_pubkey(request.get(), key);
    return request;
}

class DeviceRequestTest : public FreshCaTest {
protected:
    std::string request_for(EVP_PKEY* key, const std::string& cn = kDevice) {
        auto pem = make_request_pem(key, cn);
        EXPECT_TRUE(pem) << pem.status().message();
        return pem ? *pem : std::string();
    }
    // Saves a PEM certificate so the file-based verify helper can check it.
    std::string saved(const std::string& name, const std::string& pem) {
        std::string path = dir_ / name;
        EXPECT_TRUE(write_file_atomically(path, pem, 0644));
        return path;
    }
};

TEST_F(DeviceRequestTest, AGoodRequestGetsADeviceCertificateForItsOwnKey) {
    auto key = ec_key();
    auto ca = open();
    auto issued = ca.sign_device_request(request_for(key.get()));
    ASSERT_TRUE(issued) << issued.status().message();
    EXPECT_EQ(issued->entry.common_name, kDevice);
    EXPECT_EQ(issued->entry.kind, CertKind::device);

    auto cert = parse_certificate_pem(issued->cert_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(subject_common_name(cert->get()), kDevice);
    EXPECT_EQ(X509_check_private_key(cert->get(), key.get()), 1);
    EXPECT_EQ(X509_check_ca(cert->get()), 0);
    uint32_t eku = testing::extended_key_usage(cert->get());
    EXPECT_TRUE(eku & XKU_SSL_CLIENT);
    EXPECT_FALSE(eku & XKU_SSL_SERVER);
    std::string path = saved("lamp.pem", issued->cert_pem);
    int result = testing::verify(path, ca_dir() + "/ca.pem", ca_dir() + "/crl.pem");
    EXPECT_EQ(result, X509_V_OK) << testing::verify_text(result);
    EXPECT_EQ(issued->chain_pem, issued->cert_pem + lampi::testing::read_file(ca_dir() + "/ca.pem"));

    // Recorded like any other: listed, and revocable by device id.
    auto listed = ca.list();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().entry.serial, issued->entry.serial);
    EXPECT_TRUE(lampi::testing::read_file(ca_dir() + "/issued/" + issued->entry.serial + ".pem") ==
                issued->cert_pem);
    ASSERT_TRUE(ca.revoke(kDevice));
}

TEST_F(DeviceRequestTest, TheCommonNameMustBeACanonicalDeviceId) {
    auto key = ec_key();
    auto ca = open();
    for (const char* cn : {"B8:27:EB:74:66:3E", "B827EB74663E", "lamp", "b827eb74663", "b827eb74663e0", "ops-console"}) {
        auto issued = ca.sign_device_request(request_for(key.get(), cn));
        ASSERT_FALSE(issued) << cn;
        EXPECT_TRUE(contains(issued.status().message(), "device id")) << issued.status().message();
    }
    auto no_cn = raw_request(key.get(), kDevice);
    // The entry taken out of the name is the caller's to free.
    X509_NAME_ENTRY_free(X509_NAME_delete_entry(X509_REQ_get_subject_name(no_cn.get()), 0));
    X509_REQ_sign(no_cn.get(), key.get(), EVP_sha256());
    auto issued = ca.sign_device_request(pem_of(no_cn.get()));
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "no common name")) << issued.status().message();

    auto two_cns = raw_request(key.get(), kDevice);
    X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(two_cns.get()), NID_commonName, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("001122334455"), -1, -1, 0);
    X509_REQ_sign(two_cns.get(), key.get(), EVP_sha256());
    issued = ca.sign_device_request(pem_of(two_cns.get()));
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "more than one")) << issued.status().message();
    ASSERT_TRUE(ca.list());
    EXPECT_TRUE(ca.list()->empty());
}

TEST_F(DeviceRequestTest, ARequestWhoseSignatureDoesNotVerifyIsRefused) {
    auto mine = ec_key();
    auto someone_elses = ec_key();
    // Signed by one key, then given another's public key: no proof the
    // requester holds the private half of the key it wants certified.
    auto request = raw_request(mine.get(), kDevice);
    ASSERT_GT(X509_REQ_sign(request.get(), mine.get(), EVP_sha256()), 0);
    ASSERT_EQ(X509_REQ_set_pubkey(request.get(), someone_elses.get()), 1);
    auto ca = open();
    auto issued = ca.sign_device_request(pem_of(request.get()));
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "signature")) << issued.status().message();

    // And a request changed after signing (another device id written in).
    auto tampered = raw_request(mine.get(), kDevice);
    ASSERT_GT(X509_REQ_sign(tampered.get(), mine.get(), EVP_sha256()), 0);
    unsigned char* der = nullptr;
    int length = i2d_X509_REQ(tampered.get(), &der);
    ASSERT_GT(length, 0);
    std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(length));
    OPENSSL_free(der);
    size_t at = bytes.find(kDevice);
    ASSERT_NE(at, std::string::npos);
    bytes.replace(at, 12, "001122334455");
    const unsigned char* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
    X509ReqPtr changed(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(bytes.size())));
    ASSERT_TRUE(changed);
    tampered = std::move(changed);
    issued = ca.sign_device_request(pem_of(tampered.get()));
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "signature")) << issued.status().message();
    EXPECT_TRUE(ca.list()->empty());
}

TEST_F(DeviceRequestTest, KeysFollowTheCasRules) {
    auto ca = open();
    IssueOptions options;
    options.allow_duplicate = true;
    auto rsa3072 = rsa_key(3072);
    auto issued = ca.sign_device_request(request_for(rsa3072.get()), options);
    ASSERT_TRUE(issued) << issued.status().message();
    auto cert = parse_certificate_pem(issued->cert_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_private_key(cert->get(), rsa3072.get()), 1);

    auto rsa2048 = rsa_key(2048);
    issued = ca.sign_device_request(request_for(rsa2048.get()), options);
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "3072")) << issued.status().message();

    auto p384 = ec_key("P-384");
    issued = ca.sign_device_request(request_for(p384.get()), options);
    ASSERT_FALSE(issued);
    EXPECT_TRUE(contains(issued.status().message(), "P-256")) << issued.status().message();
}

TEST_F(DeviceRequestTest, RequestedExtensionsAreIgnored) {
    auto key = ec_key();
    auto request = raw_request(key.get(), kDevice);
    // A request asking to be a CA and a TLS server.
    X509_EXTENSIONS* wanted = sk_X509_EXTENSION_new_null();
    sk_X509_EXTENSION_push(wanted, X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE"));
    sk_X509_EXTENSION_push(wanted, X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, "serverAuth"));
    ASSERT_EQ(X509_REQ_add_extensions(request.get(), wanted), 1);
    sk_X509_EXTENSION_pop_free(wanted, X509_EXTENSION_free);
    ASSERT_GT(X509_REQ_sign(request.get(), key.get(), EVP_sha256()), 0);

    auto ca = open();
    auto issued = ca.sign_device_request(pem_of(request.get()));
    ASSERT_TRUE(issued) << issued.status().message();
    auto cert = parse_certificate_pem(issued->cert_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_ca(cert->get()), 0);
    EXPECT_FALSE(testing::extended_key_usage(cert->get()) & XKU_SSL_SERVER);
}

TEST_F(DeviceRequestTest, ASecondValidCertificateNeedsForceOrARenewal) {
    auto ca = open();
    auto first_key = ec_key();
    auto first = ca.sign_device_request(request_for(first_key.get()));
    ASSERT_TRUE(first) << first.status().message();
    auto second_key = ec_key();
    auto again = ca.sign_device_request(request_for(second_key.get()));
    ASSERT_FALSE(again);
    EXPECT_TRUE(contains(again.status().message(), "already exists")) << again.status().message();

    IssueOptions renewing;
    renewing.renewing_serial = first->entry.serial;
    auto renewed = ca.sign_device_request(request_for(second_key.get()), renewing);
    ASSERT_TRUE(renewed) << renewed.status().message();
    EXPECT_NE(renewed->entry.serial, first->entry.serial);
}

class RenewalTest : public DeviceRequestTest {
protected:
    void SetUp() override {
        DeviceRequestTest::SetUp();
        auto ca = open();
        auto issued = ca.sign_device_request(request_for(current_key_.get()));
        ASSERT_TRUE(issued) << issued.status().message();
        current_pem_ = issued->cert_pem;
        current_serial_ = issued->entry.serial;
    }
    std::string signed_by(EVP_PKEY* key, const std::string& csr) {
        auto signature = sign_renewal(key, csr);
        EXPECT_TRUE(signature) << signature.status().message();
        return signature ? *signature : std::string();
    }
    PkeyPtr current_key_ = ec_key();
    std::string current_pem_;
    std::string current_serial_;
};

TEST_F(RenewalTest, TheHolderOfTheCurrentKeyGetsANewCertificate) {
    auto next_key = ec_key();
    std::string csr = request_for(next_key.get());
    auto ca = open();
    auto renewed = ca.renew_device(current_pem_, csr, signed_by(current_key_.get(), csr));
    ASSERT_TRUE(renewed) << renewed.status().message();
    EXPECT_NE(renewed->entry.serial, current_serial_);
    auto cert = parse_certificate_pem(renewed->cert_pem);
    ASSERT_TRUE(cert);
    EXPECT_EQ(X509_check_private_key(cert->get(), next_key.get()), 1);
    EXPECT_EQ(subject_common_name(cert->get()), kDevice);
    // Once per certificate: the same current certificate cannot renew again
    // while the new one is valid.
    auto again_key = ec_key();
    std::string again_csr = request_for(again_key.get());
    auto again = ca.renew_device(current_pem_, again_csr, signed_by(current_key_.get(), again_csr));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.status().code(), StatusCode::already_exists) << again.status().message();
}

// The renewed certificate renews in its turn, though the one it replaced is still
// valid (renewed early): only a certificate issued after the presented one blocks.
TEST_F(RenewalTest, TheRenewedCertificateRenewsAgainWhileItsPredecessorIsValid) {
    auto ca = open();
    auto second_key = ec_key();
    std::string second_csr = request_for(second_key.get());
    auto second = ca.renew_device(current_pem_, second_csr, signed_by(current_key_.get(), second_csr));
    ASSERT_TRUE(second) << second.status().message();
    auto third_key = ec_key();
    std::string third_csr = request_for(third_key.get());
    auto third = ca.renew_device(second->cert_pem, third_csr, signed_by(second_key.get(), third_csr));
    ASSERT_TRUE(third) << third.status().message();
    // The second is now renewed: once per certificate still holds.
    auto fourth_key = ec_key();
    std::string fourth_csr = request_for(fourth_key.get());
    auto again = ca.renew_device(second->cert_pem, fourth_csr, signed_by(second_key.get(), fourth_csr));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.status().code(), StatusCode::already_exists) << again.status().message();
}

TEST_F(RenewalTest, ASignatureByAnyOtherKeyIsRefused) {
    auto next_key = ec_key();
    std::string csr = request_for(next_key.get());
    auto ca = open();
    // Signed by the new key: it says nothing about holding the current one.
    auto renewed = ca.renew_device(current_pem_, csr, signed_by(next_key.get(), csr));
    ASSERT_FALSE(renewed);
    EXPECT_EQ(renewed.status().code(), StatusCode::permission_denied);
    EXPECT_TRUE(contains(renewed.status().message(), "current certificate's key")) << renewed.status().message();
    // A signature over another request.
    std::string other_csr = request_for(ec_key().get());
    renewed = ca.renew_device(current_pem_, csr, signed_by(current_key_.get(), other_csr));
    ASSERT_FALSE(renewed);
    EXPECT_EQ(renewed.status().code(), StatusCode::permission_denied);
    renewed = ca.renew_device(current_pem_, csr, "not base64!");
    ASSERT_FALSE(renewed);
}

TEST_F(RenewalTest, ARevokedOrForeignOrOtherLampsCertificateCannotRenew) {
    auto next_key = ec_key();
    auto ca = open();
    // Another lamp's request.
    std::string other_lamp = request_for(next_key.get(), "b827eb000001");
    auto renewed = ca.renew_device(current_pem_, other_lamp, signed_by(current_key_.get(), other_lamp));
    ASSERT_FALSE(renewed);
    EXPECT_TRUE(contains(renewed.status().message(), "is for")) << renewed.status().message();
    // A certificate of another CA with the same device id.
    {
        auto foreign = CertificateAuthority::create(dir_ / "foreign");
        ASSERT_TRUE(foreign);
        auto foreign_cert = foreign.value().sign_device_request(request_for(current_key_.get()));
        ASSERT_TRUE(foreign_cert);
        std::string csr = request_for(next_key.get());
        renewed = ca.renew_device(foreign_cert->cert_pem, csr, signed_by(current_key_.get(), csr));
        ASSERT_FALSE(renewed);
        EXPECT_TRUE(contains(renewed.status().message(), "not valid here")) << renewed.status().message();
    }
    // Revoked.
    ASSERT_TRUE(ca.revoke(current_serial_));
    std::string csr = request_for(next_key.get());
    renewed = ca.renew_device(current_pem_, csr, signed_by(current_key_.get(), csr));
    ASSERT_FALSE(renewed);
    EXPECT_TRUE(contains(renewed.status().message(), "revoked")) << renewed.status().message();
}

TEST_F(DeviceRequestTest, NotARequestIsRefusedInWords) {
    auto ca = open();
    for (std::string text : {std::string(), std::string("hello"), std::string("-----BEGIN CERTIFICATE REQUEST-----\n"
                                                                             "AAAA\n-----END CERTIFICATE REQUEST-----\n"),
                             std::string(64 * 1024, 'A')}) {
        auto issued = ca.sign_device_request(text);
        ASSERT_FALSE(issued);
        EXPECT_FALSE(issued.status().message().empty());
    }
    EXPECT_TRUE(ca.list()->empty());
}

}  // namespace
}  // namespace lampi::ca
