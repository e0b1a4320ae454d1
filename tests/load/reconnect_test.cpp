// A broker that dies mid-run and comes back: publishers and lamps reconnect with
// backoff, the run keeps its clock and its figures, and the report counts what
// was lost and re-established. Without reconnecting, the run ends with the
// connections, still with partial results.
#include <gtest/gtest.h>

#include <future>

#include "fleet/fleet.h"
#include "mqtt_harness.h"
#include "scenario/publish.h"
#include "short_run.h"

namespace lampi::load {
namespace {

using lampi::testing::TempDir;
using lampi::testing::TestBroker;
using namespace std::chrono_literals;

double figure(const RunReport& report, const std::string& key) {
    for (const Figure& f : report.figures) {
        if (f.key == key) return f.value;
    }
    return -1;
}

// Publishing at 100 msg/s per client: how many confirmations per second of a run.
constexpr int kClients = 3;
constexpr double kRate = 100;

PublishOptions paced_publish(int port, double seconds) {
    PublishOptions pub;
    pub.client.port = port;
    pub.client.reconnect_min_s = 0.05;
    pub.client.reconnect_max_s = 0.4;
    pub.clients = kClients;
    pub.duration_s = seconds;
    pub.rate_per_client = kRate;
    pub.qos = 1;
    return pub;
}

TEST(Reconnect, PublishersComeBackAfterTheBrokerRestarts) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    PublishScenario publish(paced_publish(broker.port(), 6));
    auto running = std::async(std::launch::async, [&] { return short_run(publish); });
    std::this_thread::sleep_for(1s);
    broker.kill9();
    std::this_thread::sleep_for(700ms);
    broker.start();
    RunReport report = running.get();

    const RunTotals& t = report.totals;
    EXPECT_EQ(t.get(Counter::disconnects), static_cast<std::uint64_t>(kClients));
    EXPECT_EQ(t.get(Counter::reconnects), static_cast<std::uint64_t>(kClients));
    EXPECT_GT(t.get(Counter::reconnect_failed), 0u) << "attempts while the broker was down count";
    EXPECT_GT(t.get(Counter::errors), 0u);
    // About 1 s before the kill and 4 s after the restart at 300 msg/s: past what
    // the first second alone could confirm even when the restart is slow (553 in a
    // 4 s run under bench/stress.sh, whose restart left 2 s).
    EXPECT_GT(t.get(Counter::completed), static_cast<std::uint64_t>(kClients * kRate * 2));
    EXPECT_GT(report.duration_s, 5.5) << "the run kept its planned length";
    ASSERT_FALSE(report.ok()) << "lost connections are reported";
    EXPECT_NE(report.failures.back().find("3 established connections were lost during the run (3 reconnected)"),
              std::string::npos)
        << report.failures.back();
}

TEST(Reconnect, WithoutReconnectingTheRunEndsWithItsConnections) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    PublishOptions pub = paced_publish(broker.port(), 5);
    pub.client.reconnect = false;
    PublishScenario publish(pub);
    auto running = std::async(std::launch::async, [&] { return short_run(publish); });
    std::this_thread::sleep_for(700ms);
    broker.kill9();
    RunReport report = running.get();

    EXPECT_FALSE(report.ok());
    EXPECT_GT(report.totals.get(Counter::completed), 0u);
    EXPECT_EQ(report.totals.get(Counter::disconnects), static_cast<std::uint64_t>(kClients));
    EXPECT_EQ(report.totals.get(Counter::reconnects), 0u);
    EXPECT_LT(report.duration_s, 4.0);  // ended when the connections did, not at the planned 5 s
}

