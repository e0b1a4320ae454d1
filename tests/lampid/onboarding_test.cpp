#include "onboarding.h"

#include <gtest/gtest.h>

#include "lampi/lamp_codec.h"
#include "lampi/topics.h"
#include "lampid_fakes.h"
#include "process.h"

namespace lampi::lampid {
namespace {

class OnboardingTest : public ::testing::Test {
protected:
    Onboarding make() { return Onboarding(broker, clock.clock(), dir / "association.json", dir / "code"); }
    std::vector<std::string> offered_codes() const {
        std::vector<std::string> codes;
        for (const MqttMessage& m : broker.on(topics::kAssociated)) {
            auto association = decode_association(m.payload);
            if (association && association->code) codes.push_back(*association->code);
        }
        return codes;
    }

    // Alike LampControllerTest's fixture and first steps, but each part takes other
    // seams: the fakes (lampid_fakes.h) are shared, a fixture of every fake is not.
    testing::TempDir dir;
    testing::Broker broker;
    testing::ManualClock clock;
};

TEST_F(OnboardingTest, AnUnclaimedLampOffersAndShowsACode) {
    Onboarding onboarding = make();
    ASSERT_TRUE(onboarding.load());
    onboarding.on_connected();
    auto codes = offered_codes();
    ASSERT_EQ(codes.size(), 1u);
    EXPECT_EQ(codes[0].size(), 6u);
    EXPECT_TRUE(broker.on(topics::kAssociated)[0].retain);
    EXPECT_EQ(testing::read_file(dir / "code"), codes[0] + "\n");
}

TEST_F(OnboardingTest, TheCodeIsRenewedBeforeTheCloudLetsItExpire) {
    Onboarding onboarding = make();
    ASSERT_TRUE(onboarding.load());
    onboarding.on_connected();
    auto renew_after = Onboarding::kCodeLifetime - Onboarding::kRenewMargin;
    clock.advance(renew_after - std::chrono::seconds(1));
    onboarding.tick();
    EXPECT_EQ(offered_codes().size(), 1u);
    clock.advance(std::chrono::seconds(1));
    onboarding.tick();
    EXPECT_EQ(offered_codes().size(), 2u);
    EXPECT_LT(renew_after, Onboarding::kCodeLifetime);
    EXPECT_EQ(testing::read_file(dir / "code"), offered_codes().back() + "\n");
}

TEST_F(OnboardingTest, ClaimedIsKeptAcrossARestart) {
    {
        Onboarding onboarding = make();
        ASSERT_TRUE(onboarding.load());
        onboarding.on_connected();
        onboarding.handle(R"({"claimed": true})");
        EXPECT_TRUE(onboarding.claimed());
    }
    broker.published.clear();
    Onboarding restarted = make();
    ASSERT_TRUE(restarted.load());
    EXPECT_TRUE(restarted.claimed());
    restarted.on_connected();
    clock.advance(Onboarding::kCodeLifetime * 2);
    restarted.tick();
    EXPECT_TRUE(offered_codes().empty()) << "a claimed lamp offered a code after a restart";
    EXPECT_EQ(testing::read_file(dir / "code"), "claimed\n");
}

TEST_F(OnboardingTest, AReleasedLampOffersANewCode) {
    Onboarding onboarding = make();
    ASSERT_TRUE(onboarding.load());
    onboarding.on_connected();
    onboarding.handle(R"({"claimed": true})");
    broker.published.clear();
    onboarding.handle(R"({"claimed": false})");
    EXPECT_FALSE(onboarding.claimed());
    EXPECT_EQ(offered_codes().size(), 1u);
}

TEST_F(OnboardingTest, ItsOwnOfferEchoedBackChangesNothing) {
    Onboarding onboarding = make();
    ASSERT_TRUE(onboarding.load());
    onboarding.on_connected();
    onboarding.handle(broker.on(topics::kAssociated)[0].payload);
    EXPECT_FALSE(onboarding.claimed());
    EXPECT_EQ(offered_codes().size(), 1u);
}

}  // namespace
}  // namespace lampi::lampid
