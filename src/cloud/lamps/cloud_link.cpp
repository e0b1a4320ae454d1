#include "lamps/cloud_link.h"

#include <fmt/core.h>

#include "lampi/log.h"
#include "lampi/topics.h"

namespace lampi::cloud::lamps {
namespace {

// Every lamp's topics that LampService handles.
constexpr std::string_view kLampTopics[] = {topics::kChanged, topics::kConnectionStatePattern, topics::kAssociated,
                                            topics::kHealth};

// A healthy broker acknowledges in about a millisecond; a frozen or overloaded
// one gets this long before the caller is told the lamp cannot be reached.
constexpr std::chrono::milliseconds kConfirmDeadline{2'000};

MqttOptions with_backoff(MqttOptions options) {
    // Retry fast after a blip, and at least every 5 s during a long outage, so a
    // restarted broker is found again within seconds.
    options.reconnect_min = std::chrono::milliseconds(100);
    options.reconnect_max = std::chrono::milliseconds(5'000);
    return options;
}

}  // namespace

CloudLink::CloudLink(MqttOptions options) : client_(with_backoff(std::move(options))) {
    client_.on_connect = [this] {
        for (std::string_view local : kLampTopics) {
            std::string pattern = topics::cloud("+", local);
            if (Status s = client_.subscribe(pattern, 1); !s)
                log::warn("cannot subscribe to {}: {}", pattern, s.message());
        }
        if (broker_figures_) {
            const std::string sys(metrics::BrokerSysFigures::kSubscription);
            if (Status s = client_.subscribe(sys, 0); !s) log::warn("cannot subscribe to {}: {}", sys, s.message());
        }
        {
            std::lock_guard lock(mutex_);
            changed_at_ = std::chrono::steady_clock::now();
            down_reason_.clear();
        }
        log::info("connected to the cloud broker at {}", client_.endpoint());
    };
    client_.on_disconnect = [this](std::string_view reason) {
        set_down(std::string(reason));
        log::warn("cloud broker connection lost: {}; reconnecting", reason);
    };
    client_.on_message = [this](const MqttMessage& m) {
        if (broker_figures_ && m.topic.rfind("$SYS/", 0) == 0) {
            broker_figures_->observe(m.topic, m.payload);
        } else if (service_) {
            service_->handle_message(m.topic, m.payload);
        }
    };
}

CloudLink::~CloudLink() { stop(); }

void CloudLink::attach(LampService& service) { service_ = &service; }

void CloudLink::follow_broker_figures(std::shared_ptr<metrics::BrokerSysFigures> figures) {
    broker_figures_ = std::move(figures);
}

Status CloudLink::start() {
    if (thread_.joinable()) return Status::ok();
    stop_ = false;
    thread_ = std::thread([this] { client_.run(stop_); });
    return Status::ok();
}

void CloudLink::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void CloudLink::set_down(std::string reason) {
    std::lock_guard lock(mutex_);
    changed_at_ = std::chrono::steady_clock::now();
    down_reason_ = reason.empty() ? "connection lost" : std::move(reason);
}

LinkStatus CloudLink::status() const {
    LinkStatus s;
    s.connected = client_.connected();
    std::lock_guard lock(mutex_);
    s.seconds_in_state = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - changed_at_)
                             .count();
    if (!s.connected) s.reason = down_reason_.empty() ? "connection lost" : down_reason_;
    return s;
}

Status CloudLink::publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
    if (!client_.connected()) {
        LinkStatus s = status();
        return Status::unavailable(
            fmt::format("no connection to the cloud broker for {} s ({})", s.seconds_in_state, s.reason));
    }
    // The link's own thread (handling a lamp's message) cannot wait for the ack
    // it would itself have to receive; nobody is told "sent" there anyway.
    if (qos == 0 || std::this_thread::get_id() == thread_.get_id()) return client_.publish(topic, payload, qos, retain);
    return client_.publish_confirmed(topic, payload, qos, retain, kConfirmDeadline);
}

}  // namespace lampi::cloud::lamps