// While the broker is down, attempts back off from reconnect_min_s doubling to
// reconnect_max_s (+-25 %): over a 4 s outage with 0.05 s .. 0.4 s that is about
// 0.05, 0.1, 0.2, then one every 0.4 s: some 12 attempts per client. Retrying
// without backoff would make about 80; a backoff that kept doubling past the
// maximum (0.8, 1.6, 3.2 s) about 6.
// Begins like the test above on purpose: the outage is what each test sets apart.
TEST(Reconnect, AttemptsBackOffFromTheMinimumAndStayAtTheMaximum) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    PublishScenario publish(paced_publish(broker.port(), 6));
    auto running = std::async(std::launch::async, [&] { return short_run(publish); });
    std::this_thread::sleep_for(700ms);
    broker.kill9();
    auto down = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(4s);
    broker.start();
    double outage_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - down).count();
    RunReport report = running.get();

    const RunTotals& t = report.totals;
    EXPECT_EQ(t.get(Counter::reconnects), static_cast<std::uint64_t>(kClients));
    double per_client = static_cast<double>(t.get(Counter::reconnect_failed)) / kClients;
    EXPECT_GE(per_client, 8) << "failed attempts per client over a " << outage_s << " s outage: backoff past the maximum?";
    EXPECT_LE(per_client, 18) << "failed attempts per client over a " << outage_s << " s outage: no backoff?";
}

// A client that cannot get back in for reconnect_give_up_s stops trying, says
// so, and the run ends with its connections rather than at its planned length.
TEST(Reconnect, AClientThatStaysOutPastTheGiveUpTimeStopsTrying) {
    TempDir dir;
    TestBroker broker(dir.path(), "broker");
    PublishOptions pub = paced_publish(broker.port(), 10);
    pub.client.reconnect_give_up_s = 1;
    PublishScenario publish(pub);
    auto running = std::async(std::launch::async, [&] { return short_run(publish); });
    std::this_thread::sleep_for(700ms);
    broker.kill9();  // and it never comes back
    RunReport report = running.get();

    const RunTotals& t = report.totals;
    EXPECT_EQ(t.get(Counter::reconnects), 0u);
    EXPECT_GT(t.get(Counter::reconnect_failed), 0u);
    EXPECT_EQ(t.error_reasons.count("gave up reconnecting after 1 s"), 1u) << "errors: " << [&] {
        std::string all;
        for (const auto& [reason, n] : t.error_reasons) all += reason + " (" + std::to_string(n) + "); ";
        return all;
    }();
    EXPECT_LT(report.duration_s, 5.0) << "every client gave up after about 1 s; the run should not wait out its 10 s";
    EXPECT_FALSE(report.ok());
}

TEST(Reconnect, FleetLampsAndCommanderComeBackAndCommandsAreAnsweredAgain) {
    TempDir dir;
    TestBroker broker(dir.path(), "cloud");
    FleetOptions o;
    o.client.port = broker.port();
    o.client.reconnect_min_s = 0.05;
    o.client.reconnect_max_s = 0.4;
    o.lamps = 20;
    o.connect_rate = 500;
    o.commands_per_s = 50;
    o.duration_s = 4;
    o.answer_timeout_s = 1;
    FleetScenario fleet(o);
    auto running = std::async(std::launch::async, [&] { return short_run(fleet); });

    std::this_thread::sleep_for(1200ms);
    broker.kill9();
    std::this_thread::sleep_for(700ms);
    broker.start();
    RunReport report = running.get();

    EXPECT_EQ(report.totals.get(Counter::disconnects), 21u);  // 20 lamps and the commander
    EXPECT_EQ(report.totals.get(Counter::reconnects), 21u);
    double sent = figure(report, "commands_sent");
    double answered = figure(report, "commands_answered");
    EXPECT_GE(sent, 100);
    // Commands in flight when the broker died are unanswered, the rest were answered. In flight
    // is at most one answer timeout of commands (1 s, 50): a loaded machine answers slower, so
    // more are in flight (22 at once under bench/stress.sh).
    EXPECT_GE(answered, sent - o.commands_per_s * o.answer_timeout_s);
    // About 55 commands fit before the kill: more answers means lamps answered after the restart.
    EXPECT_GT(answered, 0.6 * 50 * 4) << "commands were answered after the restart too";
}

}  // namespace
}  // namespace lampi::load
