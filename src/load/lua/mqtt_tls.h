// MqttTlsContexts: the TLS contexts of one worker's Lua MQTT clients
// (`user:mqtt{cafile = ..., insecure = ..., cert = ..., key = ...}`).
//
// A context loads its CA and client certificate from disk, which thousands of
// users connecting must not each repeat: one context per distinct setting is
// made on first use and shared by every client of the worker that asks for the
// same. Contract: used on the worker's thread only, as its Lua state is.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "lampi/status.h"
#include "mqtt/tls_context.h"

namespace lampi::load::lua {

struct MqttTlsSettings {
    std::string cafile;     // "" verifies against the system's CAs
    std::string cert, key;  // a client certificate for mutual TLS ("" none)
    bool insecure = false;  // accept any certificate, as the HTTP side's --insecure
};

class MqttTlsContexts {
public:
    // The context for `settings`; a file that cannot be used is an error that
    // names it and the user:mqtt field to check.
    Result<std::shared_ptr<TlsContext>> get(const MqttTlsSettings& settings);

private:
    using Key = std::tuple<std::string, std::string, std::string, bool>;
    std::map<Key, std::shared_ptr<TlsContext>> made_;
};

}  // namespace lampi::load::lua
