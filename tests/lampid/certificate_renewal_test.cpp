// CertificateRenewal on a clock the test moves: when it renews, when it only
// looks, and how it keeps trying after a failure without ever giving up.
#include "certificate_renewal.h"

#include <gtest/gtest.h>

#include "lampid_fakes.h"

namespace lampi::lampid {
namespace {

using namespace std::chrono_literals;
using lampi::testing::ManualClock;

constexpr std::int64_t kDay = 86400;

class Renewal : public ::testing::Test {
protected:
    std::int64_t now_s() const { return clock_.wall_now_ms / 1000; }

    CertificateRenewal make(RenewalPolicy policy = {}) {
        CertificateRenewal renewal(
            policy, clock_.clock(),
            [this]() -> Result<std::int64_t> {
                ++reads_;
                if (unreadable_) return Status::not_found("cannot open /etc/lampi/lamp.pem");
                return expires_at_;
            },
            [this]() -> Result<Enrollment> {
                ++attempts_;
                if (cloud_down_) return Status::unavailable("cannot reach the cloud at 127.0.0.1:8443");
                Enrollment renewed;
                renewed.serial = "0" + std::to_string(attempts_);
                renewed.expires_at = now_s() + 365 * kDay;
                expires_at_ = renewed.expires_at;
                return renewed;
            });
        renewal.on_renewed = [this](const Enrollment& e) { renewed_serials_.push_back(e.serial); };
        return renewal;
    }

    ManualClock clock_;
    std::int64_t expires_at_ = 0;
    bool cloud_down_ = false;
    bool unreadable_ = false;
    int reads_ = 0;
    int attempts_ = 0;
    std::vector<std::string> renewed_serials_;
};

TEST_F(Renewal, ACertificateFarFromExpiryIsOnlyLookedAtOnceADay) {
    expires_at_ = now_s() + 200 * kDay;
    CertificateRenewal renewal = make();
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(reads_, 1) << "checked at start";
    clock_.advance(23h);
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(reads_, 1) << "looked again before a day went by";
    clock_.advance(1h);
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(reads_, 2);
    EXPECT_EQ(attempts_, 0) << "renewed 199 days before expiry";
}

TEST_F(Renewal, ItRenewsAtStartWhenInsideTheWindowAndThenRestsADay) {
    expires_at_ = now_s() + 29 * kDay;
    CertificateRenewal renewal = make();
    EXPECT_TRUE(renewal.tick());
    EXPECT_EQ(attempts_, 1);
    ASSERT_EQ(renewed_serials_.size(), 1u);
    clock_.advance(12h);
    EXPECT_FALSE(renewal.tick());
    clock_.advance(12h);
    EXPECT_FALSE(renewal.tick()) << "the new certificate is a year away from expiry";
    EXPECT_EQ(attempts_, 1);
}

TEST_F(Renewal, TheDailyCheckRenewsOnTheDayTheWindowOpens) {
    expires_at_ = now_s() + 31 * kDay + 3600;
    CertificateRenewal renewal = make();
    EXPECT_FALSE(renewal.tick());
    clock_.advance(24h);
    EXPECT_FALSE(renewal.tick()) << "30 days and 1 hour left is outside a 30-day window";
    clock_.advance(24h);
    EXPECT_TRUE(renewal.tick());
    EXPECT_EQ(attempts_, 1);
}

TEST_F(Renewal, TheWindowIsConfigurable) {
    expires_at_ = now_s() + 40 * kDay;
    RenewalPolicy policy;
    policy.days_before_expiry = 45;
    CertificateRenewal renewal = make(policy);
    EXPECT_TRUE(renewal.tick());
}

TEST_F(Renewal, AFailureIsRetriedWithADoublingBackoffAndTheNextSuccessResetsIt) {
    expires_at_ = now_s() + 10 * kDay;
    cloud_down_ = true;
    CertificateRenewal renewal = make();
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(attempts_, 1);
    EXPECT_EQ(renewal.failures_in_a_row(), 1);
    // Waits of 5 s, then 10 s: nothing a second early, an attempt on time.
    for (auto wait : {5s, 10s}) {
        int before = attempts_;
        clock_.advance(wait - 1s);
        renewal.tick();
        EXPECT_EQ(attempts_, before) << "retried before a wait of " << wait.count() << " s";
        clock_.advance(1s);
        renewal.tick();
        EXPECT_EQ(attempts_, before + 1);
    }
    // Many failures later the wait stops growing at 6 h.
    for (int i = 0; i < 20; ++i) {
        clock_.advance(6h);
        renewal.tick();
    }
    EXPECT_EQ(attempts_, 23);
    EXPECT_EQ(renewal.next_check() - clock_.steady_now, std::chrono::milliseconds(6h));

    cloud_down_ = false;
    clock_.advance(6h);
    EXPECT_TRUE(renewal.tick());
    EXPECT_EQ(renewal.failures_in_a_row(), 0);
    EXPECT_EQ(renewal.next_check() - clock_.steady_now, std::chrono::milliseconds(24h));
}

TEST_F(Renewal, WithoutATokenAMissingCertificateIsRetriedNotFatal) {
    unreadable_ = true;
    CertificateRenewal renewal = make();
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(attempts_, 0);
    EXPECT_EQ(renewal.failures_in_a_row(), 1);
    unreadable_ = false;
    expires_at_ = now_s() + 5 * kDay;
    clock_.advance(5s);
    EXPECT_TRUE(renewal.tick());
}

TEST_F(Renewal, ALampWithNoCertificateYetEnrollsWithItsTokenThenOnlyRenews) {
    int enrollments = 0;
    bool has_certificate = false;
    bool token_refused = true;
    CertificateRenewal renewal(
        RenewalPolicy{}, clock_.clock(),
        [&]() -> Result<std::int64_t> {
            if (!has_certificate) return Status::not_found("no certificate at /etc/lampi/lamp.pem");
            return expires_at_;
        },
        [&]() -> Result<Enrollment> {
            ++attempts_;
            return Enrollment{};
        },
        [&]() -> Result<Enrollment> {
            ++enrollments;
            if (token_refused) return Status::unavailable("cannot reach the cloud at 127.0.0.1:8443");
            has_certificate = true;
            expires_at_ = now_s() + 365 * kDay;
            Enrollment enrolled;
            enrolled.serial = "0a";
            return enrolled;
        });
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(enrollments, 1);
    EXPECT_EQ(renewal.failures_in_a_row(), 1);
    token_refused = false;
    clock_.advance(5s);
    EXPECT_TRUE(renewal.tick());
    EXPECT_EQ(enrollments, 2);
    clock_.advance(24h);
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(enrollments, 2) << "enrolled again with a certificate in place";
    EXPECT_EQ(attempts_, 0) << "renewed a certificate a year from expiry";
}

TEST_F(Renewal, MissingFilesAreAFailureToRetryNotACrash) {
    // The real renewal over files that are not there: a Status, never an exception.
    RenewalFiles files;
    files.cloud_url = "https://127.0.0.1:1";
    files.ca_file = "/nonexistent/ca.pem";
    files.key_file = "/nonexistent/lamp.key";
    files.cert_file = "/nonexistent/lamp.pem";
    CertificateRenewal renewal = make_certificate_renewal(files, RenewalPolicy{}, clock_.clock());
    EXPECT_FALSE(renewal.tick());
    EXPECT_EQ(renewal.failures_in_a_row(), 1);
}

}  // namespace
}  // namespace lampi::lampid
