// ClientOptions: how every simulated MQTT client of one run reaches the broker.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lampi/mqtt_client.h"

namespace lampi::load {

struct ClientOptions {
    std::string host = "127.0.0.1";
    int port = 1883;
    int keepalive_seconds = 60;
    bool clean_session = true;
    std::string username;
    std::string password;
    // CA, and a client certificate and key for mutual TLS. The fleet can give
    // each lamp its own certificate instead (FleetOptions::cert_dir).
    std::optional<MqttTls> tls;
    bool tls_insecure = false;  // skip the host name check (not the chain)
    // Local source addresses, used round-robin; empty: let the kernel choose.
    std::vector<std::string> bind_addresses;
    // A connection the broker drops mid-run is re-established after a backoff
    // that doubles from reconnect_min_s up to reconnect_max_s; a client that
    // cannot get back in for reconnect_give_up_s stops trying. Off: a lost
    // connection is final. Only connections that were up once are retried: a
    // broker that is not there at the start is an error in the setup.
    bool reconnect = true;
    double reconnect_min_s = 0.1;
    double reconnect_max_s = 5;
    double reconnect_give_up_s = 60;
};

}  // namespace lampi::load
