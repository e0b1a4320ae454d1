// flood_latency: lamp -> owner latency through the cloud broker, quiet and under
// a flood of junk CONNECTs (random usernames, TLS, a fixed rate). Issue 8 item 2:
// with the plugin calling the cloud on the broker's thread, these floods took p50
// from 0.8 ms to 2.1 s; the target is p99 < 50 ms. Prints figures; not a test.
//
//   flood_latency --cafile ca.pem --lamp-port P --lamp-cert c.pem --lamp-key k.pem --device ID
//                 --client-port Q --owner-user web-… --owner-password v1.… [--seconds 20] [--junk-per-s 30]
//                 [--phase quiet|flood]
//
// The "lamp" publishes devices/<ID>/lamp/changed (QoS 0) every 20 ms with its
// send time; the "owner" (a person's signed credential, as the page uses)
// receives it. Connections and packets are the adversarial suite's wire helpers
// (tests/adversarial/wire.h: raw MQTT 3.1.1 over OpenSSL, one thread each); what
// the owner receives is read with lampi-load's decoder (src/load/mqtt/codec.h).
// Build: ninja -C build flood_latency (bench/security/CMakeLists.txt).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mqtt/codec.h"
#include "wire.h"

namespace {

using Clock = std::chrono::steady_clock;
using lampi::testing::MqttAttempt;
using lampi::testing::MqttConnect;
using lampi::testing::TlsIdentity;
namespace mqtt = lampi::load::mqtt;

struct Options {
    std::string cafile, lamp_cert, lamp_key, device, owner_user, owner_password;
    int lamp_port = 0, client_port = 0, seconds = 20, junk_per_s = 30;
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// CONNECT over TLS to 127.0.0.1:port; the session is set when the broker accepted.
MqttAttempt connect(const Options& o, int port, const std::string& cert, const std::string& key, const std::string& id,
                    const std::string& user, const std::string& password) {
    MqttConnect connect;
    connect.client_id = id;
    if (!user.empty()) connect.username = user;
    if (!password.empty()) connect.password = password;
    return lampi::testing::mqtt_connect(port, TlsIdentity{o.cafile, cert, key}, connect);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int run(const Options& o, bool flood) {
    const std::string topic = "devices/" + o.device + "/lamp/changed";
    MqttAttempt owner = connect(o, o.client_port, "", "", o.owner_user + "-bench", o.owner_user, o.owner_password);
    std::string observed;
    if (!owner.accepted || lampi::testing::mqtt_subscribe(*owner.session, topic, observed) < 0) {
        std::fprintf(stderr, "the owner could not connect and subscribe: %s %s\n", owner.observed.c_str(),
                     observed.c_str());
        return 1;
    }
    MqttAttempt lamp = connect(o, o.lamp_port, o.lamp_cert, o.lamp_key, "lamp-" + o.device, o.device, "");
    if (!lamp.accepted) {
        std::fprintf(stderr, "the lamp could not connect: %s\n", lamp.observed.c_str());
        return 1;
    }
    std::atomic<bool> stop{false};
    std::vector<double> latencies;
    std::mutex latencies_mutex;
    std::thread receiver([&] {
        std::string buffer, error;
        while (!stop) {
            std::string part = owner.session->receive(std::chrono::milliseconds(200), error);
            if (part.empty() && error != "timed out") break;
            buffer += part;
            for (mqtt::Decoded d = mqtt::decode(buffer); d.status == mqtt::DecodeStatus::ok; d = mqtt::decode(buffer)) {
                if (d.packet.type == mqtt::PacketType::publish) {
                    std::string payload(d.packet.payload);
                    std::size_t at = payload.find("\"sent_ns\":");
                    if (at != std::string::npos) {
                        std::int64_t sent = std::atoll(payload.c_str() + at + 10);
                        std::lock_guard lock(latencies_mutex);
                        latencies.push_back(static_cast<double>(now_ns() - sent) / 1e6);
                    }
                }
                buffer.erase(0, d.size);
            }
        }
    });
    std::atomic<int> junk_sent{0}, junk_refused{0}, junk_slow{0};
    std::vector<double> junk_ms;
    std::mutex junk_mutex;
    std::vector<std::thread> junkers;
    if (flood) {
        // Each junk CONNECT on its own thread: a slow broker answer must not slow the rate.
        junkers.emplace_back([&] {
            std::mt19937_64 random(42);
            auto next = Clock::now();
            std::vector<std::thread> inflight;
            while (!stop) {
                next += std::chrono::microseconds(1'000'000 / std::max(1, o.junk_per_s));
                std::this_thread::sleep_until(next);
                std::string name = "junk" + std::to_string(random() % 100000000);
                inflight.emplace_back([&, name] {
                    auto start = Clock::now();
                    MqttAttempt junk = connect(o, o.client_port, "", "", name, name, "password");
                    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
                    ++junk_sent;
                    if (!junk.accepted && junk.observed.rfind("CONNACK", 0) == 0) ++junk_refused;
                    if (ms > 1000) ++junk_slow;
                    std::lock_guard lock(junk_mutex);
                    junk_ms.push_back(ms);
                });
            }
            for (auto& t : inflight) t.join();
        });
    }
    auto end = Clock::now() + std::chrono::seconds(o.seconds);
    int sent = 0;
    while (Clock::now() < end) {
        std::string payload = R"({"on":true,"client":"bench","sent_ns":)" + std::to_string(now_ns()) + "}";
        std::string error;
        lamp.session->send(lampi::testing::mqtt_publish_packet(topic, payload), error);
        ++sent;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
    for (auto& t : junkers) t.join();
    receiver.join();
    std::lock_guard lock(latencies_mutex);
    std::printf("%-6s lamp->owner: sent %d, received %zu, p50 %.2f ms, p99 %.2f ms, max %.2f ms", flood ? "flood" : "quiet",
                sent, latencies.size(), percentile(latencies, 0.5), percentile(latencies, 0.99),
                percentile(latencies, 1.0));
    if (flood) {
        std::lock_guard junk_lock(junk_mutex);
        std::printf("; junk CONNECTs: %d sent, %d refused (CONNACK 5), connect+refusal p50 %.1f ms, p99 %.1f ms, %d over 1 s",
                    junk_sent.load(), junk_refused.load(), percentile(junk_ms, 0.5), percentile(junk_ms, 0.99),
                    junk_slow.load());
    }
    std::printf("\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    bool flood = false;
    std::map<std::string, std::string*> text{{"--cafile", &o.cafile},         {"--lamp-cert", &o.lamp_cert},
                                             {"--lamp-key", &o.lamp_key},     {"--device", &o.device},
                                             {"--owner-user", &o.owner_user}, {"--owner-password", &o.owner_password}};
    std::map<std::string, int*> numbers{{"--lamp-port", &o.lamp_port}, {"--client-port", &o.client_port},
                                        {"--seconds", &o.seconds}, {"--junk-per-s", &o.junk_per_s}};
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        if (text.count(key)) *text[key] = argv[i + 1];
        else if (numbers.count(key)) *numbers[key] = std::atoi(argv[i + 1]);
        else if (key == "--phase") flood = std::string(argv[i + 1]) == "flood";
        else {
            std::fprintf(stderr, "unknown option %s\n", key.c_str());
            return 2;
        }
    }
    return run(o, flood);
}
