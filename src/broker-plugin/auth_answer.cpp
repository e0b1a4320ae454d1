#include "auth_answer.h"

#include <fmt/core.h>

#include <boost/json.hpp>

#include "lampi/json_object.h"

namespace json = boost::json;

namespace lampi::broker {
namespace {

Result<rules::RuleAction> rule_action(std::string_view name) {
    if (name == "publish") return rules::RuleAction::publish;
    if (name == "subscribe") return rules::RuleAction::subscribe;
    if (name == "all") return rules::RuleAction::all;
    return Status::error(fmt::format("unknown acl action \"{}\"", name));
}

}  // namespace

Result<AuthAnswer> parse_auth_answer(std::string_view body) {
    Result<json::object> parsed = parse_json_object(body, "the auth API's answer");
    if (!parsed) return parsed.status();
    const json::object& o = *parsed;
    AuthAnswer answer;
    if (const json::value* result = o.if_contains("result"); result && result->is_string()) {
        answer.allowed = result->as_string() == "allow";
    } else if (const json::value* ok = o.if_contains("ok"); ok && ok->is_bool()) {
        answer.allowed = ok->as_bool();
    } else {
        return Status::error("the auth API's answer has neither \"result\" nor \"ok\"");
    }
    if (const json::value* s = o.if_contains("is_superuser"); s && s->is_bool()) answer.superuser = s->as_bool();
    if (const json::value* e = o.if_contains("error"); e && e->is_string()) answer.error = e->as_string();
    if (const json::value* acl = o.if_contains("acl"); acl && acl->is_array()) {
        for (const json::value& entry : acl->as_array()) {
            const json::object* rule = entry.if_object();
            if (!rule) return Status::error("an acl entry is not an object");
            const json::value* permission = rule->if_contains("permission");
            const json::value* action = rule->if_contains("action");
            const json::value* topic = rule->if_contains("topic");
            if (!permission || !permission->is_string() || !action || !action->is_string() || !topic ||
                !topic->is_string()) {
                return Status::error("an acl entry needs string permission, action and topic");
            }
            // Everything not allowed is denied, so deny entries need no storage.
            if (permission->as_string() != "allow") continue;
            auto kind = rule_action(action->as_string());
            if (!kind) return kind.status();
            answer.rules.push_back({*kind, std::string(topic->as_string())});
        }
    }
    if (!answer.allowed) {
        answer.superuser = false;
        answer.rules.clear();
    }
    return answer;
}

}  // namespace lampi::broker
