// Files lampi-ca writes and reads: private keys (optionally passphrase-protected),
// certificates and CRLs in PEM.
//
// Every write goes through lampi::write_file_atomically (lampi/files.h): a crash
// leaves either the old file or the new one, never half a key, and a private key
// is 0600 from its first byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lampi/status.h"
#include "openssl_handles.h"

namespace lampi::ca {

enum class KeyType { ec_p256, rsa_3072 };

// "ec" (P-256) or "rsa" (3072 bits).
Result<KeyType> parse_key_type(std::string_view text);
std::string_view key_type_name(KeyType type);

// A string that is wiped from memory when it goes away: PEM private keys and
// passphrases live only in these.
class SecretString {
public:
    SecretString() = default;
    explicit SecretString(std::string value) : value_(std::move(value)) {}
    SecretString(const SecretString& other) : value_(other.value_) {}
    SecretString& operator=(const SecretString& other);
    SecretString(SecretString&& other) noexcept;
    SecretString& operator=(SecretString&& other) noexcept;
    ~SecretString();
    const std::string& str() const { return value_; }
    bool empty() const { return value_.empty(); }

private:
    void wipe();
    std::string value_;
};

Result<std::string> read_text_file(const std::string& path);

Result<PkeyPtr> generate_key(KeyType type);

// PKCS#8 PEM; encrypted with AES-256-CBC when a passphrase is given.
Result<SecretString> private_key_pem(EVP_PKEY* key, const std::optional<SecretString>& passphrase = std::nullopt);
// Fails with a message that says whether the key is encrypted and no passphrase
// was given, or the passphrase is wrong. Never prompts on a terminal.
Result<PkeyPtr> load_private_key(const std::string& path, const std::optional<SecretString>& passphrase = std::nullopt);

Result<std::string> certificate_pem(X509* cert);
Result<X509Ptr> load_certificate(const std::string& path);
Result<X509Ptr> parse_certificate_pem(std::string_view pem);
Result<std::string> crl_pem(X509_CRL* crl);
Result<CrlPtr> load_crl(const std::string& path);

}  // namespace lampi::ca
