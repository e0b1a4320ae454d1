// The fleet scenario: N simulated lamps on the cloud broker, each behaving as a
// bridged lamp does there (DESIGN.md, "MQTT contract"):
//
//   - client id lamp-<device id>, the bridge's remote_clientid;
//   - Last Will "0" (retained) on devices/<id>/lamp/connection/bridge/state, and
//     "1" published there once connected, as a bridge's notifications do;
//   - devices/<id>/lamp/connection/lamp_service/state "1" and the full state on
//     devices/<id>/lamp/changed, both retained, QoS 1;
//   - subscribed to devices/<id>/lamp/set_config, answering each command that
//     changes a setting with the new state on changed (via lampi's lamp codec, so
//     clamping and "version" behave as lampid's do).
//
// With a command rate, one commander client sends set_config to random connected
// lamps, naming itself "lampi-load-cmd-<n>" in "client", and times each command
// until the lamp's changed carrying that client arrives (the primary latency).
// Lamps connect on a ramp; commands start once every lamp has had its chance.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/client_options.h"
#include "run/runner.h"

namespace lampi::load {

struct FleetOptions {
    ClientOptions client;
    int lamps = 10;
    std::uint64_t first_device_id = 0xf1ee70000000;  // device ids count up from here
    double connect_rate = 500;        // lamps connecting per second
    double commands_per_s = 0;        // 0: lamps only
    double duration_s = 30;           // after the ramp
    double answer_timeout_s = 10;     // a command unanswered this long counts as lost
    // Per-lamp client certificates: <dir>/<device id>.crt (or .pem, as lampi-ca
    // issues them) and <dir>/<device id>.key; the CA comes from client.tls.
    std::string cert_dir;
};

// Lamps are ready once subscribed; the commander only picks ready ones.
struct FleetShared {
    explicit FleetShared(std::size_t lamps) : ready(lamps) {}
    std::vector<std::atomic<bool>> ready;
    std::atomic<std::size_t> settled{0};  // lamps connected or given up on
};

class FleetScenario : public Scenario {
public:
    explicit FleetScenario(FleetOptions options);

    std::string name() const override { return "fleet"; }
    std::string description() const override;
    std::string primary_latency() const override { return "set_config -> changed"; }
    std::size_t connections() const override;
    std::unique_ptr<Driver> make_driver(int worker_index, int worker_count) override;
    void finish(const std::vector<Driver*>& drivers, RunReport& report) override;

    static std::string device_id(std::uint64_t first, int index);

private:
    FleetOptions options_;
    std::shared_ptr<FleetShared> shared_;
    // When the commands stop, monotonic ns; 0 until every lamp has settled.
    std::shared_ptr<std::atomic<std::int64_t>> end_ns_;
};

}  // namespace lampi::load
