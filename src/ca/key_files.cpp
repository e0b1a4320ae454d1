#include "key_files.h"

#include <fmt/core.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lampi/errno_text.h"

namespace lampi::ca {
namespace {

// The PEM text a memory BIO collected.
std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

// Supplies the passphrase OpenSSL asks for; with none, refuses instead of letting
// OpenSSL fall back to prompting on the terminal.
int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
    const auto* passphrase = static_cast<const SecretString*>(user);
    if (!passphrase) return -1;
    const std::string& text = passphrase->str();
    if (static_cast<int>(text.size()) > size) return -1;
    std::memcpy(buf, text.data(), text.size());
    return static_cast<int>(text.size());
}

}  // namespace

Result<KeyType> parse_key_type(std::string_view text) {
    if (text == "ec" || text == "ec-p256" || text == "p256") return KeyType::ec_p256;
    if (text == "rsa" || text == "rsa-3072") return KeyType::rsa_3072;
    return Status::error(fmt::format("unknown key type '{}': use 'ec' (P-256) or 'rsa' (3072 bits)", text));
}

std::string_view key_type_name(KeyType type) { return type == KeyType::ec_p256 ? "ec" : "rsa"; }

SecretString& SecretString::operator=(const SecretString& other) {
    if (this != &other) {
        wipe();
        value_ = other.value_;
    }
    return *this;
}

SecretString::SecretString(SecretString&& other) noexcept : value_(other.value_) { other.wipe(); }

SecretString& SecretString::operator=(SecretString&& other) noexcept {
    if (this != &other) {
        wipe();
        value_ = other.value_;
        other.wipe();
    }
    return *this;
}

SecretString::~SecretString() { wipe(); }

void SecretString::wipe() {
    if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
    value_.clear();
}

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::error(fmt::format("cannot read {}: {}", path, errno_text()));
    std::stringstream content;
    content << in.rdbuf();
    if (in.bad()) return Status::error(fmt::format("cannot read {}: read error", path));
    return content.str();
}

Result<PkeyPtr> generate_key(KeyType type) {
    PkeyPtr key(type == KeyType::ec_p256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(3072));
    if (!key) return Status::error(openssl_error(fmt::format("cannot generate a {} key", key_type_name(type))));
    return key;
}

Result<SecretString> private_key_pem(EVP_PKEY* key, const std::optional<SecretString>& passphrase) {
    BioPtr bio(BIO_new(BIO_s_secmem()));
    if (!bio) return Status::error(openssl_error("cannot allocate a buffer for a private key"));
    int ok = 0;
    if (passphrase) {
        const std::string& text = passphrase->str();
        ok = PEM_write_bio_PrivateKey(bio.get(), key, EVP_aes_256_cbc(),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()), nullptr, nullptr);
    } else {
        ok = PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    }
    if (!ok) return Status::error(openssl_error("cannot encode a private key"));
    return SecretString(bio_contents(bio.get()));
}

Result<PkeyPtr> load_private_key(const std::string& path, const std::optional<SecretString>& passphrase) {
    Result<std::string> text = read_text_file(path);
    if (!text) return text.status();
    SecretString pem(std::move(text).value());
    bool encrypted = pem.str().find("ENCRYPTED") != std::string::npos;
    if (encrypted && !passphrase) {
        return Status::error(fmt::format("{} is encrypted: give its passphrase with --passphrase-file", path));
    }
    BioPtr bio(BIO_new_mem_buf(pem.str().data(), static_cast<int>(pem.str().size())));
    if (!bio) return Status::error(openssl_error("cannot allocate a buffer for a private key"));
    const SecretString* user = passphrase ? &*passphrase : nullptr;
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, const_cast<SecretString*>(user)));
    if (!key) {
        clear_openssl_errors();
        if (encrypted) return Status::error(fmt::format("wrong passphrase for {}", path));
        return Status::error(fmt::format("{} does not hold a PEM private key", path));
    }
    return key;
}

Result<std::string> certificate_pem(X509* cert) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509(bio.get(), cert)) return Status::error(openssl_error("cannot encode a certificate"));
    return bio_contents(bio.get());
}

Result<X509Ptr> parse_certificate_pem(std::string_view pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return Status::error(openssl_error("cannot allocate a buffer for a certificate"));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return Status::error(openssl_error("not a PEM certificate"));
    return cert;
}

Result<X509Ptr> load_certificate(const std::string& path) {
    Result<std::string> text = read_text_file(path);
    if (!text) return text.status();
    Result<X509Ptr> cert = parse_certificate_pem(*text);
    if (!cert) return Status::error(fmt::format("{}: {}", path, cert.status().message()));
    return cert;
}

Result<std::string> crl_pem(X509_CRL* crl) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509_CRL(bio.get(), crl)) return Status::error(openssl_error("cannot encode a CRL"));
    return bio_contents(bio.get());
}

Result<CrlPtr> load_crl(const std::string& path) {
    Result<std::string> text = read_text_file(path);
    if (!text) return text.status();
    BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
    if (!bio) return Status::error(openssl_error("cannot allocate a buffer for a CRL"));
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!crl) return Status::error(openssl_error(fmt::format("{} does not hold a PEM CRL", path)));
    return crl;
}

}  // namespace lampi::ca
