// TlsContext: the OpenSSL client context every TLS session of one worker shares.
//
// It holds the CA to verify the broker with and, when one client certificate
// serves every connection, that certificate and key. Per-connection
// certificates (a fleet of lamps, each with its own) are loaded onto the
// connection instead (see Stream). Created once per worker before any
// connection, then only read, so its SSL_CTX may be shared by connections.
#pragma once

#include <memory>
#include <string>

#include "lampi/mqtt_client.h"
#include "lampi/status.h"

struct ssl_ctx_st;

namespace lampi::load {

// How the user names the TLS settings, so an error says what to change: the
// command line's flags by default, a Lua scenario's user:mqtt{...} fields there.
struct TlsSettingNames {
    std::string cafile = "--cafile";
    std::string skip_name_check = "--insecure skips the name check";
    std::string client_certificate = "--cert/--key (or --cert-dir)";
    std::string cert = "--cert";
    std::string key = "--key";
};

class TlsContext {
public:
    // Fails with a message naming the file that could not be used and why.
    // verify_chain false accepts any certificate (an HTTP load test's --insecure).
    static Result<std::shared_ptr<TlsContext>> create(const MqttTls& tls, bool verify_host_name,
                                                      bool verify_chain = true, TlsSettingNames names = {});
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    ssl_ctx_st* native() const { return ctx_; }
    bool verify_host_name() const { return verify_host_name_; }
    const TlsSettingNames& names() const { return names_; }

private:
    TlsContext(ssl_ctx_st* ctx, bool verify_host_name, TlsSettingNames names)
        : ctx_(ctx), verify_host_name_(verify_host_name), names_(std::move(names)) {}
    ssl_ctx_st* ctx_;
    bool verify_host_name_;
    TlsSettingNames names_;
};

// The most recent OpenSSL errors of this thread as one line (and clears them).
std::string openssl_errors();

}  // namespace lampi::load
