// Who may do what on the cloud broker (DESIGN.md, "Who may do what").
//
// The pure rule logic shared by lampi-cloud's auth API and the broker plugin:
// no I/O, no clock, no database. A caller works out who a client is (a Principal)
// and asks whether an action on a topic is allowed, or fetches the whole rule set
// once at connect time and evaluates it locally with `allowed`.
//
//   lamp      (certificate CN = device id): publish its own devices/<id>/lamp/changed,
//             devices/<id>/lamp/connection/+/state and devices/<id>/lamp/associated;
//             subscribe (and receive) its own devices/<id>/lamp/set_config and
//             devices/<id>/lamp/associated.
//   person    (short-lived broker credential): subscribe (and receive)
//             devices/<id>/lamp/changed and devices/<id>/lamp/connection/+/state,
//             publish devices/<id>/lamp/set_config, for owned lamps only.
//   superuser (the platform's own services, operators): everything.
//   nobody    : nothing.
// Anything not explicitly allowed is denied; no rule reaches $SYS except superuser.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lampi::rules {

enum class Action { read, write, subscribe };
// What a rule grants: publish (write), subscribe (subscribe + read), or all.
enum class RuleAction { publish, subscribe, all };

struct Rule {
    RuleAction action;
    std::string topic;  // an MQTT filter
};

enum class PrincipalKind { nobody, lamp, person, superuser };

struct Principal {
    PrincipalKind kind = PrincipalKind::nobody;
    std::string id;                        // device id for a lamp, username otherwise
    std::vector<std::string> owned_lamps;  // device ids, for a person
};

// go-auth's "acc" bit values: 1 read, 2 write, 4 subscribe (3 = read+write is
// treated as both). Returns false for values that name no action.
bool action_from_acc(int acc, std::vector<Action>& out);
// EMQX's "action": "publish" | "subscribe" (also "all"/"read" tolerated).
bool action_from_name(std::string_view name, std::vector<Action>& out);

std::string_view to_string(RuleAction action);

// The full allow-list for `who`. Empty for nobody; a single "all" on "#" for a
// superuser.
std::vector<Rule> rules_for(const Principal& who);

// Is `action` on `topic` allowed by `rules`? For subscribe, `topic` is a filter
// and must be covered by a rule; for read/write it is a concrete topic name.
bool allowed(const std::vector<Rule>& rules, Action action, std::string_view topic);

// Convenience: rules_for + allowed (superusers also reach $SYS).
bool allowed(const Principal& who, Action action, std::string_view topic);

}  // namespace lampi::rules
