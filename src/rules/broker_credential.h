// Signed broker credentials: what the control page presents to the broker, so
// the broker plugin can check it on its own thread in microseconds, with no call
// to the cloud (a junk CONNECT costs one HMAC, never a network round trip).
//
// lampi-cloud issues one per page load: the MQTT username is "web-<random>", the
// password is the token
//   v1.<base64url(claims JSON)>.<base64url(HMAC-SHA256(key, "v1." + claims part))>
// with claims {"u": username, "a": web account, "c": client-id prefix,
// "d": [owned device ids], "iat": issued (unix s), "exp": expiry (unix s)}, keyed by
// the secret the plugin and the cloud already share (plugin_opt_auth_secret,
// --auth-secret-file). A client using it may take only the client id "<c>" or
// "<c>-<anything>".
//
// Contract: verify() never throws and never trusts its input; it answers a
// Status for anything malformed, forged, expired, or too large. Pure functions
// over OpenSSL's HMAC, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"

namespace lampi::rules {

struct BrokerClaims {
    std::string username;              // the MQTT username ("web-…")
    std::string account;               // the web account it was issued to
    std::string client_id_prefix;      // the client ids it may use: this, or this + "-…"
    std::vector<std::string> devices;  // owned device ids at issue time
    std::int64_t issued_at = 0;
    std::int64_t expires_at = 0;
};

// A token larger than this is refused before any work (about 1000 owned lamps).
inline constexpr std::size_t kMaxCredentialBytes = 16 * 1024;
// A token may not claim a longer life than this, whatever its signature says.
inline constexpr std::int64_t kMaxCredentialSeconds = 24 * 3600;
inline constexpr std::string_view kCredentialUsernamePrefix = "web-";

// Empty `secret` is refused: a credential signed with no key proves nothing.
Result<std::string> sign_broker_credential(const BrokerClaims& claims, std::string_view secret);

// Checks the signature, the shape, that `username` is the token's own, and that
// `now` (unix seconds) lies within [iat - 60 s, exp).
Result<BrokerClaims> verify_broker_credential(std::string_view username, std::string_view token,
                                              std::string_view secret, std::int64_t now);

// Does the token look like a signed credential (rather than a stored one)?
bool is_signed_credential(std::string_view token);

}  // namespace lampi::rules
