#include "lamps/cloud_link.h"

#include "lampi/log.h"

namespace lampi::cloud::lamps {
namespace {

const char* const kSubscriptions[] = {"devices/+/lamp/changed", "devices/+/lamp/connection/+/state",
                                      "devices/+/lamp/associated"};

}  // namespace

CloudLink::CloudLink(MqttOptions options) : client_(std::move(options)) {
    client_.on_connect = [this] {
        for (const char* pattern : kSubscriptions)
            if (Status s = client_.subscribe(pattern, 1); !s) log::warn("cannot subscribe to {}: {}", pattern, s.message());
        log::info("connected to the cloud broker at {}", client_.endpoint());
    };
    client_.on_disconnect = [](std::string_view reason) { log::warn("cloud broker connection lost: {}", reason); };
    client_.on_message = [this](const MqttMessage& m) {
        if (service_) service_->handle_message(m.topic, m.payload);
    };
}

CloudLink::~CloudLink() { stop(); }

void CloudLink::attach(LampService& service) { service_ = &service; }

Status CloudLink::start() {
    Status s = client_.start_background();
    started_ = s.is_ok();
    return s;
}

void CloudLink::stop() {
    if (started_) client_.stop_background();
    started_ = false;
}

Status CloudLink::publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
    return client_.publish(topic, payload, qos, retain);
}

}  // namespace lampi::cloud::lamps
