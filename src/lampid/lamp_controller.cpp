#include "lamp_controller.h"

#include <algorithm>

#include "lampi/log.h"
#include "lampi/topics.h"

namespace lampi::lampid {

LampController::LampController(Publisher& broker, StateSink& store, LedDriver& led, Clock clock, LampState initial,
                               bool initial_unsaved)
    : broker_(broker), store_(store), led_(led), clock_(std::move(clock)), state_(std::move(initial)),
      dirty_(initial_unsaved) {
    if (!initial_unsaved) saved_ = state_;
}

Status LampController::start() {
    // The first flush saves the restored state again: it proves the storage
    // still takes writes, and lamp/health reports it at once when not.
    dirty_ = true;
    drive_led();
    if (!health_.led) return Status::error(led_error_);
    log::info("LED: {}", led_.describe());
    return Status::ok();
}

void LampController::on_connected() {
    if (Status s = broker_.subscribe(topics::kSetConfig, kLampQos); !s) log::error("{}", s.message());
    announce();
}

void LampController::announce() {
    if (Status s =
            broker_.publish(topics::connection_state(topics::kLampServiceClient), topics::kOnline, kLampQos, true);
        !s) {
        log::error("{}", s.message());
    }
    // The broker may have restarted without persistence: make sure it holds our
    // last announced state and our health.
    if (saved_) publish_state(*saved_);
    publish_health();
}

void LampController::handle_set_config(std::string_view payload) {
    Result<DecodedUpdate> decoded = decode_set_config(payload);
    if (!decoded) {
        ++stats_.rejected;
        note_command(std::nullopt, "rejected", decoded.status().message());
        log_dropped("set_config rejected", decoded.status().message());
        return;
    }
    for (const std::string& warning : decoded->warnings) log::warn("set_config: {}", warning);
    const LampUpdate& update = decoded->update;
    if (update.sent_at && *update.sent_at < state_.changed_at) {
        ++stats_.stale;
        std::string why =
            fmt::format("sent at {} ms, before the change applied at {} ms", *update.sent_at, state_.changed_at);
        note_command(update.client, "stale", why);
        log_dropped("stale set_config dropped", why);
        return;
    }
    if (!apply_update(state_, update)) {
        ++stats_.ignored;
        note_command(update.client, "unchanged");
        return;
    }
    note_command(update.client, "applied");
    std::int64_t now = clock_.wall_ms();
    std::int64_t stamp = update.sent_at ? std::min(*update.sent_at, now + kMaxClockLeadMs) : now;
    // Never backwards: a lamp clock set back (no RTC before NTP) keeps the order it had.
    state_.changed_at = std::max(state_.changed_at, stamp);
    ++stats_.applied;
    dirty_ = true;
}

void LampController::reject(std::string_view source, std::string_view reason) {
    ++stats_.rejected;
    note_command(std::string(source), "rejected", reason);
    log_dropped(fmt::format("{} rejected", source), reason);
}

void LampController::flush() {
    if (dirty_) {
        // The LED follows every command, whether or not it can be saved.
        if (!led_driven_ || led_version_ != state_.version) drive_led();
        if (health_.durable || clock_.steady() >= retry_save_at_) save_and_announce();
    }
    // While the LED shows a state that is not saved, lamp/health carries it.
    bool unsaved_on_led = !health_.durable && (!saved_ || saved_->version != state_.version);
    if (unsaved_on_led && (!health_.live || health_.live->version != state_.version)) {
        health_.live = state_;
        health_changed_ = true;
    } else if (!unsaved_on_led && health_.live) {
        health_.live.reset();
        health_changed_ = true;
    }
    if (health_changed_) publish_health();
}

void LampController::save_and_announce() {
    Status saved = store_.save(state_);
    activity_.last_save = LastSave{clock_.wall_ms(), state_.version, saved.is_ok(), saved.message()};
    if (!saved) {
        ++stats_.failed_saves;
        retry_save_at_ = clock_.steady() + kSaveRetry;
        if (health_.durable) {
            log::error("cannot save version {} ({}): the LED follows commands, but they are not durable until "
                       "saving works again",
                       state_.version, saved.message());
        }
        health_.durable = false;
        set_fault(save_error_, saved.message());
        return;
    }
    dirty_ = false;
    ++stats_.commits;
    if (!health_.durable) log::info("saving works again: version {} is durable", state_.version);
    health_.durable = true;
    set_fault(save_error_, "");
    saved_ = state_;
    publish_state(state_);
}

void LampController::drive_led() {
    led_driven_ = true;
    led_version_ = state_.version;
    Status s = led_.set_duty(duty_for(state_));
    if (!s && health_.led) log::error("LED: {}", s.message());
    if (s && !health_.led) log::info("the LED works again: {}", led_.describe());
    health_.led = s.is_ok();
    set_fault(led_error_, s.message());
}

void LampController::set_fault(std::string& slot, std::string message) {
    if (slot == message) return;
    slot = std::move(message);
    std::string error = save_error_;
    if (!led_error_.empty()) error += (error.empty() ? "" : "; ") + led_error_;
    health_.error = error;
    health_changed_ = true;
}

void LampController::publish_state(const LampState& state) {
    if (!broker_.connected()) return;  // on_connected() publishes it
    if (Status s = broker_.publish(topics::kChanged, encode_changed(state), kLampQos, true); !s) {
        log::error("{}", s.message());
        return;
    }
    if (on_announced) on_announced(state);
}

void LampController::publish_health() {
    if (!broker_.connected()) return;  // on_connected() publishes it
    if (Status s = broker_.publish(topics::kHealth, encode_health(health_), kLampQos, true); !s) {
        log::error("{}", s.message());
        return;
    }
    health_changed_ = false;
}

void LampController::announce_offline() {
    if (!broker_.connected()) return;
    (void)broker_.publish(topics::connection_state(topics::kLampServiceClient), topics::kOffline, kLampQos, true);
}

void LampController::note_command(std::optional<std::string> client, std::string_view outcome,
                                  std::string_view reason) {
    activity_.last_command =
        LastCommand{clock_.wall_ms(), std::move(client).value_or(""), std::string(outcome), std::string(reason)};
}

void LampController::log_dropped(std::string_view what, std::string_view reason) {
    std::uint64_t held_back = 0;
    bool allowed = log_limiter_.allow(clock_.steady(), &held_back);
    if (held_back > 0) {
        log::warn("set_config: {} more rejected or stale commands not shown", held_back);
        ++stats_.log_lines;
    }
    if (allowed) {
        log::warn("{}, state kept at version {}: {}", what, state_.version, reason);
        ++stats_.log_lines;
    }
}

}  // namespace lampi::lampid
