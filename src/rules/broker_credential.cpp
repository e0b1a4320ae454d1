#include "rules/broker_credential.h"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include "lampi/base64.h"
#include "lampi/device_id.h"
#include "lampi/hmac.h"
#include "lampi/json_object.h"

namespace json = boost::json;

namespace lampi::rules {
namespace {

constexpr std::string_view kVersion = "v1.";
constexpr std::int64_t kClockSkew = 60;
// Distinguishes these MACs from anything else the shared secret might key.
constexpr std::string_view kDomain = "lampi broker credential\n";

std::string mac(std::string_view signed_part, std::string_view secret) {
    return base64url_encode(hmac_sha256(secret, std::string(kDomain) + std::string(signed_part)));
}

const json::string* string_field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? &v->as_string() : nullptr;
}

bool int_field(const json::object& o, std::string_view key, std::int64_t& out) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_int64()) return false;
    out = v->as_int64();
    return true;
}

Result<BrokerClaims> read_claims(std::string_view text) {
    Result<json::object> parsed = parse_json_object(text, "the credential's claims");
    if (!parsed) return parsed.status();
    const json::object& o = *parsed;
    BrokerClaims claims;
    const json::string* u = string_field(o, "u");
    const json::string* a = string_field(o, "a");
    const json::string* c = string_field(o, "c");
    const json::value* d = o.if_contains("d");
    if (!u || !a || !c || !d || !d->is_array() || !int_field(o, "iat", claims.issued_at) ||
        !int_field(o, "exp", claims.expires_at))
        return Status::error("the credential lacks u, a, c, d, iat or exp");
    claims.username = std::string(*u);
    claims.account = std::string(*a);
    claims.client_id_prefix = std::string(*c);
    for (const json::value& device : d->as_array()) {
        if (!device.is_string() || !is_valid_device_id(device.as_string()))
            return Status::error("the credential lists something that is not a device id");
        claims.devices.emplace_back(device.as_string());
    }
    if (claims.username.rfind(kCredentialUsernamePrefix, 0) != 0 || claims.account.empty() ||
        claims.client_id_prefix.size() < 8)
        return Status::error("the credential's username, account or client-id prefix is malformed");
    return claims;
}

}  // namespace

bool is_signed_credential(std::string_view token) { return token.substr(0, kVersion.size()) == kVersion; }

Result<std::string> sign_broker_credential(const BrokerClaims& claims, std::string_view secret) {
    if (secret.empty()) return Status::error("no secret to sign broker credentials with (--auth-secret-file)");
    json::array devices;
    for (const std::string& device : claims.devices) devices.emplace_back(device);
    json::object o{{"u", claims.username},    {"a", claims.account},     {"c", claims.client_id_prefix},
                   {"d", std::move(devices)}, {"iat", claims.issued_at}, {"exp", claims.expires_at}};
    std::string signed_part = std::string(kVersion) + base64url_encode(json::serialize(o));
    std::string token = signed_part + "." + mac(signed_part, secret);
    if (token.size() > kMaxCredentialBytes) return Status::error("too many lamps for one broker credential");
    return token;
}

Result<BrokerClaims> verify_broker_credential(std::string_view username, std::string_view token,
                                              std::string_view secret, std::int64_t now) {
    if (secret.empty()) return Status::error("no secret to verify broker credentials with");
    if (token.size() > kMaxCredentialBytes) return Status::error("the credential is too large");
    if (!is_signed_credential(token)) return Status::error("not a signed credential");
    std::size_t dot = token.rfind('.');
    if (dot <= kVersion.size()) return Status::error("the credential has no signature");
    std::string_view signed_part = token.substr(0, dot);
    std::string expected = mac(signed_part, secret);
    std::string_view given = token.substr(dot + 1);
    // An empty expected MAC means HMAC failed (lampi/hmac.h): nothing matches it.
    if (expected.empty() || given.size() != expected.size() ||
        CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
        return Status::error("the credential's signature is wrong");
    std::optional<std::string> text = base64url_decode(signed_part.substr(kVersion.size()));
    if (!text) return Status::error("the credential's claims are not base64url");
    auto claims = read_claims(*text);
    if (!claims) return claims.status();
    if (claims->username != username) return Status::error("the credential belongs to another username");
    if (claims->expires_at <= claims->issued_at || claims->expires_at - claims->issued_at > kMaxCredentialSeconds)
        return Status::error("the credential's lifetime is out of range");
    if (now < claims->issued_at - kClockSkew) return Status::error("the credential is not valid yet");
    if (now >= claims->expires_at) return Status::error("the credential has expired");
    return claims;
}

}  // namespace lampi::rules
