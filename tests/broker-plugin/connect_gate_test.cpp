#include "connect_gate.h"

#include <gtest/gtest.h>

#include "rules/broker_credential.h"

namespace lampi::broker {
namespace {

constexpr std::string_view kSecret = "shared-secret-of-plugin-and-cloud";
constexpr std::int64_t kNow = 1'800'000'000;
const std::string kWeb = "web-0123456789abcdef0123";

ConnectGate gate() {
    return ConnectGate(GateOptions{std::string(kSecret),
                                   {{IdentityKind::service, "lampi-cloud", "service-password"},
                                    {IdentityKind::operator_account, "operator", "operator-password"}},
                                   {"ops"}});
}

std::string web_token(std::int64_t issued_at = kNow) {
    rules::BrokerClaims claims{kWeb, "alice", kWeb, {"b827eb74663e"}, issued_at, issued_at + 900};
    return rules::sign_broker_credential(claims, kSecret).value();
}

ConnectRequest web(std::string client_id, std::string token = web_token()) {
    return ConnectRequest{kWeb, std::move(token), std::move(client_id), std::nullopt, kNow, 30};
}

ConnectRequest certificate(std::string cn, std::string client_id, std::optional<std::string> username = std::nullopt) {
    return ConnectRequest{std::move(username), std::nullopt, std::move(client_id), std::move(cn), kNow, 15};
}

TEST(ConnectGate, ASignedWebCredentialIsCheckedLocallyWithItsClientIds) {
    ClientRegistry registry;
    Revocations revocations;
    auto accepted = gate().decide(web(kWeb + "-1"), registry, revocations);
    ASSERT_TRUE(accepted.accepted) << accepted.reason;
    EXPECT_EQ(accepted.who.kind, IdentityKind::person);
    EXPECT_EQ(accepted.who.account, "alice");
    EXPECT_TRUE(rules::allowed(accepted.rights.rules, Action::write, "devices/b827eb74663e/lamp/set_config"));
    EXPECT_FALSE(gate().decide(web("lampi-cloud"), registry, revocations).accepted);
    EXPECT_FALSE(gate().decide(web("lamp-b827eb74663e"), registry, revocations).accepted);
    EXPECT_FALSE(gate().decide(web(kWeb, web_token() + "x"), registry, revocations).accepted);
}

TEST(ConnectGate, AnUnknownUsernameIsRefusedWithoutAskingAnyone) {
    ClientRegistry registry;
    Revocations revocations;
    ConnectRequest junk{"x9f2k", "whatever", "x9f2k", std::nullopt, kNow};
    auto decision = gate().decide(junk, registry, revocations);
    EXPECT_FALSE(decision.accepted);
    EXPECT_EQ(decision.reason, "unknown broker user");
}

TEST(ConnectGate, ServicesAndOperatorsUseTheirLocalLoginsAndOwnIds) {
    ClientRegistry registry;
    Revocations revocations;
    auto service = ConnectRequest{"lampi-cloud", "service-password", "lampi-cloud", std::nullopt, kNow};
    EXPECT_TRUE(gate().decide(service, registry, revocations).accepted);
    service.client_id = "lampi-cloud-2";
    EXPECT_FALSE(gate().decide(service, registry, revocations).accepted);
    auto takeover = ConnectRequest{"operator", "operator-password", "lampi-cloud", std::nullopt, kNow};
    EXPECT_FALSE(gate().decide(takeover, registry, revocations).accepted);
    takeover.client_id = "operator-console";
    EXPECT_TRUE(gate().decide(takeover, registry, revocations).accepted);
    takeover.password = "operator-passwore";
    EXPECT_FALSE(gate().decide(takeover, registry, revocations).accepted);
}

TEST(ConnectGate, ALampCertificateMayUseOnlyItsOwnIdAndUsername) {
    ClientRegistry registry;
    Revocations revocations;
    EXPECT_TRUE(gate().decide(certificate("b827eb74663e", "lamp-b827eb74663e"), registry, revocations).accepted);
    EXPECT_TRUE(gate()
                    .decide(certificate("b827eb74663e", "lamp-b827eb74663e", "b827eb74663e"), registry, revocations)
                    .accepted);
    EXPECT_FALSE(gate()
                     .decide(certificate("b827eb74663e", "lamp-b827eb74663e", "000000000001"), registry, revocations)
                     .accepted);
    EXPECT_FALSE(gate().decide(certificate("b827eb74663e", "lamp-000000000001"), registry, revocations).accepted);
    EXPECT_FALSE(gate().decide(certificate("b827eb74663e", "lampi-cloud"), registry, revocations).accepted);
    EXPECT_FALSE(gate().decide(certificate("not-a-lamp", "lamp-not-a-lamp"), registry, revocations).accepted);
}

TEST(ConnectGate, ASecondConnectionOfALampIsRefusedButItsReconnectIsNot) {
    ClientRegistry registry;
    Revocations revocations;
    int live = 0;
    auto first = gate().decide(certificate("b827eb74663e", "lamp-b827eb74663e"), registry, revocations);
    registry.grant(&live, first.who, {}, first.rights, Clock::now(), false, "lamp-b827eb74663e");
    EXPECT_TRUE(gate().decide(certificate("b827eb74663e", "lamp-b827eb74663e"), registry, revocations).accepted);
    // An operator has room for a few consoles, not thousands.
    for (int i = 0; i < 16; ++i) {
        auto op = ConnectRequest{"operator", "operator-password", "operator-" + std::to_string(i), std::nullopt, kNow};
        auto d = gate().decide(op, registry, revocations);
        ASSERT_TRUE(d.accepted) << d.reason;
        registry.grant(reinterpret_cast<const void*>(static_cast<std::uintptr_t>(1000 + i)), d.who, {}, d.rights,
                       Clock::now(), false, op.client_id);
    }
    auto one_more = ConnectRequest{"operator", "operator-password", "operator-x", std::nullopt, kNow};
    EXPECT_FALSE(gate().decide(one_more, registry, revocations).accepted);
}

TEST(ConnectGate, AClientThatAsksForNoKeepaliveOrAnHourIsRefused) {
    ClientRegistry registry;
    Revocations revocations;
    auto idler = certificate("b827eb74663e", "lamp-b827eb74663e");
    idler.keepalive = 0;
    EXPECT_FALSE(gate().decide(idler, registry, revocations).accepted);
    idler.keepalive = 3600;
    EXPECT_FALSE(gate().decide(idler, registry, revocations).accepted);
    idler.keepalive = kMaxKeepalive;
    EXPECT_TRUE(gate().decide(idler, registry, revocations).accepted);
}

// The CRL names certificates, not lamps: the one it lists is refused, the same
// lamp with its renewed certificate is not.
TEST(ConnectGate, ACertificateOnTheCrlIsRefusedButTheSameLampsRenewedOneIsNot) {
    ClientRegistry registry;
    Revocations revocations;
    ConnectRequest revoked = certificate("b827eb74663e", "lamp-b827eb74663e", "b827eb74663e");
    revoked.certificate_revoked = true;
    auto refused = gate().decide(revoked, registry, revocations);
    EXPECT_FALSE(refused.accepted);
    EXPECT_NE(refused.reason.find("revoked"), std::string::npos) << refused.reason;
    auto renewed =
        gate().decide(certificate("b827eb74663e", "lamp-b827eb74663e", "b827eb74663e"), registry, revocations);
    EXPECT_TRUE(renewed.accepted) << renewed.reason;
}

TEST(ConnectGate, ARevokedAccountsOlderCredentialsAreRefusedAndNewerOnesAccepted) {
    ClientRegistry registry;
    Revocations revocations;
    revocations.apply(UserRevocation{"alice", kNow + 5});
    EXPECT_FALSE(gate().decide(web(kWeb), registry, revocations).accepted);
    auto fresh = web(kWeb, web_token(kNow + 6));
    fresh.now = kNow + 6;
    EXPECT_TRUE(gate().decide(fresh, registry, revocations).accepted);
    revocations.apply(DeviceRevocation{"b827eb74663e"});
    EXPECT_FALSE(gate().decide(certificate("b827eb74663e", "lamp-b827eb74663e"), registry, revocations).accepted);
}

}  // namespace
}  // namespace lampi::broker
