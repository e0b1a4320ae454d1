// relay_roundtrip: what lampi-cloud's MQTT-over-WebSocket relay costs. Starts
// the one-machine platform (tests/support/platform.h: real Mosquitto with the
// auth plugin, real lampi-cloud), then times publish -> receive round trips of
// one client publishing QoS 0 to a topic it subscribes to:
//   relay:  WebSocket over TLS to lampi-cloud's /mqtt -> unix socket -> broker
//   direct: MQTT over TLS to the broker's service listener (+3)
// Both with the operator's login and the same blocking client code, one message
// in flight. Prints p50/p99 of each and the ratio relay/direct.
//
//   relay_roundtrip [ROUND_TRIPS (default 2000)] [PAYLOAD_BYTES (default 200)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <vector>

#include "mqtt/codec.h"
#include "platform.h"
#include "stack_plan.h"
#include "wire.h"
#include "ws_client.h"

using namespace lampi::testing;
using Clock = std::chrono::steady_clock;

namespace {

// Splits a byte stream into MQTT packets (lampi-load's decoder): the type and the whole packet.
class Packets {
public:
    explicit Packets(std::function<std::string(std::string&)> read) : read_(std::move(read)) {}
    std::optional<std::pair<int, std::string>> next(std::string& error) {
        for (;;) {
            auto decoded = lampi::load::mqtt::decode(buffer_);
            if (decoded.status == lampi::load::mqtt::DecodeStatus::malformed) {
                error = std::string("a malformed packet: ") + decoded.error;
                return std::nullopt;
            }
            if (decoded.status == lampi::load::mqtt::DecodeStatus::ok) {
                std::pair<int, std::string> out{static_cast<int>(decoded.packet.type), buffer_.substr(0, decoded.size)};
                buffer_.erase(0, decoded.size);
                return out;
            }
            std::string more = read_(error);
            if (more.empty()) return std::nullopt;
            buffer_ += more;
        }
    }
    bool wait_for(int type, std::string& error) {
        for (;;) {
            auto p = next(error);
            if (!p) return false;
            if (p->first == type) return true;
        }
    }

private:
    std::function<std::string(std::string&)> read_;
    std::string buffer_;
};

struct Path {
    std::function<bool(const std::string&, std::string&)> send;
    Packets packets;
};

// Subscribes, then times `n` publish -> receive round trips. Microseconds.
std::vector<double> measure(Path& path, const std::string& topic, int n, std::size_t payload_bytes) {
    std::string error;
    std::vector<double> out;
    if (!path.send(ws_mqtt_subscribe(1, topic, 0), error) || !path.packets.wait_for(9, error)) {
        std::cerr << "subscribe failed: " << error << "\n";
        return out;
    }
    std::string publish = ws_mqtt_publish(topic, std::string(payload_bytes, 'x'), 0, 0);
    for (int i = 0; i < n + n / 10; ++i) {  // the first tenth warms up
        auto start = Clock::now();
        if (!path.send(publish, error) || !path.packets.wait_for(3, error)) {
            std::cerr << "round trip " << i << " failed: " << error << "\n";
            return {};
        }
        if (i >= n / 10) out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    std::sort(out.begin(), out.end());
    return out;
}

double percentile(const std::vector<double>& sorted, double p) {
    return sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))];
}

}  // namespace

int main(int argc, char** argv) {
    int n = argc > 1 ? std::atoi(argv[1]) : 2000;
    std::size_t payload = argc > 2 ? static_cast<std::size_t>(std::atoi(argv[2])) : 200;
    Platform platform;
    if (std::string e = platform.start(0); !e.empty()) {
        std::cerr << "platform: " << e << "\n" << platform.logs();
        return 1;
    }
    const std::string user = platform.login("operator", "username");
    const std::string password = platform.login("operator", "password");
    const int https = platform.port_base + lampi::stack::kHttpsOffset;
    std::string error;

    WsOptions options;
    options.port = https;
    options.ca_file = platform.ca_file();
    options.origin = "https://127.0.0.1:" + std::to_string(https);
    int status = 0;
    auto ws = WsClient::connect(options, error, status);
    if (!ws) {
        std::cerr << "relay: " << error << "\n";
        return 1;
    }
    Path relay{[&](const std::string& bytes, std::string& err) { return ws->send_binary(bytes, err); },
               Packets([&](std::string& err) { return ws->receive(std::chrono::seconds(5), err).value_or(""); })};
    if (!relay.send(ws_mqtt_connect("bench-relay", user, password), error) || !relay.packets.wait_for(2, error)) {
        std::cerr << "relay CONNECT: " << error << "\n";
        return 1;
    }
    MqttConnect login{"bench-direct", user, password};
    MqttAttempt direct_login = mqtt_connect(platform.client_mqtt_port(), TlsIdentity{platform.ca_file(), "", ""}, login);
    if (!direct_login.accepted) {
        std::cerr << "direct CONNECT: " << direct_login.observed << "\n";
        return 1;
    }
    WireConnection& wire = *direct_login.session;
    Path direct{[&](const std::string& bytes, std::string& err) { return wire.send(bytes, err); },
                Packets([&](std::string& err) { return wire.receive(std::chrono::seconds(5), err); })};

    // Alternate so both paths see the same machine load.
    std::vector<double> through_relay, to_broker;
    for (int round = 0; round < 2; ++round) {
        auto r = measure(relay, "bench/relay/" + std::to_string(round), n / 2, payload);
        auto d = measure(direct, "bench/direct/" + std::to_string(round), n / 2, payload);
        if (r.empty() || d.empty()) return 1;
        through_relay.insert(through_relay.end(), r.begin(), r.end());
        to_broker.insert(to_broker.end(), d.begin(), d.end());
    }
    std::sort(through_relay.begin(), through_relay.end());
    std::sort(to_broker.begin(), to_broker.end());
    std::printf("publish -> receive round trips, QoS 0, %zu-byte payload, %zu each (loopback, TLS on both paths)\n",
                payload, through_relay.size());
    std::printf("%-44s %10s %10s\n", "path", "p50 us", "p99 us");
    std::printf("%-44s %10.0f %10.0f\n", "relay (wss /mqtt -> lampi-cloud -> unix socket)", percentile(through_relay, 0.5),
                percentile(through_relay, 0.99));
    std::printf("%-44s %10.0f %10.0f\n", "direct (mqtts to the broker's +3 listener)", percentile(to_broker, 0.5),
                percentile(to_broker, 0.99));
    std::printf("%-44s %10.2f %10.2f\n", "ratio relay / direct", percentile(through_relay, 0.5) / percentile(to_broker, 0.5),
                percentile(through_relay, 0.99) / percentile(to_broker, 0.99));
    ws->close();
    platform.stop();
    return 0;
}
