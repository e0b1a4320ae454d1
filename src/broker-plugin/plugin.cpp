// The Mosquitto plugin (API v5): a thin adapter from the broker's events to
// ClientRegistry, CloudAuthClient and RuleRefresher. Configure it in
// mosquitto.conf:
//   plugin /path/to/lampi_auth_plugin.so
//   plugin_opt_auth_url http://127.0.0.1:18832/auth/v1/user
//   plugin_opt_auth_secret <shared secret>      plugin_opt_auth_cafile <CA for https>
//   plugin_opt_timeout_ms 1500                  plugin_opt_ttl_seconds 30
//   plugin_opt_operator_cns ops,monitor         (certificate CNs with operator rights)
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/x509.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "client_registry.h"
#include "cloud_auth_client.h"
#include "rule_refresher.h"

namespace {

using namespace lampi::broker;

struct Plugin {
    mosquitto_plugin_id_t* id = nullptr;
    CloudAuthOptions cloud_options;
    std::chrono::seconds ttl{30};
    std::set<std::string> operator_cns;
    ClientRegistry registry;
    std::unique_ptr<CloudAuthClient> cloud;
    std::unique_ptr<RuleRefresher> refresher;
    Clock::time_point next_refresh{};
};

bool parse_options(Plugin& plugin, mosquitto_opt* options, int count) {
    for (int i = 0; i < count; ++i) {
        std::string key = options[i].key ? options[i].key : "";
        std::string value = options[i].value ? options[i].value : "";
        try {
            if (key == "auth_url") {
                plugin.cloud_options.url = value;
            } else if (key == "auth_secret") {
                plugin.cloud_options.secret = value;
            } else if (key == "auth_cafile") {
                plugin.cloud_options.ca_file = value;
            } else if (key == "timeout_ms") {
                plugin.cloud_options.timeout = std::chrono::milliseconds(std::stoi(value));
            } else if (key == "ttl_seconds") {
                plugin.ttl = std::chrono::seconds(std::stoi(value));
            } else if (key == "operator_cns") {
                std::stringstream list(value);
                for (std::string cn; std::getline(list, cn, ',');) {
                    if (!cn.empty()) plugin.operator_cns.insert(cn);
                }
            } else {
                mosquitto_log_printf(MOSQ_LOG_ERR, "lampi-auth: unknown option plugin_opt_%s", key.c_str());
                return false;
            }
        } catch (const std::exception&) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "lampi-auth: plugin_opt_%s needs a number, not \"%s\"", key.c_str(),
                                 value.c_str());
            return false;
        }
    }
    return true;
}

const char* or_empty(const char* text) { return text ? text : ""; }

int on_basic_auth(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
    if (!event->username) return MOSQ_ERR_AUTH;
    Credentials credentials{event->username, or_empty(event->password)};
    const char* client_id = or_empty(mosquitto_client_id(event->client));
    auto answer = plugin.cloud->check_user(credentials, client_id);
    if (!answer) {
        // Cloud down: refuse newcomers, keep serving the connected clients.
        mosquitto_log_printf(MOSQ_LOG_WARNING, "lampi-auth: refusing %s: %s", client_id,
                             answer.status().message().c_str());
        return MOSQ_ERR_AUTH;
    }
    if (!answer->allowed) {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "lampi-auth: refusing %s (user %s): %s", client_id,
                             credentials.username.c_str(), answer->error.c_str());
        return MOSQ_ERR_AUTH;
    }
    plugin.registry.grant(event->client, credentials, *answer, Clock::now());
    return MOSQ_ERR_SUCCESS;
}

// Certificate clients never pass through basic auth: their identity is the CN,
// which use_identity_as_username made their username.
void grant_certificate_client(Plugin& plugin, mosquitto* client) {
    auto* certificate = static_cast<X509*>(mosquitto_client_certificate(client));
    if (!certificate) return;
    X509_free(certificate);
    std::string cn = or_empty(mosquitto_client_username(client));
    plugin.registry.grant_certificate(client, cn, plugin.operator_cns.count(cn) > 0);
}

int on_acl_check(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
    if (event->access == MOSQ_ACL_UNSUBSCRIBE) return MOSQ_ERR_SUCCESS;
    if (!plugin.registry.known(event->client)) grant_certificate_client(plugin, event->client);
    Action action = event->access == MOSQ_ACL_WRITE  ? Action::write
                    : event->access == MOSQ_ACL_READ ? Action::read
                                                     : Action::subscribe;
    return plugin.registry.allowed(event->client, action, or_empty(event->topic)) ? MOSQ_ERR_SUCCESS
                                                                                  : MOSQ_ERR_ACL_DENIED;
}

int on_disconnect(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    plugin.registry.forget(static_cast<mosquitto_evt_disconnect*>(event_data)->client);
    return MOSQ_ERR_SUCCESS;
}

int on_tick(int, void*, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto now = Clock::now();
    for (auto& [username, answer] : plugin.refresher->take_results()) {
        if (plugin.registry.apply_refresh(username, answer, now)) {
            mosquitto_log_printf(MOSQ_LOG_NOTICE, "lampi-auth: rights of %s revoked; disconnecting", username.c_str());
            mosquitto_kick_client_by_username(username.c_str(), false);
        }
    }
    if (now >= plugin.next_refresh) {
        auto due = plugin.registry.due_for_refresh(now, plugin.ttl);
        if (!due.empty()) plugin.refresher->submit(std::move(due));
        plugin.next_refresh = now + std::max<Clock::duration>(plugin.ttl / 4, std::chrono::seconds(1));
    }
    return MOSQ_ERR_SUCCESS;
}

}  // namespace

extern "C" {

int mosquitto_plugin_version(int count, const int* versions) {
    for (int i = 0; i < count; ++i) {
        if (versions[i] == 5) return 5;
    }
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t* id, void** userdata, mosquitto_opt* options, int count) {
    auto plugin = std::make_unique<Plugin>();
    plugin->id = id;
    if (!parse_options(*plugin, options, count)) return MOSQ_ERR_INVAL;
    plugin->cloud = std::make_unique<CloudAuthClient>(plugin->cloud_options);
    plugin->refresher = std::make_unique<RuleRefresher>(plugin->cloud_options);
    void* data = plugin.get();
    int rc = mosquitto_callback_register(id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr, data);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr, data);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr, data);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(id, MOSQ_EVT_TICK, on_tick, nullptr, data);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
    mosquitto_log_printf(MOSQ_LOG_INFO, "lampi-auth: asking %s, rules refreshed every %ld s",
                         plugin->cloud_options.url.c_str(), static_cast<long>(plugin->ttl.count()));
    *userdata = plugin.release();
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    auto* plugin = static_cast<Plugin*>(userdata);
    if (!plugin) return MOSQ_ERR_SUCCESS;
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr);
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr);
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_DISCONNECT, on_disconnect, nullptr);
    mosquitto_callback_unregister(plugin->id, MOSQ_EVT_TICK, on_tick, nullptr);
    delete plugin;
    return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
