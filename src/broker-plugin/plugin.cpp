// The Mosquitto plugin (API v5): a thin adapter from the broker's events to
// ConnectGate, ClientRegistry, Revocations and RuleRefresher. No callback waits
// on the network: CONNECTs are decided locally, the cloud is asked again only by
// the refresher's own thread. Configure it in mosquitto.conf:
//   plugin /path/to/lampi_auth_plugin.so
//   plugin_opt_auth_secret <secret shared with lampi-cloud: signs web credentials>
//   plugin_opt_auth_secret_file /path/to/file  (the same, from an owner-only file's first line)
//   plugin_opt_auth_url https://127.0.0.1:18832/auth/v1/user   (the refresher's; empty: no refresh)
//   plugin_opt_auth_cafile <CA for https>      plugin_opt_timeout_ms 1500
//   plugin_opt_ttl_seconds 30                  (rights of web credentials re-asked this often)
//   plugin_opt_service_logins lampi-cloud:/path/to/password-file[,...]
//   plugin_opt_operator_logins operator:/path/to/password-file[,...]
//   plugin_opt_operator_cns ops,monitor        (certificate CNs with operator rights)
//   plugin_opt_crl_file /path/to/crl.pem       (the lamps' listener's CRL: a lamp revoked there is cut at once)
//   plugin_opt_control_user lampi-cloud        (the service that may publish lampi/control/revoke)
//   plugin_opt_session_expiry_seconds 604800   (= the broker's persistent_client_expiration)
#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "client_registry.h"
#include "connect_gate.h"
#include "crl_watch.h"
#include "lampi/files.h"
#include "lampi/topics.h"
#include "revocations.h"
#include "rule_refresher.h"
#include "source_failures.h"

namespace {

using namespace lampi::broker;

// How long a disconnected clean session keeps its rights: its will (MQTT 5 may
// delay it) is checked after the disconnect.
constexpr auto kCleanLinger = std::chrono::seconds(120);

struct Plugin {
    mosquitto_plugin_id_t* id = nullptr;
    CloudAuthOptions cloud_options;
    std::chrono::seconds ttl{30};
    std::chrono::seconds session_expiry{7 * 24 * 3600};
    std::string control_user = "lampi-cloud";
    GateOptions gate_options;
    std::unique_ptr<ConnectGate> gate;
    ClientRegistry registry;
    Revocations revocations;
    SourceFailures failures;
    std::unique_ptr<RuleRefresher> refresher;
    Clock::time_point next_refresh{};
    Clock::time_point next_purge{};
    std::size_t published_clients = SIZE_MAX;  // the registry size last put on $SYS
    std::unique_ptr<CrlWatch> crl_watch;  // plugin_opt_crl_file: the lamps' listener's CRL
    CrlHandle crl;                        // its latest readable version, checked at every CONNECT
    Clock::time_point next_crl_poll{};
};

// "name:/path,name2:/path2" -> logins of `kind`, passwords read from the files.
bool parse_logins(const std::string& value, IdentityKind kind, std::vector<LocalLogin>& out) {
    std::stringstream list(value);
    for (std::string item; std::getline(list, item, ',');) {
        std::size_t colon = item.find(':');
        if (colon == std::string::npos || colon == 0) return false;
        lampi::Result<std::string> password = lampi::read_secret_file(item.substr(colon + 1));
        if (!password) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "lampi-auth: %s", password.status().message().c_str());
            return false;
        }
        out.push_back({kind, item.substr(0, colon), *password});
    }
    return true;
}

