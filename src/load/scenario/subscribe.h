// The subscribe scenario: N clients subscribe to a topic filter and check what
// arrives against the sequence numbers and timestamps that `lampi-load publish`
// puts in each payload (mqtt/payload.h).
//
// Per subscriber and publisher it counts loss (sequence numbers never seen, up to
// the publisher's announced total or the highest seen), duplicates and
// reordering (a number lower than one already seen). The primary latency is
// flight time: the subscriber's wall clock minus the publisher's, which is exact
// on one host and as good as the clock synchronisation between two.
#pragma once

#include <functional>
#include <string>

#include "mqtt/client_options.h"
#include "run/runner.h"

namespace lampi::load {

struct SubscribeOptions {
    ClientOptions client;
    int clients = 1;
    std::string client_prefix = "lampi-load-sub";
    std::string topic = "lampi-load/#";
    int qos = 1;
    double duration_s = 60;           // the longest the run lasts
    std::uint64_t expect = 0;         // stop once every subscriber has this many (0: no)
    double idle_timeout_s = 0;        // stop this long after the last message (0: no)
    double connect_rate = 0;
    // Called (on a worker thread) each time a subscription is acknowledged.
    std::function<void()> on_subscribed;
};

// The Scenario overrides, declared as PublishScenario and FleetScenario declare them.
class SubscribeScenario : public Scenario {
public:
    explicit SubscribeScenario(SubscribeOptions options);

    std::string name() const override { return "subscribe"; }
    std::string description() const override;
    std::string primary_latency() const override { return "flight time, publisher clock -> subscriber clock"; }
    std::size_t connections() const override { return static_cast<std::size_t>(options_.clients); }
    std::unique_ptr<Driver> make_driver(int worker_index, int worker_count) override;
    void finish(const std::vector<Driver*>& drivers, RunReport& report) override;

private:
    SubscribeOptions options_;
};

}  // namespace lampi::load
