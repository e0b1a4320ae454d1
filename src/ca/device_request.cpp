#include "device_request.h"

#include <fmt/core.h>
#include <openssl/pem.h>

#include <algorithm>

#include "lampi/base64.h"
#include "lampi/device_id.h"

namespace lampi::ca {
namespace {

// A PEM CSR is well under this; anything larger is not one and is not parsed.
constexpr size_t kMaxRequestBytes = 16 * 1024;

Result<X509ReqPtr> parse_request_pem(std::string_view pem) {
    if (pem.size() > kMaxRequestBytes) return Status::error("the certificate request is too large");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return Status::error(openssl_error("cannot allocate a buffer for a certificate request"));
    X509ReqPtr request(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
    if (!request) {
        clear_openssl_errors();
        return Status::error("not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)");
    }
    return request;
}

Result<std::string> only_common_name(const X509_NAME* name) {
    int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0) return Status::error("the certificate request has no common name (CN)");
    if (X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) {
        return Status::error("the certificate request has more than one common name (CN)");
    }
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) {
        clear_openssl_errors();
        return Status::error("the certificate request's common name is not text");
    }
    std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
    return cn;
}

}  // namespace

Status check_subject_key(EVP_PKEY* key) {
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC: {
            char group[64] = {};
            size_t length = 0;
            if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1) {
                clear_openssl_errors();
                return Status::error("the certificate request's EC key has no named curve");
            }
            if (std::string_view(group) != "prime256v1") {
                return Status::error(fmt::format("EC keys must be on P-256 (prime256v1), not {}", group));
            }
            return Status::ok();
        }
        case EVP_PKEY_RSA: {
            int bits = EVP_PKEY_get_bits(key);
            if (bits < 3072) return Status::error(fmt::format("RSA keys must have 3072 bits or more, not {}", bits));
            return Status::ok();
        }
        default: return Status::error("the key must be EC P-256 or RSA (3072 bits or more)");
    }
}

Result<DeviceRequest> read_device_request(std::string_view pem) {
    Result<X509ReqPtr> request = parse_request_pem(pem);
    if (!request) return request.status();
    EVP_PKEY* key = X509_REQ_get0_pubkey(request->get());
    if (!key) {
        clear_openssl_errors();
        return Status::error("the certificate request has no usable public key");
    }
    // Proof of possession: only the holder of the private key can sign the request.
    if (X509_REQ_verify(request->get(), key) != 1) {
        clear_openssl_errors();
        return Status::error("the certificate request's signature does not verify");
    }
    Result<std::string> cn = only_common_name(X509_REQ_get_subject_name(request->get()));
    if (!cn) return cn.status();
    if (!is_valid_device_id(*cn)) {
        return Status::error(fmt::format(
            "the certificate request's common name must be a device id (12 lowercase hex digits), not '{}'",
            cn->size() > 64 ? cn->substr(0, 64) + "..." : *cn));
    }
    if (Status s = check_subject_key(key); !s) return s;
    EVP_PKEY_up_ref(key);
    return DeviceRequest{std::move(cn).value(), PkeyPtr(key)};
}

Result<std::string> make_request_pem(EVP_PKEY* key, const std::string& common_name) {
    X509ReqPtr request(X509_REQ_new());
    NamePtr name(X509_NAME_new());
    if (!request || !name ||
        !X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) ||
        !X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) ||
        !X509_REQ_set_subject_name(request.get(), name.get()) || !X509_REQ_set_pubkey(request.get(), key) ||
        X509_REQ_sign(request.get(), key, EVP_sha256()) <= 0) {
        return Status::error(openssl_error("cannot make a certificate request"));
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509_REQ(bio.get(), request.get())) {
        return Status::error(openssl_error("cannot encode a certificate request"));
    }
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

Result<std::string> sign_renewal(EVP_PKEY* current_key, std::string_view csr_pem) {
    OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
    size_t length = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, current_key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(csr_pem.data()),
                       csr_pem.size()) != 1) {
        return Status::error(openssl_error("cannot sign the renewal request"));
    }
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(csr_pem.data()), csr_pem.size()) != 1) {
        return Status::error(openssl_error("cannot sign the renewal request"));
    }
    signature.resize(length);
    return base64_encode(signature);
}

Status check_renewal_signature(X509* current, std::string_view csr_pem, std::string_view signature_base64) {
    std::optional<std::string> decoded;
    if (!signature_base64.empty() && signature_base64.size() <= 2048) decoded = base64_decode(signature_base64);
    if (!decoded) return Status::error("the renewal signature is not base64 of a signature");
    EVP_PKEY* key = X509_get0_pubkey(current);
    OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
    if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(decoded->data()), decoded->size(),
                         reinterpret_cast<const unsigned char*>(csr_pem.data()), csr_pem.size()) != 1) {
        clear_openssl_errors();
        return Status::error("the renewal is not signed with the current certificate's key");
    }
    return Status::ok();
}

}  // namespace lampi::ca
