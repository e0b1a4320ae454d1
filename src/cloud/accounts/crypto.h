// The cryptography lampi-cloud uses, all from libsodium.
//
// Passwords: argon2id in libsodium's self-describing string format, so the cost
// can change later and old hashes keep verifying (needs_rehash tells when to
// upgrade one at the next login). Secrets handed to clients (session keys, CSRF
// tokens, API tokens, broker passwords) are random 32-byte values in hex; only
// their BLAKE2b hash is stored, because they are high-entropy and need no slow hash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi::cloud::accounts {

struct PasswordCost {
    // Defaults: argon2id t=2, m=19 MiB, p=1 (the OWASP minimum for argon2id),
    // a few milliseconds per hash, so logins are not capped by the hash as
    // Django's PBKDF2 (260k rounds, ~70 ms) capped them.
    unsigned long long opslimit = 2;
    std::size_t memlimit_bytes = 19u * 1024u * 1024u;
};

// Initialises libsodium; call once before anything else here. Safe to repeat.
Status init_crypto();

Result<std::string> hash_password(std::string_view password, const PasswordCost& cost);
bool verify_password(const std::string& hash, std::string_view password);
bool needs_rehash(const std::string& hash, const PasswordCost& cost);

// 32 random bytes as 64 hex digits.
std::string random_token();
// Has `v` the shape of random_token's values (64 lowercase hex digits)? Session
// keys, CSRF tokens and API tokens without it are not worth a query.
bool looks_like_token(std::string_view v);
// n random decimal digits (association codes in tests and the CLI).
std::string random_digits(int n);
// BLAKE2b-256 of `secret`, hex: what the database stores for a secret.
std::string secret_hash(std::string_view secret);
// Compares in time independent of where the inputs differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace lampi::cloud::accounts
