#include "client_registry.h"

#include <set>

#include "lampi/device_id.h"

namespace lampi::broker {
namespace {

// The key people's connections are counted under.
std::string counting_key(const Identity& who) {
    if (who.kind == IdentityKind::person && !who.account.empty()) return "account:" + who.account;
    return std::string(to_string(who.kind)) + ":" + who.name;
}

std::string client_id_key(const std::string& identity_key, const std::string& client_id) {
    return identity_key + '\n' + client_id;
}

}  // namespace

void ClientRegistry::went_online(const Grant& g) {
    std::string key = counting_key(g.who);
    ++live_by_identity_[key];
    if (!g.client_id.empty()) ++live_by_client_id_[client_id_key(key, g.client_id)];
}

void ClientRegistry::went_offline(const Grant& g) {
    std::string key = counting_key(g.who);
    if (auto it = live_by_identity_.find(key); it != live_by_identity_.end() && --it->second == 0)
        live_by_identity_.erase(it);
    if (g.client_id.empty()) return;
    if (auto it = live_by_client_id_.find(client_id_key(key, g.client_id));
        it != live_by_client_id_.end() && --it->second == 0)
        live_by_client_id_.erase(it);
}

std::unordered_map<ClientRegistry::ClientKey, ClientRegistry::Grant>::iterator ClientRegistry::erase(
    std::unordered_map<ClientKey, Grant>::iterator it) {
    if (it->second.online) went_offline(it->second);
    return clients_.erase(it);
}

void ClientRegistry::grant(ClientKey client, const Identity& who, const Credentials& credentials,
                           const AuthAnswer& answer, Clock::time_point now, bool refreshable, std::string client_id) {
    if (auto old = clients_.find(client); old != clients_.end()) erase(old);
    Grant& g = clients_[client];
    g.who = who;
    g.client_id = std::move(client_id);
    g.password = refreshable ? credentials.password : std::string();
    g.superuser = answer.superuser;
    g.refreshable = refreshable;
    g.rules = answer.rules;
    g.fetched = now;
    went_online(g);
}

void ClientRegistry::grant_certificate(ClientKey client, const std::string& common_name, bool is_operator) {
    rules::Principal principal;
    principal.id = common_name;
    Identity who{IdentityKind::lamp, common_name, "", 0, ""};
    if (is_operator) {
        principal.kind = rules::PrincipalKind::superuser;
        who.kind = IdentityKind::operator_account;
    } else if (is_valid_device_id(common_name)) {
        principal.kind = rules::PrincipalKind::lamp;
    }
    if (auto old = clients_.find(client); old != clients_.end()) erase(old);
    Grant& g = clients_[client];
    g.who = std::move(who);
    g.superuser = is_operator;
    g.rules = rules::rules_for(principal);
    went_online(g);
}

void ClientRegistry::forget(ClientKey client) {
    if (auto it = clients_.find(client); it != clients_.end()) erase(it);
}

const Identity* ClientRegistry::identity(ClientKey client) const {
    auto it = clients_.find(client);
    return it == clients_.end() ? nullptr : &it->second.who;
}

void ClientRegistry::adopt_restored_lamp(ClientKey client, const std::string& device_id, Clock::time_point now) {
    grant_certificate(client, device_id, false);
    disconnected(client, true, now);
}

bool ClientRegistry::disconnected(ClientKey client, bool persistent_session, Clock::time_point now) {
    auto it = clients_.find(client);
    if (it == clients_.end()) return false;
    if (!it->second.online) {
        erase(it);
        return false;
    }
    went_offline(it->second);
    it->second.online = false;
    it->second.persistent = persistent_session;
    it->second.offline_since = now;
    return true;
}

void ClientRegistry::purge(Clock::time_point now, Clock::duration clean_linger, Clock::duration session_expiry) {
    for (auto it = clients_.begin(); it != clients_.end();) {
        const Grant& g = it->second;
        bool expired = !g.online && now - g.offline_since >= (g.persistent ? session_expiry : clean_linger);
        it = expired ? erase(it) : std::next(it);
    }
}

bool ClientRegistry::allowed(ClientKey client, Action action, std::string_view topic) const {
    auto it = clients_.find(client);
    if (it == clients_.end()) return false;
    // A disconnected client only reads (queued for its session) and publishes its will.
    if (!it->second.online && action == Action::subscribe) return false;
    // Superusers reach everything, $SYS included; rules never do.
    if (it->second.superuser) return true;
    return rules::allowed(it->second.rules, action, topic);
}

std::size_t ClientRegistry::live_connections(const Identity& who, std::string_view client_id) const {
    std::string key = counting_key(who);
    auto it = live_by_identity_.find(key);
    std::size_t count = it == live_by_identity_.end() ? 0 : it->second;
    if (!client_id.empty()) {
        // A reconnect with this id replaces its old connection.
        if (auto same = live_by_client_id_.find(client_id_key(key, std::string(client_id)));
            same != live_by_client_id_.end())
            count -= std::min(count, same->second);
    }
    return count;
}

std::vector<Credentials> ClientRegistry::due_for_refresh(Clock::time_point now, Clock::duration ttl) const {
    std::vector<Credentials> due;
    std::set<std::string> seen;
    for (const auto& [client, grant] : clients_) {
        if (!grant.refreshable || !grant.online || now - grant.fetched < ttl) continue;
        if (seen.insert(grant.who.name).second) due.push_back({grant.who.name, grant.password});
    }
    return due;
}

bool ClientRegistry::apply_refresh(const std::string& username, const AuthAnswer& answer, Clock::time_point now) {
    bool revoked = !answer.allowed;
    for (auto it = clients_.begin(); it != clients_.end();) {
        Grant& g = it->second;
        if (!g.refreshable || g.who.name != username) {
            ++it;
            continue;
        }
        if (revoked) {
            it = erase(it);
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
