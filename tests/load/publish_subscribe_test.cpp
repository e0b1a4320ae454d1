// Publish and subscribe scenarios against a real Mosquitto on loopback, run
// in-process the way main() runs them.
#include <gtest/gtest.h>

#include <future>

#include "mqtt_harness.h"
#include "scenario/publish.h"
#include "scenario/subscribe.h"
#include "short_run.h"

namespace lampi::load {
namespace {

using lampi::testing::TempDir;
using lampi::testing::TestBroker;

ClientOptions loopback(int port) {
    ClientOptions o;
    o.port = port;
    return o;
}

// Starts a subscriber and returns once its subscriptions are acknowledged.
std::future<RunReport> subscribe_in_background(SubscribeOptions options, std::unique_ptr<SubscribeScenario>& holder) {
    auto ready = std::make_shared<std::atomic<int>>(0);
    options.on_subscribed = [ready] { ready->fetch_add(1); };
    int wanted = options.clients;
    holder = std::make_unique<SubscribeScenario>(options);
    auto future = std::async(std::launch::async, [&holder] { return short_run(*holder); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (ready->load() < wanted && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(ready->load(), wanted) << "the subscriber never got its SUBACK";
    return future;
}

class DeliveryAtQos : public ::testing::TestWithParam<int> {};

TEST_P(DeliveryAtQos, EverythingSentArrivesExactlyOnceInOrder) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    const int qos = GetParam();

    SubscribeOptions sub;
    sub.client = loopback(broker.port());
    sub.qos = qos;
    sub.topic = "load-test/#";
    sub.expect = 4 * 250;
    sub.duration_s = 20;
    std::unique_ptr<SubscribeScenario> holder;
    auto subscribed = subscribe_in_background(sub, holder);

    PublishOptions pub;
    pub.client = loopback(broker.port());
    pub.clients = 4;
    pub.count = 250;
    pub.qos = qos;
    pub.topic = "load-test/{client}";
    PublishScenario publish(pub);
    RunReport sent = short_run(publish);
    RunReport received = subscribed.get();

    EXPECT_TRUE(sent.ok()) << sent.failures.front();
    EXPECT_EQ(sent.totals.get(Counter::sent), 1000u);
    EXPECT_EQ(sent.totals.get(Counter::completed), 1000u);
    EXPECT_EQ(sent.totals.latency(Latency::primary).count(), 1000u);
    EXPECT_EQ(received.totals.get(Counter::received), 1000u);
    EXPECT_EQ(received.totals.get(Counter::lost), 0u);
    EXPECT_EQ(received.totals.get(Counter::duplicates), 0u);
    EXPECT_EQ(received.totals.get(Counter::reordered), 0u);
    EXPECT_TRUE(received.ok());
    EXPECT_GT(received.totals.latency(Latency::primary).count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Qos, DeliveryAtQos, ::testing::Values(1, 2));

TEST(Subscribe, ALateQos0SubscriberReportsWhatItMissedAsLost) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");

    // 300 messages over 1.5 s; the subscriber joins about 0.5 s in.
    PublishOptions pub;
    pub.client = loopback(broker.port());
    pub.count = 300;
    pub.rate_per_client = 200;
    pub.qos = 0;
    pub.topic = "late/{client}";
    PublishScenario publish(pub);
    auto published = std::async(std::launch::async, [&] { return short_run(publish); });

    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    SubscribeOptions sub;
    sub.client = loopback(broker.port());
    sub.qos = 0;
    sub.topic = "late/#";
    sub.duration_s = 3;
    sub.idle_timeout_s = 0.5;
    SubscribeScenario subscribe(sub);
    RunReport received = short_run(subscribe);
    ASSERT_TRUE(published.get().ok());

    std::uint64_t got = received.totals.get(Counter::received);
    EXPECT_GT(got, 0u);
    EXPECT_LT(got, 300u);
    EXPECT_EQ(received.totals.get(Counter::lost), 300u - got);
    EXPECT_FALSE(received.ok());
}

// QoS 1 does not save a subscriber that is cut off: while it is away (its
// clean session gone) the publisher goes on, and what it sent meanwhile never
// arrives. The subscriber counts exactly that as lost: lost + received = sent.
TEST(Subscribe, AQos1SubscriberCutOffMidRunReportsWhatItMissedAsLost) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    SubscribeOptions sub;
    sub.client = loopback(broker.port());
    sub.client.reconnect_min_s = 0.5;  // away long enough to miss ~100 messages
    sub.client.reconnect_max_s = 0.5;
    sub.client_prefix = "cut-off";
    sub.qos = 1;
    // A subscriber, then publishers, as in the test above: each test states its whole run.
    sub.topic = "cut/#";
    sub.duration_s = 15;
    sub.idle_timeout_s = 1.5;
    std::unique_ptr<SubscribeScenario> holder;
    auto subscribed = subscribe_in_background(sub, holder);

    PublishOptions pub;
    pub.client = loopback(broker.port());
    pub.count = 600;
    pub.rate_per_client = 200;  // 3 s
    pub.qos = 1;
    pub.topic = "cut/{client}";
    PublishScenario publish(pub);
    auto published = std::async(std::launch::async, [&] { return short_run(publish); });
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    {
        // Another connection with the subscriber's client id: the broker drops the subscriber.
        lampi::testing::MqttProbe takeover(broker.port(), {}, "cut-off-0");
        ASSERT_TRUE(takeover.wait_connected());
    }
    RunReport sent = published.get();
    RunReport received = subscribed.get();
    ASSERT_TRUE(sent.ok()) << sent.failures.front();
    ASSERT_EQ(sent.totals.get(Counter::completed), 600u);

    std::uint64_t got = received.totals.get(Counter::received);
    EXPECT_EQ(received.totals.get(Counter::disconnects), 1u) << "the takeover did not cut the subscriber";
    EXPECT_EQ(received.totals.get(Counter::reconnects), 1u);
    EXPECT_GT(got, 0u);
    EXPECT_LT(got, 600u) << "nothing was lost: the subscriber was not away while the publisher went on";
    EXPECT_GT(received.totals.get(Counter::lost), 0u);
    EXPECT_EQ(received.totals.get(Counter::lost), 600u - got) << "received " << got;
    EXPECT_FALSE(received.ok()) << "a run that lost messages is not OK";
}

TEST(Subscribe, IdleClientsKeepTheirConnectionsWithPings) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    // The broker drops a client silent for 1.5 x keepalive (3 s here); the run lasts 4 s.
    SubscribeOptions sub;
    sub.client = loopback(broker.port());
    sub.client.keepalive_seconds = 2;
    sub.client.reconnect = false;
    sub.clients = 2;
    sub.topic = "nobody/publishes/here";
    sub.duration_s = 4;
    SubscribeScenario subscribe(sub);
    RunReport report = short_run(subscribe);
    EXPECT_TRUE(report.ok()) << (report.failures.empty() ? "" : report.failures.front());
    EXPECT_EQ(report.totals.get(Counter::disconnects), 0u);
    EXPECT_GE(report.duration_s, 3.9);
}

}  // namespace
}  // namespace lampi::load
