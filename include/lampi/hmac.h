// Keyed hashes for what LAMPi programs seal with a shared secret (the cloud's
// broker credentials, lampi-load's cluster start commands), and the plain digest
// that tells two copies of a file apart.
#pragma once

#include <string>
#include <string_view>

namespace lampi {

// HMAC-SHA256 of `message` keyed by `key`: 32 raw bytes, or empty when OpenSSL
// fails (a verifier must then refuse: an empty MAC matches nothing). A caller
// prefixes the message with a domain of its own, so one secret never seals two
// kinds of text alike.
std::string hmac_sha256(std::string_view key, std::string_view message);

// SHA-256 of `data` as 64 lowercase hex digits, or empty when OpenSSL fails.
std::string sha256_hex(std::string_view data);

}  // namespace lampi
