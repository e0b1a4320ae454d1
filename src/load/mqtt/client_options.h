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
    // CA, and a client certificate and key for mutual TLS. With a per-lamp
    // certificate directory (fleet), {id} in cert/key paths is the device id.
    std::optional<MqttTls> tls;
    bool tls_insecure = false;  // skip the host name check (not the chain)
    // Local source addresses, used round-robin; empty: let the kernel choose.
    std::vector<std::string> bind_addresses;
};

}  // namespace lampi::load
