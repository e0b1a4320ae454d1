#include "scenario/subscribe.h"

#include <fmt/core.h>

#include <unordered_map>

#include "mqtt/client_driver.h"
#include "mqtt/payload.h"
#include "run/clock.h"
#include "scenario/sequence_tracker.h"

namespace lampi::load {
namespace {

struct Subscriber {
    std::unordered_map<std::string, SequenceTracker> streams;  // by publisher id
    std::uint64_t received = 0;
    std::uint64_t foreign = 0;  // payloads not written by lampi-load publish
};

class SubscribeDriver : public ClientDriver {
public:
    SubscribeDriver(const SubscribeOptions& o, int worker_index, int worker_count)
        : ClientDriver(o.client, o.connect_rate / worker_count), o_(o) {
        for (int i = worker_index; i < o.clients; i += worker_count) {
            add_session(fmt::format("{}-{}", o.client_prefix, i), static_cast<std::size_t>(i));
            subscribers_.emplace_back();
        }
    }

    const std::vector<Subscriber>& subscribers() const { return subscribers_; }

private:
    void connected(Session& session) override {
        if (end_ns_ == 0) end_ns_ = now_ns() + static_cast<std::int64_t>(o_.duration_s * 1e9);
        session.subscribe(o_.topic, o_.qos);
    }

    void on_subscribe(Session&, int, bool granted) override {
        if (!granted) {
            worker_->metrics().error(fmt::format("the broker refused the subscription to '{}': check the ACL for "
                                                 "this user or certificate",
                                                 o_.topic));
        }
        if (o_.on_subscribed) o_.on_subscribed();
    }

    bool wants_reconnect(const Session& session) const override {
        return !finished_early_ && !(o_.expect > 0 && subscribers_[session.index()].received >= o_.expect);
    }

    void on_message(Session& session, const Message& message) override {
        std::int64_t now = now_ns();
        Subscriber& sub = subscribers_[session.index()];
        Metrics& m = worker_->metrics();
        ++sub.received;
        m.add(Counter::received);
        m.activity(now);
        last_message_ns_ = now;
        auto header = decode_payload(message.payload);
        if (!header) {
            ++sub.foreign;
            return;
        }
        m.record(Latency::primary, wall_ns() - header->sent_wall_ns);
        SequenceTracker& t = sub.streams[std::string(header->publisher)];
        std::uint64_t dup = t.duplicates(), reo = t.reordered();
        t.see(header->seq, header->total);
        if (t.duplicates() > dup) m.add(Counter::duplicates);
        if (t.reordered() > reo) m.add(Counter::reordered);
        if (o_.expect > 0 && sub.received == o_.expect) {
            session.disconnect();
        }
    }

    void run_tick(std::int64_t now) override {
        if (stopping_ || finished_early_) return;
        bool idle = o_.idle_timeout_s > 0 && last_message_ns_ > 0 &&
                    now - last_message_ns_ > static_cast<std::int64_t>(o_.idle_timeout_s * 1e9);
        if ((end_ns_ != 0 && now >= end_ns_) || idle) {
            finished_early_ = true;
            disconnect_all();
        }
    }

    const SubscribeOptions& o_;
    std::vector<Subscriber> subscribers_;
    std::int64_t end_ns_ = 0;
    std::int64_t last_message_ns_ = 0;
    bool finished_early_ = false;
};

}  // namespace

SubscribeScenario::SubscribeScenario(SubscribeOptions options) : options_(std::move(options)) {}

std::string SubscribeScenario::description() const {
    return fmt::format("{} clients subscribe to {} at QoS {} on {}:{} (up to {:.0f} s{})", options_.clients,
                       options_.topic, options_.qos, options_.client.host, options_.client.port, options_.duration_s,
                       options_.expect ? fmt::format(", until {} messages each", options_.expect) : "");
}

std::unique_ptr<Driver> SubscribeScenario::make_driver(int worker_index, int worker_count) {
    return std::make_unique<SubscribeDriver>(options_, worker_index, worker_count);
}

void SubscribeScenario::finish(const std::vector<Driver*>& drivers, RunReport& report) {
    std::uint64_t lost = 0, duplicates = 0, reordered = 0, streams = 0, foreign = 0;
    for (Driver* d : drivers) {
        for (const Subscriber& sub : static_cast<SubscribeDriver*>(d)->subscribers()) {
            foreign += sub.foreign;
            for (const auto& [publisher, t] : sub.streams) {
                ++streams;
                lost += t.lost();
                duplicates += t.duplicates();
                reordered += t.reordered();
            }
        }
    }
    report.totals.counters[static_cast<std::size_t>(Counter::lost)] = lost;
    report.clients = options_.clients;
    report.figures.push_back({"streams", "Publisher streams seen", static_cast<double>(streams), ""});
    report.figures.push_back({"lost", "Lost (sequence gaps)", static_cast<double>(lost), "msgs"});
    report.figures.push_back({"duplicates", "Duplicates", static_cast<double>(duplicates), "msgs"});
    report.figures.push_back({"reordered", "Out of order", static_cast<double>(reordered), "msgs"});
    report.figures.push_back({"foreign", "Not from lampi-load (no header)", static_cast<double>(foreign), "msgs"});
    double active = report.totals.active_s;
    std::uint64_t received = report.totals.get(Counter::received);
    report.figures.push_back(
        {"received_per_s", "Received per second", active > 0 ? static_cast<double>(received) / active : 0, "msg/s"});
    if (lost > 0) report.failures.push_back(fmt::format("{} messages lost", lost));
    if (options_.expect > 0 && received < options_.expect * static_cast<std::uint64_t>(options_.clients)) {
        report.failures.push_back(fmt::format("received {} of the {} expected messages", received,
                                              options_.expect * static_cast<std::uint64_t>(options_.clients)));
    }
}

}  // namespace lampi::load
