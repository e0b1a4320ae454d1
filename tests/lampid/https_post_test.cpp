// The lamp's HTTPS call to the cloud (enrollment, renewal) against clouds that
// misbehave on the wire: its time limit holds the whole exchange, so a cloud that
// keeps sending a byte now and then cannot hold a lamp's renewal for hours.
#include "https_post.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "process.h"

namespace lampi::lampid {
namespace {

using namespace std::chrono_literals;

// A self-signed certificate for the CA file the call loads before it connects.
void write_ca_file(const std::string& path) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    ASSERT_TRUE(key && cert);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("test CA"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
    std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "w"), std::fclose);
    ASSERT_TRUE(file);
    ASSERT_EQ(PEM_write_X509(file.get(), cert.get()), 1);
}

// A listener on 127.0.0.1 that answers its one connection with the header of a
// 16 KiB TLS handshake record, then its body a byte every 50 ms for 5 s: each
// read of the lamp gets something long before any per-read timeout. Opened by hand
// like lampi-load's SlowSite, but for one connection, and a failure to bind is a test result.
class DrippingCloud {
public:
    DrippingCloud() {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        bound_ = ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) == 0 && ::listen(listener_, 1) == 0 &&
                 ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0;
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] { drip(); });
    }
    ~DrippingCloud() {
        stop_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        thread_.join();
        ::close(listener_);
    }
    DrippingCloud(const DrippingCloud&) = delete;
    DrippingCloud& operator=(const DrippingCloud&) = delete;
    bool bound() const { return bound_; }
    int port() const { return port_; }

private:
    void drip() {
        int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection < 0) return;
        const unsigned char header[] = {0x16, 0x03, 0x03, 0x40, 0x00};
        ::send(connection, header, sizeof header, MSG_NOSIGNAL);
        for (int i = 0; i < 100 && !stop_; ++i) {
            std::this_thread::sleep_for(50ms);
            const char zero = 0;
            if (::send(connection, &zero, 1, MSG_NOSIGNAL) != 1) break;
        }
        ::close(connection);
    }

    int listener_ = -1;
    int port_ = 0;
    bool bound_ = false;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

TEST(HttpsPost, ACloudThatSendsAByteAtATimeIsGivenUpAtTheExchangesDeadline) {
    lampi::testing::TempDir dir;
    ASSERT_NO_FATAL_FAILURE(write_ca_file(dir / "ca.pem"));
    DrippingCloud cloud;
    ASSERT_TRUE(cloud.bound());
    auto started = std::chrono::steady_clock::now();
    Result<HttpAnswer> answer = https_post_json({"127.0.0.1", std::to_string(cloud.port())}, "/api/v1/enroll/renew",
                                                "{}", dir / "ca.pem", 600ms);
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.status().code(), StatusCode::unavailable);
    EXPECT_NE(answer.status().message().find("did not finish the TLS handshake within 600 ms"), std::string::npos)
        << answer.status().message();
    // The deadline, not the cloud's 5 s of dripping (the slack is for a loaded machine or qemu).
    EXPECT_LT(took, 3s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

}  // namespace
}  // namespace lampi::lampid
