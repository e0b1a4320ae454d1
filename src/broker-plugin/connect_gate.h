// ConnectGate: decides a CONNECT on the broker's thread without any network
// call, in microseconds, from what the plugin holds locally:
//   - a lamp: its TLS certificate (mutual TLS); the username, if sent, must be
//     the CN, and the client id must be lamp-<CN>;
//   - a person: a signed broker credential (auth/broker_credential.h), checked
//     with the secret shared with lampi-cloud;
//   - a service or operator: a local login (name and password given to the
//     plugin by the platform's set-up), compared in constant time.
// Then, for every kind: a keepalive within 1..kMaxKeepalive, not revoked (in-band, or a
// certificate on the latest CRL), the client id in the identity's namespace
// (identity.h), and fewer live connections than the identity's cap (a
// reconnect with the same client id replaces its old connection, so it does not
// count against the cap).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client_registry.h"
#include "identity.h"
#include "revocations.h"

namespace lampi::broker {

struct LocalLogin {
    IdentityKind kind = IdentityKind::service;  // service or operator_account
    std::string username;
    std::string password;
};

struct GateOptions {
    std::string credential_secret;   // signs web credentials (shared with lampi-cloud)
    std::vector<LocalLogin> logins;  // services and operators
    std::set<std::string> operator_cns;  // certificate CNs with operator rights
};

struct ConnectRequest {
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::string client_id;
    std::optional<std::string> certificate_cn;  // set when the client presented a verified certificate
    std::int64_t now = 0;                       // unix seconds
    int keepalive = 30;                         // seconds, as the CONNECT asked
    // That certificate is on the CRL the plugin read last (plugin_opt_crl_file).
    // Per certificate, not per device: a renewed lamp's new certificate still gets in.
    bool certificate_revoked = false;
};

// A client must ask for a keepalive within 1..kMaxKeepalive s, so the broker
// notices a silent one within 1.5 x that (MQTT 3.1.1 has no way to impose one;
// keepalive 0 would let an idle socket stay for ever).
inline constexpr int kMaxKeepalive = 300;

struct ConnectDecision {
    bool accepted = false;
    std::string reason;  // why not, for the log; never echoes a secret
    Identity who;
    AuthAnswer rights;
    bool refreshable = false;  // a web credential: the cloud is asked again every TTL
    Credentials credentials;   // for the refresher
};

class ConnectGate {
public:
    explicit ConnectGate(GateOptions options) : options_(std::move(options)) {}

    ConnectDecision decide(const ConnectRequest& request, const ClientRegistry& registry,
                           const Revocations& revocations) const;

private:
    ConnectDecision identify(const ConnectRequest& request) const;
    GateOptions options_;
};

}  // namespace lampi::broker
