// lampi_rules: topic matching and the broker rules of DESIGN.md "Who may do what".
#include <gtest/gtest.h>

#include "access_cases.h"
#include "rules/broker_rules.h"
#include "rules/topic_filter.h"

namespace lampi::rules {
namespace {

const std::string kLamp = "b827eb74663e";
const std::string kOther = "b827eb000001";

// One EXPECT a case, like the other validity tests: a failure names its input.
TEST(TopicFilter, ValidatesFiltersAndTopics) {
    EXPECT_TRUE(is_valid_filter("a/+/c"));
    EXPECT_TRUE(is_valid_filter("#"));
    EXPECT_TRUE(is_valid_filter("a/#"));
    EXPECT_FALSE(is_valid_filter("a/#/c"));
    EXPECT_FALSE(is_valid_filter("a/b#"));
    EXPECT_FALSE(is_valid_filter("a/+b"));
    EXPECT_FALSE(is_valid_filter(""));
    EXPECT_FALSE(is_valid_filter(std::string_view("a\0b", 3)));
    EXPECT_TRUE(is_valid_topic("a/b"));
    EXPECT_FALSE(is_valid_topic("a/+"));
    EXPECT_FALSE(is_valid_topic("a/#"));
}

TEST(TopicFilter, MatchesLikeTheBroker) {
    EXPECT_TRUE(topic_matches("a/+/c", "a/b/c"));
    EXPECT_FALSE(topic_matches("a/+/c", "a/b/d"));
    EXPECT_TRUE(topic_matches("a/#", "a"));
    EXPECT_TRUE(topic_matches("a/#", "a/b/c"));
    EXPECT_FALSE(topic_matches("a/+", "a/b/c"));
    EXPECT_TRUE(topic_matches("a//c", "a//c"));
    EXPECT_FALSE(topic_matches("#", "$SYS/broker/uptime"));
    EXPECT_FALSE(topic_matches("+/broker/uptime", "$SYS/broker/uptime"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/broker/uptime"));
}

TEST(TopicFilter, CoverageForSubscriptions) {
    EXPECT_TRUE(filter_covers("a/#", "a/+/c"));
    EXPECT_TRUE(filter_covers("a/+/state", "a/x/state"));
    EXPECT_TRUE(filter_covers("a/+/state", "a/+/state"));
    EXPECT_FALSE(filter_covers("a/x/state", "a/+/state"));
    EXPECT_FALSE(filter_covers("a/+/state", "a/#"));
    EXPECT_FALSE(filter_covers("a/b", "a/b/#"));
    EXPECT_FALSE(filter_covers("#", "$SYS/#"));
    EXPECT_FALSE(filter_covers("devices/x/lamp/changed", "devices/+/lamp/changed"));
}

using testing::Access;
using testing::expect_access;
using testing::kAllow;
using testing::kDeny;

// The principal's own check, named for a failing case.
auto allowed_for(const Principal& who) {
    return [&who](Action action, const std::string& topic) { return allowed(who, action, topic); };
}

TEST(BrokerRules, LampReachesOnlyItsOwnTopics) {
    Principal lamp{PrincipalKind::lamp, kLamp, {}};
    std::string prefix = "devices/" + kLamp + "/lamp/";
    const std::vector<Access> cases = {
        {Action::write, prefix + "changed", kAllow},
        {Action::write, prefix + "connection/lamp_service/state", kAllow},
        {Action::write, prefix + "connection/bridge/state", kAllow},
        {Action::write, prefix + "associated", kAllow},
        {Action::write, prefix + "health", kAllow},
        {Action::write, "devices/" + kOther + "/lamp/health", kDeny},
        {Action::subscribe, prefix + "set_config", kAllow},
        {Action::read, prefix + "set_config", kAllow},
        {Action::subscribe, prefix + "associated", kAllow},
        // Not the other direction, not other lamps, no wildcards, no $SYS.
        {Action::write, prefix + "set_config", kDeny},
        {Action::subscribe, prefix + "changed", kDeny},
        {Action::write, "devices/" + kOther + "/lamp/changed", kDeny},
        {Action::subscribe, "devices/" + kOther + "/lamp/set_config", kDeny},
        {Action::subscribe, "devices/+/lamp/set_config", kDeny},
        {Action::subscribe, "devices/" + kLamp + "/#", kDeny},
        {Action::subscribe, "$SYS/#", kDeny},
        {Action::subscribe, "#", kDeny},
    };
    expect_access("lamp " + lamp.id, allowed_for(lamp), cases);
}

TEST(BrokerRules, LampWithWildcardIdGetsNothing) {
    Principal bad{PrincipalKind::lamp, "+", {}};
    EXPECT_TRUE(rules_for(bad).empty());
    EXPECT_FALSE(allowed(bad, Action::write, "devices/+/lamp/changed"));
}

TEST(BrokerRules, PersonReachesOnlyOwnedLamps) {
    Principal person{PrincipalKind::person, "web-1", {kLamp}};
    std::string prefix = "devices/" + kLamp + "/lamp/";
    // A table like the lamp's on purpose: each kind of client has its rights
    // listed in full, so a right leaking from one kind to another shows.
    const std::vector<Access> cases = {
        {Action::subscribe, prefix + "changed", kAllow},
        {Action::read, prefix + "changed", kAllow},
        {Action::subscribe, prefix + "connection/+/state", kAllow},
        {Action::read, prefix + "connection/lamp_service/state", kAllow},
        {Action::write, prefix + "set_config", kAllow},
        {Action::subscribe, prefix + "health", kAllow},
        {Action::write, prefix + "health", kDeny},
        {Action::write, prefix + "changed", kDeny},
        {Action::subscribe, prefix + "set_config", kDeny},
        {Action::subscribe, prefix + "associated", kDeny},
        {Action::write, "devices/" + kOther + "/lamp/set_config", kDeny},
        {Action::subscribe, "devices/+/lamp/changed", kDeny},
        {Action::subscribe, "devices/#", kDeny},
        {Action::subscribe, "$SYS/broker/clients/connected", kDeny},
    };
    expect_access("person " + person.id, allowed_for(person), cases);
    Principal nobody_owned{PrincipalKind::person, "web-2", {}};
    EXPECT_TRUE(rules_for(nobody_owned).empty());
}

TEST(BrokerRules, SuperuserAndNobody) {
    Principal super{PrincipalKind::superuser, "lampi-cloud", {}};
    const std::vector<Access> cases = {
        {Action::subscribe, "$SYS/#", kAllow},
        {Action::subscribe, "devices/+/lamp/changed", kAllow},
        {Action::write, "devices/" + kLamp + "/lamp/set_config", kAllow},
        {Action::write, "devices/+", kDeny},  // not a topic name
    };
    expect_access("superuser", allowed_for(super), cases);
    Principal nobody;
    EXPECT_FALSE(allowed(nobody, Action::read, "devices/" + kLamp + "/lamp/changed"));
    EXPECT_TRUE(rules_for(nobody).empty());
}

TEST(BrokerRules, AccAndActionNames) {
    std::vector<Action> actions;
    ASSERT_TRUE(action_from_acc(1, actions));
    EXPECT_EQ(actions, std::vector<Action>{Action::read});
    ASSERT_TRUE(action_from_acc(4, actions));
    EXPECT_EQ(actions, std::vector<Action>{Action::subscribe});
    ASSERT_TRUE(action_from_acc(3, actions));
    EXPECT_EQ(actions.size(), 2u);
    EXPECT_FALSE(action_from_acc(0, actions));
    EXPECT_FALSE(action_from_acc(8, actions));
    ASSERT_TRUE(action_from_name("publish", actions));
    EXPECT_EQ(actions, std::vector<Action>{Action::write});
    EXPECT_FALSE(action_from_name("delete", actions));
}

TEST(BrokerRules, RuleListMatchesThePointChecks) {
    Principal person{PrincipalKind::person, "web-1", {kLamp, kOther}};
    auto rules = rules_for(person);
    EXPECT_EQ(rules.size(), 8u);  // per lamp: changed, health, connection states, set_config
    for (const std::string& id : {kLamp, kOther}) {
        EXPECT_TRUE(allowed(rules, Action::write, "devices/" + id + "/lamp/set_config"));
        EXPECT_TRUE(allowed(rules, Action::subscribe, "devices/" + id + "/lamp/changed"));
    }
}

}  // namespace
}  // namespace lampi::rules