bool parse_options(Plugin& plugin, mosquitto_opt* options, int count) {
    for (int i = 0; i < count; ++i) {
        std::string key = options[i].key ? options[i].key : "";
        std::string value = options[i].value ? options[i].value : "";
        try {
            if (key == "auth_url") {
                plugin.cloud_options.url = value;
            } else if (key == "auth_secret") {
                plugin.cloud_options.secret = value;
                plugin.gate_options.credential_secret = value;
            } else if (key == "auth_secret_file") {
                // Keeps the secret out of mosquitto.conf, which is a conffile others may read.
                lampi::Result<std::string> secret = lampi::read_secret_file(value);
                if (!secret) {
                    mosquitto_log_printf(MOSQ_LOG_ERR, "lampi-auth: plugin_opt_auth_secret_file: %s",
                                         secret.status().message().c_str());
                    return false;
                }
                plugin.cloud_options.secret = *secret;
                plugin.gate_options.credential_secret = *secret;
            } else if (key == "auth_cafile") {
                plugin.cloud_options.ca_file = value;
            } else if (key == "timeout_ms") {
                plugin.cloud_options.timeout = std::chrono::milliseconds(std::stoi(value));
            } else if (key == "ttl_seconds") {
                plugin.ttl = std::chrono::seconds(std::stoi(value));
            } else if (key == "session_expiry_seconds") {
                plugin.session_expiry = std::chrono::seconds(std::stol(value));
            } else if (key == "control_user") {
                plugin.control_user = value;
            } else if (key == "service_logins" || key == "operator_logins") {
                auto kind = key == "service_logins" ? IdentityKind::service : IdentityKind::operator_account;
                if (!parse_logins(value, kind, plugin.gate_options.logins)) {
                    mosquitto_log_printf(MOSQ_LOG_ERR, "lampi-auth: plugin_opt_%s wants name:/password/file[,...]",
                                         key.c_str());
                    return false;
                }
            } else if (key == "crl_file") {
                plugin.crl_watch = std::make_unique<CrlWatch>(value);
            } else if (key == "operator_cns") {
                std::stringstream list(value);
                for (std::string cn; std::getline(list, cn, ',');) {
                    if (!cn.empty()) plugin.gate_options.operator_cns.insert(cn);
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

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct X509Deleter {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
using CertificateHandle = std::unique_ptr<X509, X509Deleter>;

// The client's verified certificate (listeners with require_certificate), or null.
CertificateHandle client_certificate(mosquitto* client) {
    return CertificateHandle(static_cast<X509*>(mosquitto_client_certificate(client)));
}

// The CN of a client's certificate.
std::optional<std::string> certificate_cn(X509* certificate) {
    if (!certificate) return std::nullopt;
    std::optional<std::string> cn;
    X509_NAME* name = X509_get_subject_name(certificate);
    int index = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    if (index >= 0) {
        ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
        std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                         static_cast<std::size_t>(ASN1_STRING_length(data)));
        if (text.find('\0') == std::string::npos) cn = std::move(text);
    }
    // A certificate without a usable CN identifies nobody: an empty CN is refused.
    return cn ? cn : std::optional<std::string>(std::string());
}

int on_basic_auth(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto* event = static_cast<mosquitto_evt_basic_auth*>(event_data);
    ConnectRequest request;
    if (event->username) request.username = event->username;
    if (event->password) request.password = event->password;
    request.client_id = or_empty(mosquitto_client_id(event->client));
    CertificateHandle certificate = client_certificate(event->client);
    request.certificate_cn = certificate_cn(certificate.get());
    request.certificate_revoked = is_revoked(plugin.crl.get(), certificate.get());
    request.now = unix_now();
    request.keepalive = mosquitto_client_keepalive(event->client);
    ConnectDecision decision = plugin.gate->decide(request, plugin.registry, plugin.revocations);
    if (!decision.accepted) {
        plugin.registry.forget(event->client);
        std::string source = or_empty(mosquitto_client_address(event->client));
        std::size_t count = plugin.failures.record(source, Clock::now());
        if (SourceFailures::worth_logging(count)) {
            mosquitto_log_printf(MOSQ_LOG_NOTICE, "lampi-auth: refusing %s (user %s) from %s: %s [%zu refusals from there]",
                                 request.client_id.c_str(), request.username.value_or("").c_str(), source.c_str(),
                                 decision.reason.c_str(), count);
        }
        return MOSQ_ERR_AUTH;
    }
    plugin.registry.grant(event->client, decision.who, decision.credentials, decision.rights, Clock::now(),
                          decision.refreshable && plugin.refresher != nullptr, request.client_id);
    return MOSQ_ERR_SUCCESS;
}

bool in_control_space(std::string_view topic) { return topic.substr(0, kControlPrefix.size()) == kControlPrefix; }

int on_acl_check(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto* event = static_cast<mosquitto_evt_acl_check*>(event_data);
    if (event->access == MOSQ_ACL_UNSUBSCRIBE) return MOSQ_ERR_SUCCESS;
    std::string_view topic = or_empty(event->topic);
    const Identity* who = plugin.registry.identity(event->client);
    if (!who && event->access == MOSQ_ACL_READ) {
        // After a broker restart, a lamp's restored session that has not connected
        // yet still queues its commands (the plugin's memory did not survive).
        const char* username = mosquitto_client_username(event->client);
        auto device = lamp_of_client_id(or_empty(mosquitto_client_id(event->client)));
        if (device && (!username || *device == username)) {
            plugin.registry.adopt_restored_lamp(event->client, *device, Clock::now());
            who = plugin.registry.identity(event->client);
        }
    }
    if (!who) return MOSQ_ERR_ACL_DENIED;
    if (in_control_space(topic)) {
        // Nobody reads the control topics; only the control service writes, one topic.
        bool control = event->access == MOSQ_ACL_WRITE && topic == kRevokeTopic && !event->retain &&
                       who->kind == IdentityKind::service && who->name == plugin.control_user;
        return control ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
    }
    if (event->access == MOSQ_ACL_WRITE && event->retain && !may_retain(*who, topic)) return MOSQ_ERR_ACL_DENIED;
    Action action = event->access == MOSQ_ACL_WRITE  ? Action::write
                    : event->access == MOSQ_ACL_READ ? Action::read
                                                     : Action::subscribe;
    return plugin.registry.allowed(event->client, action, topic) ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
}

// Disconnects every live client a revocation covers.
void enforce(Plugin& plugin) {
    auto covered = plugin.registry.live_clients([&](const Identity& who) { return plugin.revocations.covers(who); });
    for (ClientRegistry::ClientKey key : covered) {
        auto* client = static_cast<mosquitto*>(const_cast<void*>(key));
        const Identity* who = plugin.registry.identity(key);
        bool lamp = who && who->kind == IdentityKind::lamp;
        std::string client_id = or_empty(mosquitto_client_id(client));
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "lampi-auth: revoked; disconnecting %s", client_id.c_str());
        // A lamp's will tells its owner it is offline; a person's session simply ends.
        mosquitto_kick_client_by_clientid(client_id.c_str(), lamp);
        if (!lamp) plugin.registry.forget(key);
    }
}

int on_message(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto* event = static_cast<mosquitto_evt_message*>(event_data);
    std::string_view topic = or_empty(event->topic);
    if (!in_control_space(topic)) return MOSQ_ERR_SUCCESS;
    // The ACL let only the control service publish here; the message is for the plugin alone.
    auto revocation = parse_revocation(
        std::string_view(static_cast<const char*>(event->payload), event->payload ? event->payloadlen : 0));
    if (!revocation) {
        mosquitto_log_printf(MOSQ_LOG_WARNING, "lampi-auth: ignoring a control message: %s",
                             revocation.status().message().c_str());
        return MOSQ_ERR_ACL_DENIED;
    }
    plugin.revocations.apply(*revocation);
    enforce(plugin);
    return MOSQ_ERR_ACL_DENIED;
}

int on_disconnect(int, void* event_data, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto* client = static_cast<mosquitto_evt_disconnect*>(event_data)->client;
    // Kept (not forgotten) until the will is published and while a persistent session lasts.
    plugin.registry.disconnected(client, !mosquitto_client_clean_session(client), Clock::now());
    return MOSQ_ERR_SUCCESS;
}

// A lamp certificate revoked with lampi-ca (a new CRL on disk) ends that lamp's
// live connection now; the CONNECT check refuses that certificate from then on,
// not only after a reload. Only that certificate: the same lamp with a renewed
// one is a lamp in good standing.
void enforce_crl(Plugin& plugin) {
    auto lamps = plugin.registry.live_clients([](const Identity& who) { return who.kind == IdentityKind::lamp; });
    for (ClientRegistry::ClientKey key : lamps) {
        auto* client = static_cast<mosquitto*>(const_cast<void*>(key));
        CertificateHandle certificate = client_certificate(client);
        const Identity* who = plugin.registry.identity(key);
        if (!who || !is_revoked(plugin.crl.get(), certificate.get())) continue;
        std::string client_id = or_empty(mosquitto_client_id(client));
        mosquitto_log_printf(MOSQ_LOG_NOTICE,
                             "lampi-auth: the certificate of lamp %s is revoked (%s); disconnecting %s",
                             who->name.c_str(), plugin.crl_watch->path().c_str(), client_id.c_str());
        // Its will tells its owner it is offline.
        mosquitto_kick_client_by_clientid(client_id.c_str(), true);
    }
}

// Takes a new CRL when the file changed; true when there was one.
bool read_crl(Plugin& plugin) {
    CrlHandle fresh = plugin.crl_watch ? plugin.crl_watch->poll() : nullptr;
    if (!fresh) return false;
    plugin.crl = std::move(fresh);
    return true;
}

// The registry's size as a $SYS figure (retained, as Mosquitto's own are), for
// lampi-cloud's /metrics: the cache an operator watches grow with the clients.
void publish_registry_size(Plugin& plugin) {
    std::size_t size = plugin.registry.size();
    if (size == plugin.published_clients) return;
    const std::string topic(lampi::topics::kAuthPluginClients);
    const std::string payload = std::to_string(size);
    if (mosquitto_broker_publish_copy(nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 0, true,
                                      nullptr) == MOSQ_ERR_SUCCESS) {
        plugin.published_clients = size;
    }
}

int on_tick(int, void*, void* userdata) {
    auto& plugin = *static_cast<Plugin*>(userdata);
    auto now = Clock::now();
    if (plugin.crl_watch && now >= plugin.next_crl_poll) {
        if (read_crl(plugin)) enforce_crl(plugin);
        plugin.next_crl_poll = now + std::chrono::milliseconds(250);
    }
    if (plugin.refresher) {
        for (auto& [username, answer] : plugin.refresher->take_results()) {
            if (plugin.registry.apply_refresh(username, answer, now)) {
                mosquitto_log_printf(MOSQ_LOG_NOTICE, "lampi-auth: rights of %s revoked; disconnecting",
                                     username.c_str());
                mosquitto_kick_client_by_username(username.c_str(), false);
            }
        }
        if (now >= plugin.next_refresh) {
            auto due = plugin.registry.due_for_refresh(now, plugin.ttl);
            if (!due.empty()) plugin.refresher->submit(std::move(due));
            plugin.next_refresh = now + std::max<Clock::duration>(plugin.ttl / 4, std::chrono::seconds(1));
        }
    }
    if (now >= plugin.next_purge) {
        plugin.registry.purge(now, kCleanLinger, plugin.session_expiry);
        plugin.next_purge = now + std::chrono::seconds(10);
        publish_registry_size(plugin);
    }
    return MOSQ_ERR_SUCCESS;
}

struct Registration {
    int event;
    MOSQ_FUNC_generic_callback callback;
};
const Registration kCallbacks[] = {{MOSQ_EVT_BASIC_AUTH, on_basic_auth}, {MOSQ_EVT_ACL_CHECK, on_acl_check},
                                   {MOSQ_EVT_MESSAGE, on_message},       {MOSQ_EVT_DISCONNECT, on_disconnect},
                                   {MOSQ_EVT_TICK, on_tick}};

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
    if (plugin->gate_options.credential_secret.empty()) {
        mosquitto_log_printf(MOSQ_LOG_WARNING, "lampi-auth: no plugin_opt_auth_secret: web credentials are refused");
    }
    plugin->gate = std::make_unique<ConnectGate>(plugin->gate_options);
    // Known before the first CONNECT: after a restart, a certificate revoked while
    // the broker was down is refused even if the listener has no crlfile.
    if (plugin->crl_watch && !read_crl(*plugin)) {
        mosquitto_log_printf(MOSQ_LOG_WARNING, "lampi-auth: no readable CRL in %s yet; it is looked at every 250 ms",
                             plugin->crl_watch->path().c_str());
    }
    if (!plugin->cloud_options.url.empty()) plugin->refresher = std::make_unique<RuleRefresher>(plugin->cloud_options);
    void* data = plugin.get();
    for (const Registration& r : kCallbacks) {
        int rc = mosquitto_callback_register(id, r.event, r.callback, nullptr, data);
        if (rc != MOSQ_ERR_SUCCESS) return rc;
    }
    mosquitto_log_printf(MOSQ_LOG_INFO, "lampi-auth: %zu local logins; web credentials re-checked at %s every %ld s",
                         plugin->gate_options.logins.size(), plugin->cloud_options.url.c_str(),
                         static_cast<long>(plugin->ttl.count()));
    *userdata = plugin.release();
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void* userdata, mosquitto_opt*, int) {
    auto* plugin = static_cast<Plugin*>(userdata);
    if (!plugin) return MOSQ_ERR_SUCCESS;
    for (const Registration& r : kCallbacks) mosquitto_callback_unregister(plugin->id, r.event, r.callback, nullptr);
    delete plugin;
    return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
