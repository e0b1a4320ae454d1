#include "mqtt/tls_context.h"

#include <fmt/core.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace lampi::load {

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out.empty() ? "no detail from OpenSSL" : out;
}

Result<std::shared_ptr<TlsContext>> TlsContext::create(const MqttTls& tls, bool verify_host_name, bool verify_chain,
                                                       TlsSettingNames names) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return Status::error("cannot create a TLS context: " + openssl_errors());
    std::shared_ptr<TlsContext> owned(new TlsContext(ctx, verify_host_name, std::move(names)));
    const TlsSettingNames& said = owned->names();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Writes resume from a moved buffer and may complete partially, as plain send() does.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_verify(ctx, verify_chain ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    int loaded = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                     : SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr);
    if (loaded != 1) {
        return Status::error(
            fmt::format("cannot load the CA certificate '{}' ({}): check that {} names a "
                        "readable PEM file",
                        tls.ca_file, openssl_errors(), said.cafile));
    }
    if (!tls.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
            return Status::error(fmt::format("cannot load the client certificate '{}' ({}): check {}", tls.cert_file,
                                             openssl_errors(), said.cert));
        }
        const std::string& key = tls.key_file.empty() ? tls.cert_file : tls.key_file;
        if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
            return Status::error(fmt::format("cannot use the client key '{}' with '{}' ({}): check {}", key,
                                             tls.cert_file, openssl_errors(), said.key));
        }
    }
    return owned;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace lampi::load
