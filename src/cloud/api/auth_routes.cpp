// The broker auth API under /auth/v1/. One answer shape that both
// mosquitto-go-auth's HTTP backend (JSON response mode: "ok", "error") and
// EMQX 5's HTTP authn/authz ("result", "is_superuser", "acl") read:
//   {"ok": true, "error": "", "result": "allow", "is_superuser": false, ...}
// always with status 200 once the caller (the broker) is trusted. Requests are
// JSON or url-encoded forms.
#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include <charconv>

#include "accounts/crypto.h"
#include "accounts/login_throttle.h"
#include "api/app.h"
#include "api/error_response.h"
#include "api/json_body.h"
#include "lampi/device_id.h"
#include "lampi/log.h"
#include "rules/broker_rules.h"

namespace lampi::cloud::api {
namespace json = boost::json;
namespace {

using http::Request;
using http::Response;

constexpr std::string_view kSecretHeader = "X-Lampi-Auth-Secret";

Response answer(bool ok, std::string_view error, bool superuser, const std::vector<rules::Rule>* rules = nullptr) {
    json::object o;
    o["ok"] = ok;
    o["error"] = error;
    o["result"] = ok ? "allow" : "deny";
    o["is_superuser"] = superuser;
    if (rules) {
        json::array acl;
        for (const rules::Rule& rule : *rules) {
            acl.emplace_back(json::object{{"permission", "allow"},
                                          {"action", std::string(rules::to_string(rule.action))},
                                          {"topic", rule.topic}});
        }
        // EMQX falls through to its next authorizer on no match; say "deny" here.
        acl.emplace_back(json::object{{"permission", "deny"}, {"action", "all"}, {"topic", "#"}});
        o["acl"] = std::move(acl);
    }
    return http::json(200, json::serialize(o));
}

// The broker itself must be the caller. A request that passed through a reverse
// proxy is refused even from loopback: the broker calls directly and sends no
// forwarding headers, so such a request is someone outside reaching the API
// through a proxy (nginx on the same host) that should have blocked it.
std::optional<Response> guard(const Request& request, const Deps& deps) {
    if (http::has_forwarding_headers(request))
        return json_error(Status::permission_denied("the auth API is not served through a proxy"));
    if (!deps.options.auth_allow_remote && !http::is_loopback(request.remote_address))
        return json_error(Status::permission_denied("the auth API answers only on loopback (see --auth-allow-remote)"));
    if (!deps.options.auth_secret.empty() &&
        !accounts::constant_time_equals(request.header(kSecretHeader), deps.options.auth_secret))
        return json_error(Status::permission_denied(fmt::format("missing or wrong {} header", kSecretHeader)));
    return std::nullopt;
}

const ServiceAccount* service_account(const Deps& deps, std::string_view username) {
    for (const ServiceAccount& a : deps.options.service_accounts)
        if (a.username == username) return &a;
    return nullptr;
}

// Who `username` is for ACL purposes (no password check: the broker already
// authenticated the client, by password or certificate).
Result<rules::Principal> principal_of(Deps& deps, const std::string& username) {
    rules::Principal p;
    p.id = username;
    if (const ServiceAccount* a = service_account(deps, username)) {
        p.kind = a->superuser ? rules::PrincipalKind::superuser : rules::PrincipalKind::nobody;
        return p;
    }
    if (is_valid_device_id(username)) {
        p.kind = rules::PrincipalKind::lamp;
        return p;
    }
    if (username.rfind(accounts::kBrokerCredentialPrefix, 0) == 0) {
        auto credential = deps.store.broker_credential(username, deps.accounts.now());
        if (!credential) return credential.status();
        if (!*credential) return p;  // expired or unknown: nobody
        auto owned = deps.store.owned_device_ids((*credential)->user_id);
        if (!owned) return owned.status();
        p.kind = rules::PrincipalKind::person;
        p.owned_lamps = std::move(owned).value();
        return p;
    }
    auto user = deps.store.user_by_name(username);
    if (!user) return user.status();
    if (*user && (*user)->is_operator && !(*user)->disabled()) p.kind = rules::PrincipalKind::superuser;
    return p;
}

Response deny_malformed(const Status& s) { return answer(false, "malformed request: " + s.message(), false); }

Response user_check(const Request& request, Deps& deps) {
    if (auto early = guard(request, deps)) return *early;
    auto fields = body_fields(request);
    if (!fields) return deny_malformed(fields.status());
    std::string username(fields->get_or("username"));
    std::string password(fields->get_or("password"));
    if (username.empty()) return answer(false, "no username", false);
    if (const ServiceAccount* a = service_account(deps, username)) {
        bool ok = accounts::constant_time_equals(a->password, password);
        return ok ? answer(true, "", a->superuser) : answer(false, "wrong password", false);
    }
    if (is_valid_device_id(username))
        return answer(false, "lamps authenticate with their client certificate, not a password", false);
    if (username.rfind(accounts::kBrokerCredentialPrefix, 0) == 0) {
        auto user_id = deps.accounts.check_broker_credential(username, password);
        if (!user_id) {
            log::error("auth API: {}", user_id.status().message());
            return answer(false, "internal error", false);
        }
        if (!*user_id) return answer(false, "unknown or expired credential", false);
        auto principal = principal_of(deps, username);
        if (!principal) return answer(false, "internal error", false);
        auto rules = rules::rules_for(*principal);
        return answer(true, "", false, &rules);
    }
    // Operators log in to a broker that asks this API (a clustered broker) with
    // their web password. Failures are counted under "broker:<name>", apart from
    // the web login's counter: guessing through a broker is throttled, yet can
    // never lock the operator out of the web. (The platform's own broker never
    // asks: its plugin has local logins.)
    // Checking an operator's password is an argon2 hash: on the bounded pool, never
    // on the I/O threads (a full pool answers 503 at once, which the broker reads as
    // a refusal).
    return on_hash_pool(deps, [&deps, username, password]() -> Response {
        auto user = deps.store.user_by_name(username);
        if (!user || !*user || !(*user)->is_operator || (*user)->disabled())
            return answer(false, "not a broker user", false);
        accounts::LoginThrottle throttle(deps.store, deps.accounts.options().throttle,
                                         [&deps] { return deps.accounts.now(); });
        const std::string subject = "broker:" + username;
        auto wait = throttle.retry_after(subject, "");
        if (!wait) {
            log::error("auth API: {}", wait.status().message());
            return answer(false, "internal error", false);
        }
        if (*wait > 0) return answer(false, "too many failed broker logins", false);
        if (!accounts::verify_password((*user)->password_hash, password)) {
            if (auto failed = throttle.failed(subject, ""); !failed) log::error("auth API: {}", failed.status().message());
            return answer(false, "wrong password", false);
        }
        if (Status s = throttle.succeeded(subject, ""); !s) log::error("auth API: {}", s.message());
        return answer(true, "", true);
    });
}

Response superuser_check(const Request& request, Deps& deps) {
    if (auto early = guard(request, deps)) return *early;
    auto fields = body_fields(request);
    if (!fields) return deny_malformed(fields.status());
    auto principal = principal_of(deps, std::string(fields->get_or("username")));
    if (!principal) return answer(false, "internal error", false);
    bool super = principal->kind == rules::PrincipalKind::superuser;
    return answer(super, super ? "" : "not a superuser", super);
}

// Opens like user_check: every check of the plugin's is guarded and reads a form.
Response acl_check(const Request& request, Deps& deps) {
    if (auto early = guard(request, deps)) return *early;
    auto fields = body_fields(request);
    if (!fields) return deny_malformed(fields.status());
    std::string username(fields->get_or("username"));
    std::string topic(fields->get_or("topic"));
    if (username.empty() || topic.empty()) return answer(false, "username and topic are required", false);
    std::vector<rules::Action> actions;
    if (auto acc = fields->get("acc")) {
        int value = 0;
        auto [ptr, ec] = std::from_chars(acc->data(), acc->data() + acc->size(), value);
        if (ec != std::errc() || ptr != acc->data() + acc->size() || !rules::action_from_acc(value, actions))
            return answer(false, "acc must be 1 (read), 2 (write) or 4 (subscribe)", false);
    } else if (auto action = fields->get("action")) {
        if (!rules::action_from_name(*action, actions))
            return answer(false, "action must be publish or subscribe", false);
    } else {
        return answer(false, "give acc (1, 2, 4) or action (publish, subscribe)", false);
    }
    auto principal = principal_of(deps, username);
    if (!principal) {
        log::error("auth API: {}", principal.status().message());
        return answer(false, "internal error", false);
    }
    bool super = principal->kind == rules::PrincipalKind::superuser;
    for (rules::Action a : actions)
        if (!rules::allowed(*principal, a, topic)) return answer(false, "not allowed", super);
    return answer(true, "", super);
}

}  // namespace

void add_auth_routes(http::Router& router, Deps& deps) {
    router.add("POST", "/auth/v1/user", [&deps](const Request& r, const http::Params&) { return user_check(r, deps); });
    router.add("POST", "/auth/v1/superuser",
               [&deps](const Request& r, const http::Params&) { return superuser_check(r, deps); });
    router.add("POST", "/auth/v1/acl", [&deps](const Request& r, const http::Params&) { return acl_check(r, deps); });
}

}  // namespace lampi::cloud::api
