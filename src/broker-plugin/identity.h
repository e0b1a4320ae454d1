// Identity: who a broker client is, and the namespace that goes with it.
//
// Every client is one of four kinds, and each kind owns its client ids
// (DESIGN.md, "Who may do what"; Mosquitto drops the older of two connections
// with one id, so an id outside one's own namespace is a takeover):
//   lamp      certificate CN = device id        client id exactly "lamp-<id>"
//   person    signed web credential "web-…"      client id "<c>" or "<c>-<anything>", c the
//                                                 credential's signed client-id prefix
//   service   a platform service (lampi-cloud)   client id exactly its username
//   operator  a person with operator rights      client id "<username>", "<username>-<anything>",
//                                                 or "auto-<anything>" (what the broker assigns to a
//                                                 client that sends no id, as mosquitto_sub/pub do
//                                                 without -i; no other kind may use auto-…)
// Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::broker {

enum class IdentityKind { lamp, person, service, operator_account };

struct Identity {
    IdentityKind kind = IdentityKind::person;
    std::string name;          // CN for a lamp, the MQTT username otherwise
    std::string account;       // a person's web account (from a signed credential); "" when unknown
    std::int64_t issued_at = 0;  // unix seconds the credential was issued; 0 when unknown
    std::string client_id_family;  // a person's client ids: this or this-…; "" means `name`
};

std::string_view to_string(IdentityKind kind);

// Empty when `client_id` is in the identity's namespace, otherwise why not.
std::string client_id_refusal(const Identity& who, std::string_view client_id);

// May `who` leave a retained message on `topic`? Only a lamp, on its own state
// topics (lamp/changed, lamp/associated, lamp/connection/<known client>/state),
// and the service that answers onboarding (devices/<id>/lamp/associated).
bool may_retain(const Identity& who, std::string_view topic);

// The client ids that publish lamp/connection/<id>/state on a lamp.
bool is_known_connection_client(std::string_view client_id);

// The device id of a lamp's client id ("lamp-<id>"), or nullopt. Only a lamp's
// certificate may use such an id, so a session with it was made by that lamp.
std::optional<std::string> lamp_of_client_id(std::string_view client_id);

// How many live connections one identity may hold at once (a person counts per
// account when the credential names it, else per credential).
std::size_t connection_cap(IdentityKind kind);

}  // namespace lampi::broker
