#include "rules/broker_rules.h"

#include "lampi/device_id.h"
#include "lampi/topics.h"
#include "rules/topic_filter.h"

namespace lampi::rules {
namespace {

std::string device_topic(std::string_view device_id, std::string_view local) { return topics::cloud(device_id, local); }

bool rule_permits(RuleAction granted, Action wanted) {
    switch (granted) {
        case RuleAction::all: return true;
        case RuleAction::publish: return wanted == Action::write;
        case RuleAction::subscribe: return wanted == Action::subscribe || wanted == Action::read;
    }
    return false;
}

}  // namespace

bool action_from_acc(int acc, std::vector<Action>& out) {
    out.clear();
    if (acc <= 0 || acc > 7) return false;
    if (acc & 1) out.push_back(Action::read);
    if (acc & 2) out.push_back(Action::write);
    if (acc & 4) out.push_back(Action::subscribe);
    return true;
}

bool action_from_name(std::string_view name, std::vector<Action>& out) {
    out.clear();
    if (name == "publish" || name == "write") {
        out.push_back(Action::write);
    } else if (name == "subscribe") {
        out.push_back(Action::subscribe);
    } else if (name == "read") {
        out.push_back(Action::read);
    } else if (name == "all") {
        out = {Action::read, Action::write, Action::subscribe};
    } else {
        return false;
    }
    return true;
}

std::string_view to_string(RuleAction action) {
    // A switch on purpose: -Wswitch names any value added later without its name.
    switch (action) {
        case RuleAction::publish: return "publish";
        case RuleAction::subscribe: return "subscribe";
        case RuleAction::all: return "all";
    }
    return "all";
}

std::vector<Rule> rules_for(const Principal& who) {
    std::vector<Rule> rules;
    switch (who.kind) {
        case PrincipalKind::nobody: break;
        case PrincipalKind::superuser: rules.push_back({RuleAction::all, "#"}); break;
        case PrincipalKind::lamp:
            // An id that is not a device id would let "+" or "#" into the rules.
            if (!is_valid_device_id(who.id)) break;
            rules.push_back({RuleAction::publish, device_topic(who.id, topics::kChanged)});
            rules.push_back({RuleAction::publish, device_topic(who.id, topics::kHealth)});
            rules.push_back({RuleAction::publish, device_topic(who.id, topics::kConnectionStatePattern)});
            rules.push_back({RuleAction::publish, device_topic(who.id, topics::kAssociated)});
            rules.push_back({RuleAction::subscribe, device_topic(who.id, topics::kSetConfig)});
            rules.push_back({RuleAction::subscribe, device_topic(who.id, topics::kAssociated)});
            break;
        case PrincipalKind::person:
            for (const std::string& lamp : who.owned_lamps) {
                if (!is_valid_device_id(lamp)) continue;
                rules.push_back({RuleAction::subscribe, device_topic(lamp, topics::kChanged)});
                rules.push_back({RuleAction::subscribe, device_topic(lamp, topics::kHealth)});
                rules.push_back({RuleAction::subscribe, device_topic(lamp, topics::kConnectionStatePattern)});
                rules.push_back({RuleAction::publish, device_topic(lamp, topics::kSetConfig)});
            }
            break;
    }
    return rules;
}

bool allowed(const std::vector<Rule>& rules, Action action, std::string_view topic) {
    for (const Rule& rule : rules) {
        if (!rule_permits(rule.action, action)) continue;
        bool hit = action == Action::subscribe ? filter_covers(rule.topic, topic) : topic_matches(rule.topic, topic);
        if (hit) return true;
    }
    return false;
}

bool allowed(const Principal& who, Action action, std::string_view topic) {
    if (who.kind == PrincipalKind::superuser) {
        return action == Action::subscribe ? is_valid_filter(topic) : is_valid_topic(topic);
    }
    return allowed(rules_for(who), action, topic);
}

}  // namespace lampi::rules
