// ClientRegistry: what each connected client may do, held in memory so every ACL
// check (one per subscribe, publish and delivered message) is answered without
// touching the network.
//
// A client is granted rules once, when it connects: from the cloud's auth API for
// password clients, or computed locally from the certificate CN for lamps. Rules
// of password clients are refreshed in the background every TTL; a refresh that the
// cloud answers with "deny" revokes every client of that username. Denials are never
// cached: a client that was refused is simply not in the registry.
//
// Not thread-safe: Mosquitto calls every plugin callback on its one thread, and
// that is the only thread that touches a registry.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/broker_rules.h"

namespace lampi::broker {

using Clock = std::chrono::steady_clock;
using cloud::auth::Action;
using cloud::auth::Rule;

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
    // `client` is an opaque handle (Mosquitto's client pointer), stable while connected.
    using ClientKey = const void*;

    void grant(ClientKey client, const Credentials& credentials, const AuthAnswer& answer, Clock::time_point now);
    // A client identified by its certificate; lamps get their rules from the CN,
    // any other CN only if it is listed as an operator.
    void grant_certificate(ClientKey client, const std::string& common_name, bool is_operator);
    void forget(ClientKey client);
    bool known(ClientKey client) const { return clients_.count(client) > 0; }

    bool allowed(ClientKey client, Action action, std::string_view topic) const;

    // Distinct password credentials whose rules are older than `ttl`.
    std::vector<Credentials> due_for_refresh(Clock::time_point now, Clock::duration ttl) const;
    // Applies a refresh of `username`'s rules; returns true when the cloud revoked
    // the username (its clients are forgotten and should be disconnected).
    bool apply_refresh(const std::string& username, const AuthAnswer& answer, Clock::time_point now);

    std::size_t size() const { return clients_.size(); }

private:
    struct Grant {
        std::string username;
        std::string password;  // kept only to refresh; never logged
        bool superuser = false;
        bool by_certificate = false;
        std::vector<Rule> rules;
        Clock::time_point fetched;
    };
    std::unordered_map<ClientKey, Grant> clients_;
};

}  // namespace lampi::broker
