// ClientRegistry: who each client is and what it may do, held in memory so every
// ACL check (one per subscribe, publish and delivered message) is answered without
// touching the network.
//
// A client is granted rules once, when it connects. Rules of clients whose
// credential the cloud must vouch for are refreshed in the background every TTL;
// a refresh that the cloud answers with "deny" revokes every client of that
// username. Denials are never cached: a client that was refused is simply not in
// the registry.
//
// A disconnected client is not forgotten at once. Mosquitto reports the
// disconnect before it publishes the client's Last Will and checks that will
// against the ACL, and it queues messages for a disconnected persistent session
// (the lamps' bridges, clean session off) after a read check on that session.
// So a disconnected client keeps its rights for reading and publishing its will:
// a clean session until the next purge, a persistent one for as long as the
// broker keeps the session. A second disconnect of the same handle (Mosquitto
// retires the old session when its client id connects again) forgets it.
//
// Not thread-safe: Mosquitto calls every plugin callback on its one thread, and
// that is the only thread that touches a registry.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity.h"
#include "rules/broker_rules.h"

namespace lampi::broker {

using Clock = std::chrono::steady_clock;
using rules::Action;
using rules::Rule;

// The cloud's answer to "who is this and what may they do".
struct AuthAnswer {
    bool allowed = false;
    bool superuser = false;
    std::vector<Rule> rules;
    std::string error;  // the cloud's reason when not allowed
};

struct Credentials {
    std::string username;
    std::string password;
};

class ClientRegistry {
public:
    // `client` is an opaque handle (Mosquitto's client pointer), stable while the
    // broker holds the client's session.
    using ClientKey = const void*;

    // A client the cloud vouched for; `refreshable` clients are asked about again every TTL.
    void grant(ClientKey client, const Identity& who, const Credentials& credentials, const AuthAnswer& answer,
               Clock::time_point now, bool refreshable = true, std::string client_id = {});
    // A client identified by its certificate; lamps get their rules from the CN,
    // any other CN only if it is listed as an operator.
    void grant_certificate(ClientKey client, const std::string& common_name, bool is_operator);
    void forget(ClientKey client);
    bool known(ClientKey client) const { return clients_.count(client) > 0; }
    const Identity* identity(ClientKey client) const;

    // A lamp's persistent session the broker restored from its persistence file
    // after a restart: the lamp has not connected since, so it was never granted.
    // It may receive (its queued commands) until it connects and is checked anew.
    void adopt_restored_lamp(ClientKey client, const std::string& device_id, Clock::time_point now);
    // The client's connection ended. Returns false when that was its second end
    // (the handle is then forgotten).
    bool disconnected(ClientKey client, bool persistent_session, Clock::time_point now);
    // Forgets disconnected clean sessions older than `clean_linger` and persistent
    // ones older than `session_expiry` (the broker's persistent_client_expiration).
    void purge(Clock::time_point now, Clock::duration clean_linger, Clock::duration session_expiry);

    bool allowed(ClientKey client, Action action, std::string_view topic) const;

    // Live connections of the identity `who` (people count per account when
    // known), not counting one that holds `client_id` (a reconnect replaces it).
    std::size_t live_connections(const Identity& who, std::string_view client_id = {}) const;
    // Live clients matching a predicate on their identity, for revocation.
    template <typename Predicate>
    std::vector<ClientKey> live_clients(Predicate matches) const {
        std::vector<ClientKey> out;
        for (const auto& [client, grant] : clients_) {
            if (grant.online && matches(grant.who)) out.push_back(client);
        }
        return out;
    }

    // Distinct refreshable credentials whose rules are older than `ttl`.
    std::vector<Credentials> due_for_refresh(Clock::time_point now, Clock::duration ttl) const;
    // Applies a refresh of `username`'s rules; returns true when the cloud revoked
    // the username (its clients are forgotten and should be disconnected).
    bool apply_refresh(const std::string& username, const AuthAnswer& answer, Clock::time_point now);

    std::size_t size() const { return clients_.size(); }

private:
    struct Grant {
        Identity who;
        std::string client_id;
        std::string password;  // kept only to refresh; never logged
        bool superuser = false;
        bool refreshable = false;
        std::vector<Rule> rules;
        Clock::time_point fetched;
        bool online = true;
        bool persistent = false;
        Clock::time_point offline_since;
    };
    // Live-connection counts, kept as grants come and go so a CONNECT's cap check
    // costs a lookup, not a scan of every client.
    void went_online(const Grant& g);
    void went_offline(const Grant& g);
    // Erases a grant, keeping the counts.
    std::unordered_map<ClientKey, Grant>::iterator erase(std::unordered_map<ClientKey, Grant>::iterator it);

    std::unordered_map<ClientKey, Grant> clients_;
    std::unordered_map<std::string, std::size_t> live_by_identity_;   // counting key -> live grants
    std::unordered_map<std::string, std::size_t> live_by_client_id_;  // counting key + client id -> live grants
};

}  // namespace lampi::broker
