// Renders Mosquitto configuration files: the cloud broker (TLS listeners, the
// auth plugin, the unix socket lampi-cloud relays browsers' MQTT to) and each lamp's broker with its bridge to the cloud
// (DESIGN.md, "MQTT contract": the bridge maps the lamp's topics under
// devices/<device_id>/).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lampi/bridge_config.h"

namespace lampi::stack {

struct ListenerTls {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::string crl_file;                 // honoured with require_certificate
    bool require_certificate = false;     // mutual TLS
    bool use_identity_as_username = false;  // the certificate CN becomes the username
};

// No `protocol websockets`: Debian 12's Mosquitto 2.0.11 binds such a listener
// to every interface whatever its address (upstream #3045). Browsers reach the
// broker through lampi-cloud's relay on a unix-socket listener instead.
struct Listener {
    int port = 1883;
    std::string bind_address = "127.0.0.1";
    std::optional<ListenerTls> tls;
    // Set: a unix-socket listener at this path (`listener 0 <path>`), in place of
    // port and address. Mosquitto creates it mode 0770; keep it in a directory
    // only its user may enter.
    std::string unix_socket;
};

using lampi::BridgeSettings;
using lampi::BridgeTls;

struct PluginSettings {
    std::string path;
    std::vector<std::pair<std::string, std::string>> options;  // plugin_opt_<key> <value>
};

struct BrokerSettings {
    std::string title;          // first comment line of the file
    // The first listener; more can follow in `extra_listeners`.
    std::string bind_address = "127.0.0.1";
    int port = 1883;
    std::optional<ListenerTls> tls;
    std::vector<Listener> extra_listeners;
    // Persistence keeps retained messages and sessions across restarts. A lamp's
    // broker needs none (lampid re-publishes its state on every connection), and
    // a stale retained "0" from before a restart could race lampid's fresh "1"
    // across the bridge.
    bool persistence = true;
    std::string data_dir;       // persistence location, must exist
    std::string run_as_user;    // Mosquitto drops root privileges to this user
    bool allow_anonymous = true;
    // Logins (Mosquitto's password file, broker_passwords.h). A lamp's broker
    // admits only the lamp's own services: lampid with its password; the bridge
    // is the broker's own connection and needs none.
    std::string password_file;
    std::optional<PluginSettings> plugin;
    // Bounded so a slow subscriber costs memory, not the broker.
    int max_inflight_messages = 100;
    // Per client: what the broker holds for a slow or absent subscriber. For a
    // lamp's bridge (a persistent session) this is the queue of commands kept while
    // the lamp is away: 1000 commands or 1 MiB, whichever comes first (a command
    // is ~150 bytes; a person pressing buttons for minutes stays far below).
    int max_queued_messages = 1000;
    long max_queued_bytes = 1024 * 1024;
    // How long the broker keeps a persistent session (a lamp's bridge) whose
    // client is away, with its queue. Mosquitto's duration syntax.
    std::string persistent_client_expiration = "7d";
    // Sizes. The largest packet of the contract is a CONNECT carrying a signed
    // web credential (at most 16 KiB, auth/broker_credential.h); payloads are lamp
    // states and commands of a few hundred bytes. Anything larger is refused
    // before the broker allocates it.
    int max_packet_size = 32 * 1024;
    int message_size_limit = 4 * 1024;
    // Seconds between persistence snapshots. A kill -9 loses at most this much;
    // a clean stop saves at exit. Short, so a restarted broker serves retained
    // states at most this old until the bridges re-announce (they reconnect
    // within restart_timeout and resend their retained states).
    int autosave_interval = 5;
    std::optional<BridgeSettings> bridge;
};

std::string render_mosquitto_conf(const BrokerSettings& settings);

}  // namespace lampi::stack
