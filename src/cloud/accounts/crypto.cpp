#include "accounts/crypto.h"

#include <sodium.h>

namespace lampi::cloud::accounts {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
    std::string out(size * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, size);
    out.pop_back();
    return out;
}

}  // namespace

Status init_crypto() {
    if (sodium_init() < 0) return Status::error("libsodium failed to initialise (no entropy source?)");
    return Status::ok();
}

Result<std::string> hash_password(std::string_view password, const PasswordCost& cost) {
    char out[crypto_pwhash_STRBYTES];
    if (cost.opslimit < crypto_pwhash_OPSLIMIT_MIN || cost.memlimit_bytes < crypto_pwhash_MEMLIMIT_MIN)
        return Status::invalid_argument("argon2id cost below libsodium's minimum (ops >= 1, memory >= 8 KiB)");
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.opslimit, cost.memlimit_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return Status::internal("out of memory while hashing a password; lower --argon2-memory-kib");
    return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(const std::string& hash, const PasswordCost& cost) {
    return crypto_pwhash_str_needs_rehash(hash.c_str(), cost.opslimit, cost.memlimit_bytes) != 0;
}

std::string random_token() {
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    return to_hex(bytes, sizeof bytes);
}

bool looks_like_token(std::string_view v) {
    if (v.size() != 64) return false;
    for (char c : v)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string random_digits(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + randombytes_uniform(10)));
    return out;
}

std::string secret_hash(std::string_view secret) {
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                       nullptr, 0);
    return to_hex(digest, sizeof digest);
}

bool constant_time_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace lampi::cloud::accounts
