#include "lampi/lamp_link.h"

#include "lampi/log.h"
#include "lampi/topics.h"

namespace lampi {
namespace {

constexpr int kQos = 1;
constexpr auto kGoodbyeDeadline = std::chrono::seconds(2);

MqttOptions with_will(MqttOptions mqtt, const std::string& state_topic, bool announce) {
    if (announce) mqtt.will = MqttWill{state_topic, std::string(topics::kOffline), kQos, true};
    return mqtt;
}

}  // namespace

LampLink::LampLink(MqttOptions mqtt, const std::string& device_id, std::string_view client, bool announce,
                   std::function<void()> wake)
    : bridge_state_(
          topics::cloud(device_id.empty() ? "+" : device_id, topics::connection_state(topics::kBridgeClient))),
      state_topic_(topics::connection_state(client)),
      announce_(announce),
      wake_(std::move(wake)),
      client_(with_will(std::move(mqtt), state_topic_, announce)) {
    client_.on_connect = [this] { on_connect(); };
    client_.on_disconnect = [this](std::string_view reason) {
        if (started_) log::warn("lost the lamp's broker: {}", reason);
        deliver([](LinkNews& news) { news.connected = false; });
    };
    client_.on_message = [this](const MqttMessage& message) { on_message(message); };
}

LampLink::~LampLink() { stop(); }

void LampLink::follow(std::string topic) { followed_.push_back(std::move(topic)); }

Status LampLink::start() {
    if (Status s = client_.start_background(); !s) return s;
    started_ = true;
    return Status::ok();
}

void LampLink::stop() {
    if (!started_) return;
    started_ = false;
    if (announce_ && client_.connected()) {
        Status s = client_.publish_confirmed(state_topic_, topics::kOffline, kQos, true, kGoodbyeDeadline);
        if (!s) log::warn("could not say goodbye: {}", s.message());
    }
    client_.stop_background();
}

Status LampLink::send(const LampUpdate& update) {
    return client_.publish(topics::kSetConfig, encode_set_config(update), kQos, false);
}

Status LampLink::publish(std::string_view topic, std::string_view payload) {
    return client_.publish(topic, payload, kQos, false);
}

LinkNews LampLink::take() {
    std::lock_guard lock(mutex_);
    return std::exchange(news_, LinkNews{});
}

void LampLink::on_connect() {
    if (announce_) {
        Status s = client_.publish(state_topic_, topics::kOnline, kQos, true);
        if (!s) log::error("{}", s.message());
    }
    // lamp/changed last: the broker hands out retained messages in the order of
    // the subscriptions, so once the first state is in, the association and the
    // bridge's state (when retained) are in too. --screenshot relies on it.
    for (std::string_view topic :
         {std::string_view(topics::kAssociated), std::string_view(bridge_state_), std::string_view(topics::kChanged)}) {
        if (Status s = client_.subscribe(topic, kQos); !s) log::error("{}", s.message());
    }
    for (const std::string& topic : followed_)
        if (Status s = client_.subscribe(topic, kQos); !s) log::error("{}", s.message());
    deliver([](LinkNews& news) { news.connected = true; });
}

void LampLink::on_message(const MqttMessage& message) {
    for (const std::string& topic : followed_) {
        if (topic == message.topic) {
            deliver([&](LinkNews& news) { news.followed.push_back(message); });
            return;
        }
    }
    if (message.topic == topics::kChanged) {
        Result<LampState> state = decode_changed(message.payload);
        if (!state) {
            log::warn("ignored lamp/changed: {}", state.status().message());
            return;
        }
        deliver([&](LinkNews& news) {
            if (!news.lamp || state->version > news.lamp->version) news.lamp = *state;
        });
    } else if (message.topic == topics::kAssociated) {
        Result<Association> association = decode_association(message.payload);
        if (!association) {
            log::warn("ignored lamp/associated: {}", association.status().message());
            return;
        }
        deliver([&](LinkNews& news) { news.association = *association; });
    } else if (topics::parse_connection_state(
                   topics::parse_lamp_topic(message.topic).value_or(topics::LampTopic{}).local) ==
               topics::kBridgeClient) {
        const bool online = message.payload == topics::kOnline;
        deliver([&](LinkNews& news) { news.cloud_online = online; });
    }
}

void LampLink::deliver(const std::function<void(LinkNews&)>& change) {
    {
        std::lock_guard lock(mutex_);
        change(news_);
    }
    wake_();
}

}  // namespace lampi
