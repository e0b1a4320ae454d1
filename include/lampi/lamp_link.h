// LampLink: a lamp-side program's connection to the lamp's broker (the screen,
// the Bluetooth service), over the shared MqttClient on libmosquitto's network
// thread.
//
// It follows lamp/changed, lamp/associated and the bridge's state, keeps the
// newest of each for the event loop to take(), and calls `wake` (on the network
// thread) when something arrived, so the event loop sleeps until then. With
// `announce` it says "1" on lamp/connection/<client>/state and leaves "0" as its
// Last Will, as every client on the lamp does (DESIGN.md).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/lamp_codec.h"
#include "lampi/mqtt_client.h"

namespace lampi {

struct LinkNews {
    std::optional<LampState> lamp;  // the newest version heard
    std::optional<Association> association;
    std::optional<bool> cloud_online;
    std::optional<bool> connected;
    std::vector<MqttMessage> followed;  // messages on the topics given to follow(), oldest first
    bool empty() const { return !lamp && !association && !cloud_online && !connected && followed.empty(); }
};

class LampLink {
public:
    // `device_id` names the bridge whose state is followed ("": any, as a
    // lamp's broker has one bridge); `client` is the name announced
    // (topics::kScreenClient, topics::kBleClient).
    LampLink(MqttOptions mqtt, const std::string& device_id, std::string_view client, bool announce,
             std::function<void()> wake);
    ~LampLink();

    // Also subscribes to `topic` (exact, no wildcards; call before start()); its
    // messages come in LinkNews::followed.
    void follow(std::string topic);
    Status start();
    // Says "0" (when announcing) and disconnects.
    void stop();
    Status send(const LampUpdate& update);
    // A non-retained message on any lamp topic (QoS 1).
    Status publish(std::string_view topic, std::string_view payload);
    // Everything new since the last call.
    LinkNews take();

    const std::string& bridge_state_topic() const { return bridge_state_; }
    std::string endpoint() const { return client_.endpoint(); }

private:
    void on_connect();
    void on_message(const MqttMessage& message);
    void deliver(const std::function<void(LinkNews&)>& change);

    std::string bridge_state_;
    std::string state_topic_;  // lamp/connection/<client>/state
    std::vector<std::string> followed_;
    bool announce_;
    std::function<void()> wake_;
    MqttClient client_;
    std::mutex mutex_;
    LinkNews news_;
    std::atomic<bool> started_{false};
};

}  // namespace lampi
