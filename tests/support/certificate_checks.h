// Test helpers: verify a certificate the way a TLS peer would (X509_verify_cert
// against a CA file, optionally with a CRL and CRL checking), and read fields.
#pragma once

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <optional>
#include <string>

#include "key_files.h"
#include "openssl_handles.h"

namespace lampi::testing {

// X509_V_OK, or the verification error (X509_V_ERR_CERT_REVOKED, ...).
// `purpose` is X509_PURPOSE_SSL_CLIENT or X509_PURPOSE_SSL_SERVER (checks the EKU).
inline int verify(const std::string& cert_path, const std::string& ca_path,
                  const std::optional<std::string>& crl_path = std::nullopt, int purpose = X509_PURPOSE_SSL_CLIENT) {
    auto cert = ca::load_certificate(cert_path);
    auto authority = ca::load_certificate(ca_path);
    if (!cert || !authority) return -1;
    ca::StorePtr store(X509_STORE_new());
    if (!store || !X509_STORE_add_cert(store.get(), authority->get())) return -1;
    if (crl_path) {
        auto crl = ca::load_crl(*crl_path);
        if (!crl || !X509_STORE_add_crl(store.get(), crl->get())) return -1;
        X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
    }
    ca::StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || !X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr)) return -1;
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    int ok = X509_verify_cert(ctx.get());
    int error = X509_STORE_CTX_get_error(ctx.get());
    ca::clear_openssl_errors();
    return ok == 1 ? X509_V_OK : error;
}

inline std::string verify_text(int code) {
    return code < 0 ? "could not run the verification" : X509_verify_cert_error_string(code);
}

// The extended key usage flags (XKU_SSL_SERVER, XKU_SSL_CLIENT, ...).
inline uint32_t extended_key_usage(X509* cert) { return X509_get_extended_key_usage(cert); }

}  // namespace lampi::testing
