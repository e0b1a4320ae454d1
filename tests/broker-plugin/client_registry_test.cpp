#include "client_registry.h"

#include <gtest/gtest.h>

#include "access_cases.h"

namespace lampi::broker {
namespace {

using namespace std::chrono_literals;
using rules::RuleAction;
using testing::Access;
using testing::expect_access;
using testing::kAllow;
using testing::kDeny;

// The broker's client handles: only their addresses matter.
const int kClients[5] = {};
const void* const alice = &kClients[0];
const void* const alice_tab = &kClients[1];
const void* const lamp = &kClients[2];
const void* const ops = &kClients[3];
const void* const stranger = &kClients[4];

// The registry's check for one client, for a table of access cases.
auto allowed_for(const ClientRegistry& registry, const void* client) {
    return [&registry, client](Action action, const std::string& topic) {
        return registry.allowed(client, action, topic);
    };
}

Identity person(const std::string& credential) { return Identity{IdentityKind::person, credential, "alice", 100, ""}; }

AuthAnswer owns(const std::string& device) {
    AuthAnswer answer;
    answer.allowed = true;
    answer.rules = {{RuleAction::subscribe, "devices/" + device + "/lamp/changed"},
                    {RuleAction::subscribe, "devices/" + device + "/lamp/connection/+/state"},
                    {RuleAction::publish, "devices/" + device + "/lamp/set_config"}};
    return answer;
}

TEST(ClientRegistry, APersonReachesOnlyTheLampsTheCloudGranted) {
    ClientRegistry registry;
    registry.grant(alice, person("web-alice"), {"web-alice", "token"}, owns("b827eb74663e"), Clock::now());
    const std::vector<Access> cases = {
        {Action::subscribe, "devices/b827eb74663e/lamp/changed", kAllow},
        {Action::read, "devices/b827eb74663e/lamp/connection/lamp_service/state", kAllow},
        {Action::write, "devices/b827eb74663e/lamp/set_config", kAllow},
        {Action::write, "devices/b827eb74663e/lamp/changed", kDeny},
        {Action::subscribe, "devices/000000000001/lamp/changed", kDeny},
        {Action::subscribe, "devices/#", kDeny},
        {Action::subscribe, "$SYS/#", kDeny},
    };
    expect_access("alice", allowed_for(registry, alice), cases);
}

TEST(ClientRegistry, UnknownClientsMayDoNothing) {
    ClientRegistry registry;
    EXPECT_FALSE(registry.allowed(stranger, Action::read, "devices/b827eb74663e/lamp/changed"));
}

TEST(ClientRegistry, ALampCertificateGrantsOnlyItsOwnTopics) {
    ClientRegistry registry;
    registry.grant_certificate(lamp, "b827eb74663e", false);
    // A table like the person's above on purpose: each kind of client has its
    // rights listed in full, so a right leaking from one kind to another shows.
    const std::vector<Access> cases = {
        {Action::write, "devices/b827eb74663e/lamp/changed", kAllow},
        {Action::write, "devices/b827eb74663e/lamp/connection/bridge/state", kAllow},
        {Action::subscribe, "devices/b827eb74663e/lamp/set_config", kAllow},
        {Action::write, "devices/000000000001/lamp/changed", kDeny},
        {Action::subscribe, "devices/#", kDeny},
        {Action::write, "devices/b827eb74663e/lamp/set_config", kDeny},
    };
    expect_access("lamp", allowed_for(registry, lamp), cases);
}

TEST(ClientRegistry, ACertificateThatIsNeitherLampNorOperatorGetsNothing) {
    ClientRegistry registry;
    registry.grant_certificate(stranger, "somebody", false);
    EXPECT_FALSE(registry.allowed(stranger, Action::subscribe, "devices/somebody/lamp/set_config"));
    registry.grant_certificate(ops, "ops", true);
    EXPECT_TRUE(registry.allowed(ops, Action::subscribe, "$SYS/#"));
}

TEST(ClientRegistry, RefreshUpdatesEveryClientOfTheUserAndRevocationForgetsThem) {
    ClientRegistry registry;
    auto start = Clock::now();
    registry.grant(alice, person("web-alice"), {"web-alice", "token"}, owns("b827eb74663e"), start);
    registry.grant(alice_tab, person("web-alice"), {"web-alice", "token"}, owns("b827eb74663e"), start);
    registry.grant_certificate(lamp, "b827eb74663e", false);
    EXPECT_TRUE(registry.due_for_refresh(start + 10s, 30s).empty());
    auto due = registry.due_for_refresh(start + 31s, 30s);
    ASSERT_EQ(due.size(), 1u);  // one per username, never certificate clients
    EXPECT_EQ(due[0].username, "web-alice");
    EXPECT_EQ(due[0].password, "token");

    // Alice claimed a second lamp.
    AuthAnswer more = owns("b827eb74663e");
    more.rules.push_back({RuleAction::publish, "devices/000000000002/lamp/set_config"});
    EXPECT_FALSE(registry.apply_refresh("web-alice", more, start + 31s));
    EXPECT_TRUE(registry.allowed(alice_tab, Action::write, "devices/000000000002/lamp/set_config"));
    EXPECT_TRUE(registry.due_for_refresh(start + 40s, 30s).empty());

    AuthAnswer denied;
    EXPECT_TRUE(registry.apply_refresh("web-alice", denied, start + 70s));
    EXPECT_FALSE(registry.known(alice));
    EXPECT_FALSE(registry.known(alice_tab));
    EXPECT_TRUE(registry.known(lamp));
}

TEST(ClientRegistry, ForgetDropsOnlyThatClient) {
    ClientRegistry registry;
    registry.grant(alice, person("web-alice"), {"web-alice", "token"}, owns("b827eb74663e"), Clock::now());
    registry.grant(alice_tab, person("web-alice"), {"web-alice", "token"}, owns("b827eb74663e"), Clock::now());
    registry.forget(alice);
    EXPECT_FALSE(registry.known(alice));
    EXPECT_TRUE(registry.allowed(alice_tab, Action::subscribe, "devices/b827eb74663e/lamp/changed"));
}

TEST(ClientRegistry, ADisconnectedClientKeepsItsRightsForItsWillUntilThePurge) {
    ClientRegistry registry;
    auto start = Clock::now();
    registry.grant_certificate(lamp, "b827eb74663e", false);
    ASSERT_TRUE(registry.disconnected(lamp, false, start));
    // Mosquitto checks the will after the disconnect event.
    EXPECT_TRUE(registry.allowed(lamp, Action::write, "devices/b827eb74663e/lamp/connection/bridge/state"));
    EXPECT_FALSE(registry.allowed(lamp, Action::subscribe, "devices/b827eb74663e/lamp/set_config"));
    registry.purge(start + 10s, 60s, 3600s);
    EXPECT_TRUE(registry.known(lamp));
    registry.purge(start + 61s, 60s, 3600s);
    EXPECT_FALSE(registry.known(lamp));
}

TEST(ClientRegistry, APersistentSessionStillReceivesWhileAwayUntilItExpires) {
    ClientRegistry registry;
    auto start = Clock::now();
    registry.grant_certificate(lamp, "b827eb74663e", false);
    registry.disconnected(lamp, true, start);
    registry.purge(start + 61s, 60s, 3600s);
    // Queued for the absent bridge: the broker checks read access on the session.
    EXPECT_TRUE(registry.allowed(lamp, Action::read, "devices/b827eb74663e/lamp/set_config"));
    registry.purge(start + 3601s, 60s, 3600s);
    EXPECT_FALSE(registry.known(lamp));
}

TEST(ClientRegistry, ARestoredLampSessionMayOnlyReceive) {
    ClientRegistry registry;
    registry.adopt_restored_lamp(lamp, "b827eb74663e", Clock::now());
    EXPECT_TRUE(registry.allowed(lamp, Action::read, "devices/b827eb74663e/lamp/set_config"));
    EXPECT_FALSE(registry.allowed(lamp, Action::read, "devices/000000000001/lamp/set_config"));
    EXPECT_FALSE(registry.allowed(lamp, Action::subscribe, "devices/b827eb74663e/lamp/set_config"));
    EXPECT_EQ(registry.live_connections(Identity{IdentityKind::lamp, "b827eb74663e", "", 0, ""}), 0u);
}

TEST(ClientRegistry, CountsStayRightThroughEveryWayAGrantEnds) {
    ClientRegistry registry;
    auto now = Clock::now();
    const Identity lamp_identity{IdentityKind::lamp, "b827eb74663e", "", 0, ""};
    registry.grant(alice, person("web-one"), {"web-one", "t"}, owns("b827eb74663e"), now, true, "web-one-1");
    registry.grant(alice_tab, person("web-two"), {"web-two", "t"}, owns("b827eb74663e"), now, true, "web-two-1");
    registry.grant(stranger, person("web-three"), {"web-three", "t"}, owns("b827eb74663e"), now, true, "web-three-1");
    registry.grant_certificate(lamp, "b827eb74663e", false);
    EXPECT_EQ(registry.live_connections(person("web-x")), 3u);
    EXPECT_EQ(registry.live_connections(lamp_identity), 1u);
    registry.forget(stranger);
    EXPECT_EQ(registry.live_connections(person("web-x")), 2u);
    // Granting a handle again (a new client reusing freed memory) replaces, never adds.
    registry.grant(alice, person("web-one"), {"web-one", "t"}, owns("b827eb74663e"), now, true, "web-one-1");
    EXPECT_EQ(registry.live_connections(person("web-x")), 2u);
    EXPECT_TRUE(registry.apply_refresh("web-two", AuthAnswer{}, now));
    EXPECT_EQ(registry.live_connections(person("web-x")), 1u);
    registry.disconnected(alice, false, now);
    registry.disconnected(lamp, true, now);
    EXPECT_EQ(registry.live_connections(person("web-x")), 0u);
    EXPECT_EQ(registry.live_connections(lamp_identity), 0u);
    registry.purge(now + 3600s, 60s, 60s);
    EXPECT_EQ(registry.size(), 0u);
    EXPECT_EQ(registry.live_connections(person("web-x")), 0u);
}

TEST(ClientRegistry, TheSecondEndOfAHandleForgetsIt) {
    ClientRegistry registry;
    registry.grant_certificate(lamp, "b827eb74663e", false);
    EXPECT_TRUE(registry.disconnected(lamp, true, Clock::now()));
    // The broker retires the old session when the lamp connects again.
    EXPECT_FALSE(registry.disconnected(lamp, true, Clock::now()));
    EXPECT_FALSE(registry.known(lamp));
}

TEST(ClientRegistry, LiveConnectionsCountPerAccountAndIgnoreTheClientIdBeingReplaced) {
    ClientRegistry registry;
    registry.grant(alice, person("web-one"), {}, owns("b827eb74663e"), Clock::now(), false, "web-one-1");
    registry.grant(alice_tab, person("web-two"), {}, owns("b827eb74663e"), Clock::now(), false, "web-two-1");
    EXPECT_EQ(registry.live_connections(person("web-three")), 2u);
    EXPECT_EQ(registry.live_connections(person("web-one"), "web-one-1"), 1u);
    registry.disconnected(alice, false, Clock::now());
    EXPECT_EQ(registry.live_connections(person("web-three")), 1u);
}

}  // namespace
}  // namespace lampi::broker
