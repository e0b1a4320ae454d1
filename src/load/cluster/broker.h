// The cluster's broker as a controller or a worker reaches it: its address, TLS
// (the CA the broker's certificate must be signed by, and a client certificate
// for a broker that asks for one) and a login, in lampi::MqttOptions.
//
// The first connection must be accepted: a wrong CA, certificate or password is
// a mistake in the set-up, said at once with what to check, not an outage to
// retry in silence. Later drops are libmosquitto's to reconnect.
#pragma once

#include <chrono>
#include <string>

#include "lampi/mqtt_client.h"
#include "lampi/status.h"

namespace lampi::load::cluster {

// Starts `client` (its options carry the broker, TLS and login) on its network
// thread and waits until the broker accepted the connection, at most `deadline`.
// With TLS the handshake is first tried alone, by lampi-load's own Stream:
// libmosquitto's thread says no more than "A TLS error occurred", where Stream
// says which certificate was refused and why. Fails with a message naming the
// option to check; the client is stopped then.
Status connect_to_cluster(MqttClient& client, std::chrono::milliseconds deadline);

}  // namespace lampi::load::cluster
