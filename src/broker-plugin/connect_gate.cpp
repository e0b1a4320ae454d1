#include "connect_gate.h"

#include <openssl/crypto.h>

#include "lampi/device_id.h"
#include "rules/broker_credential.h"

namespace lampi::broker {
namespace {

ConnectDecision refuse(std::string reason) {
    ConnectDecision d;
    d.reason = std::move(reason);
    return d;
}

bool same_secret(std::string_view given, std::string_view expected) {
    return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

}  // namespace

ConnectDecision ConnectGate::identify(const ConnectRequest& request) const {
    ConnectDecision d;
    if (request.certificate_cn) {
        const std::string& cn = *request.certificate_cn;
        if (request.username && *request.username != cn) return refuse("the username is not the certificate's CN");
        bool is_operator = options_.operator_cns.count(cn) > 0;
        if (!is_operator && !is_valid_device_id(cn)) return refuse("the certificate's CN is not a device id");
        rules::Principal principal{is_operator ? rules::PrincipalKind::superuser : rules::PrincipalKind::lamp, cn, {}};
        d.who = Identity{is_operator ? IdentityKind::operator_account : IdentityKind::lamp, cn, "", 0, ""};
        d.rights = AuthAnswer{true, is_operator, rules::rules_for(principal), ""};
        d.accepted = true;
        return d;
    }
    if (!request.username || request.username->empty()) return refuse("no username");
    const std::string& username = *request.username;
    std::string password = request.password.value_or("");
    if (username.rfind(rules::kCredentialUsernamePrefix, 0) == 0) {
        auto claims = rules::verify_broker_credential(username, password, options_.credential_secret, request.now);
        if (!claims) return refuse(claims.status().message());
        rules::Principal principal{rules::PrincipalKind::person, claims->account, claims->devices};
        d.who = Identity{IdentityKind::person, username, claims->account, claims->issued_at, claims->client_id_prefix};
        d.rights = AuthAnswer{true, false, rules::rules_for(principal), ""};
        d.refreshable = true;
        d.credentials = Credentials{username, password};
        d.accepted = true;
        return d;
    }
    for (const LocalLogin& login : options_.logins) {
        if (login.username != username) continue;
        if (login.password.empty() || !same_secret(password, login.password)) return refuse("wrong password");
        d.who = Identity{login.kind, username, "", 0, ""};
        d.rights = AuthAnswer{true, true, {{rules::RuleAction::all, "#"}}, ""};
        d.accepted = true;
        return d;
    }
    return refuse("unknown broker user");
}

ConnectDecision ConnectGate::decide(const ConnectRequest& request, const ClientRegistry& registry,
                                    const Revocations& revocations) const {
    if (request.keepalive < 1 || request.keepalive > kMaxKeepalive)
        return refuse("keepalive must be 1.." + std::to_string(kMaxKeepalive) + " s");
    ConnectDecision d = identify(request);
    if (!d.accepted) return d;
    if (request.certificate_revoked) return refuse("the certificate is revoked (CRL)");
    if (revocations.covers(d.who)) return refuse("revoked");
    if (std::string why = client_id_refusal(d.who, request.client_id); !why.empty()) return refuse(why);
    std::size_t cap = connection_cap(d.who.kind);
    if (registry.live_connections(d.who, request.client_id) >= cap)
        return refuse("already " + std::to_string(cap) + " connection(s) for this " + std::string(to_string(d.who.kind)));
    return d;
}

}  // namespace lampi::broker
