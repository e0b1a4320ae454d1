#include "lua/mqtt_tls.h"

namespace lampi::load::lua {

Result<std::shared_ptr<TlsContext>> MqttTlsContexts::get(const MqttTlsSettings& settings) {
    Key key{settings.cafile, settings.cert, settings.key, settings.insecure};
    if (auto it = made_.find(key); it != made_.end()) return it->second;
    TlsSettingNames names;
    names.cafile = "user:mqtt's cafile";
    names.skip_name_check = "insecure = true accepts any certificate";
    names.client_certificate = "user:mqtt's cert and key";
    names.cert = "user:mqtt's cert";
    names.key = "user:mqtt's key";
    auto made = TlsContext::create(MqttTls{settings.cafile, settings.cert, settings.key}, !settings.insecure,
                                   !settings.insecure, std::move(names));
    if (!made) return made.status();
    made_.emplace(std::move(key), *made);
    return *made;
}

}  // namespace lampi::load::lua
