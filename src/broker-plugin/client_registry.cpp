#include "client_registry.h"

#include <set>

#include "lampi/device_id.h"

namespace lampi::broker {

void ClientRegistry::grant(ClientKey client, const Credentials& credentials, const AuthAnswer& answer,
                           Clock::time_point now) {
    Grant& g = clients_[client];
    g.username = credentials.username;
    g.password = credentials.password;
    g.superuser = answer.superuser;
    g.by_certificate = false;
    g.rules = answer.rules;
    g.fetched = now;
}

void ClientRegistry::grant_certificate(ClientKey client, const std::string& common_name, bool is_operator) {
    cloud::auth::Principal who;
    who.id = common_name;
    if (is_operator) {
        who.kind = cloud::auth::PrincipalKind::superuser;
    } else if (is_valid_device_id(common_name)) {
        who.kind = cloud::auth::PrincipalKind::lamp;
    }
    Grant& g = clients_[client];
    g.username = common_name;
    g.password.clear();
    g.superuser = is_operator;
    g.by_certificate = true;
    g.rules = cloud::auth::rules_for(who);
}

void ClientRegistry::forget(ClientKey client) { clients_.erase(client); }

bool ClientRegistry::allowed(ClientKey client, Action action, std::string_view topic) const {
    auto it = clients_.find(client);
    if (it == clients_.end()) return false;
    // Superusers reach everything, $SYS included; rules never do.
    if (it->second.superuser) return true;
    return cloud::auth::allowed(it->second.rules, action, topic);
}

std::vector<Credentials> ClientRegistry::due_for_refresh(Clock::time_point now, Clock::duration ttl) const {
    std::vector<Credentials> due;
    std::set<std::string> seen;
    for (const auto& [client, grant] : clients_) {
        if (grant.by_certificate || now - grant.fetched < ttl) continue;
        if (seen.insert(grant.username).second) due.push_back({grant.username, grant.password});
    }
    return due;
}

bool ClientRegistry::apply_refresh(const std::string& username, const AuthAnswer& answer, Clock::time_point now) {
    bool revoked = !answer.allowed;
    for (auto it = clients_.begin(); it != clients_.end();) {
        Grant& g = it->second;
        if (g.by_certificate || g.username != username) {
            ++it;
            continue;
        }
        if (revoked) {
            it = clients_.erase(it);
            continue;
        }
        g.rules = answer.rules;
        g.superuser = answer.superuser;
        g.fetched = now;
        ++it;
    }
    return revoked;
}

}  // namespace lampi::broker
