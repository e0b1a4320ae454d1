#include "lamp_service.h"

#include "lampi/lamp_codec.h"
#include "lampi/log.h"
#include "lampi/topics.h"

namespace lampi::lampid {
namespace {

constexpr int kRejectionLinesPerSecond = 10;
constexpr int kQos = 1;

}  // namespace

LampService::LampService(MqttClient& mqtt, StateStore& store, LedDriver& led, LampState initial)
    : mqtt_(mqtt), store_(store), led_(led), state_(std::move(initial)) {}

Status LampService::start() {
    Status s = led_.set_duty(duty_for(state_));
    if (s) log::info("LED: {}", led_.describe());
    return s;
}

void LampService::on_connected() {
    if (Status s = mqtt_.subscribe(topics::kSetConfig, kQos); !s) log::error("{}", s.message());
    if (Status s = mqtt_.publish(topics::connection_state(topics::kLampServiceClient), topics::kOnline, kQos, true); !s) {
        log::error("{}", s.message());
    }
    // The broker may have restarted without persistence: make sure it holds our state.
    if (!dirty_) publish_state();
}

void LampService::handle_set_config(std::string_view payload) {
    Result<DecodedUpdate> decoded = decode_set_config(payload);
    if (!decoded) {
        ++stats_.rejected;
        log_rejection(decoded.status().message());
        return;
    }
    for (const std::string& warning : decoded->warnings) log::warn("set_config: {}", warning);
    if (apply_update(state_, decoded->update)) {
        ++stats_.applied;
        dirty_ = true;
    } else {
        ++stats_.ignored;
    }
}

void LampService::flush() {
    if (!dirty_) return;
    if (Status s = store_.save(state_); !s) {
        // Keep the batch pending: it is retried on the next pass and never
        // announced before it is durable.
        log::error("not publishing version {}: {}", state_.version, s.message());
        return;
    }
    dirty_ = false;
    ++stats_.commits;
    if (Status s = led_.set_duty(duty_for(state_)); !s) log::error("LED: {}", s.message());
    publish_state();
}

void LampService::publish_state() {
    if (!mqtt_.connected()) return;  // on_connected() publishes it
    if (Status s = mqtt_.publish(topics::kChanged, encode_changed(state_), kQos, true); !s) {
        log::error("{}", s.message());
    }
}

void LampService::announce_offline() {
    if (!mqtt_.connected()) return;
    mqtt_.publish(topics::connection_state(topics::kLampServiceClient), topics::kOffline, kQos, true);
}

void LampService::log_rejection(std::string_view reason) {
    auto now = std::chrono::steady_clock::now();
    if (now - rejection_window_ >= std::chrono::seconds(1)) {
        if (rejections_suppressed_ > 0) {
            log::warn("set_config: {} more rejected payloads not shown", rejections_suppressed_);
        }
        rejection_window_ = now;
        rejection_lines_ = 0;
        rejections_suppressed_ = 0;
    }
    if (rejection_lines_ < kRejectionLinesPerSecond) {
        ++rejection_lines_;
        log::warn("set_config rejected, state kept at version {}: {}", state_.version, reason);
    } else {
        ++rejections_suppressed_;
    }
}

}  // namespace lampi::lampid
