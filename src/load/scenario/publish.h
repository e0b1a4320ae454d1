// The publish scenario: N clients each publish a count of messages (or for a
// duration) at a QoS, as fast as the broker confirms them or at a target rate.
//
// The primary latency is publish -> confirmation (written at QoS 0, PUBACK at
// QoS 1, PUBCOMP at QoS 2), which is what mqtt-malaria calls message timing.
// Payloads carry a sequence number and the wall clock (mqtt/payload.h) so a
// `lampi-load subscribe` elsewhere can check loss, order and flight time.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "mqtt/client_options.h"
#include "run/runner.h"

namespace lampi::load {

struct PublishOptions {
    ClientOptions client;
    int clients = 1;                       // concurrent connections (malaria -P)
    std::string client_prefix = "lampi-load";  // client ids are <prefix>-<n> (malaria -D)
    std::uint64_t count = 10;              // per client; 0 with a duration
    double duration_s = 0;                 // publish for this long instead of a count
    int qos = 1;
    std::size_t payload_size = 100;
    std::string topic = "lampi-load/{client}";
    bool retain = false;
    double rate_per_client = 0;            // messages/s per client; 0: unpaced
    double rate_total = 0;                 // messages/s over all clients; wins over per client
    double connect_rate = 0;               // new connections per second; 0: all at once
    int inflight = 20;                     // unconfirmed messages per client before it waits
    double drain_timeout_s = 10;           // wait this long for the last confirmations
    // A ramp (--step-users) starts clients as its LoadTarget asks, up to `clients`;
    // they publish until the run stops, whatever `count` says.
    bool ramped = false;
    // The web UI (--web) steers the run (ramped too): its LoadTarget may ask for
    // more clients than `clients` or fewer (the newest are let go, their messages
    // in flight cut off, not lost), and message_rate() changes -T while it runs.
    bool web = false;
    // A controller's ramp steers the clients (ramped too): this many start, then as
    // many as its steers say (cluster/worker.h); -1: not steered.
    int steered = -1;
};

class PublishScenario : public Scenario {
public:
    explicit PublishScenario(PublishOptions options);

    std::string name() const override { return "publish"; }
    std::string description() const override;
    std::string primary_latency() const override;
    std::size_t connections() const override { return static_cast<std::size_t>(options_.clients); }
    std::unique_ptr<Driver> make_driver(int worker_index, int worker_count) override;
    void finish(const std::vector<Driver*>& drivers, RunReport& report) override;
    LoadTarget* load_target() override { return options_.ramped ? &target_ : nullptr; }
    std::int64_t users_now() const override;
    // Messages in flight now and messages lost with a connection so far.
    std::vector<Figure> live_figures() const override;
    // Messages per second per client (0: as fast as confirmed), read by every
    // worker while a web run goes on.
    std::atomic<double>& message_rate() { return message_rate_; }

private:
    PublishOptions options_;
    LoadTarget target_;
    std::atomic<double> message_rate_;
    std::vector<Driver*> drivers_;
};

}  // namespace lampi::load
