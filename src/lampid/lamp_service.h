// LampService: owns the lamp state and speaks the lamp's side of the MQTT contract.
//
// Commands (lamp/set_config) are applied as they arrive; the effects are committed
// in batches by flush(): one fsync'd save, one LED update and one retained
// lamp/changed per burst. A change is published only after it is on disk, so
// whatever a listener has seen survives a crash. Single-threaded: every method
// runs on the thread that drives the MqttClient.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "hardware/led_driver.h"
#include "lampi/lamp_state.h"
#include "lampi/mqtt_client.h"
#include "state_store.h"

namespace lampi::lampid {

struct LampServiceStats {
    std::uint64_t applied = 0;    // commands that changed the state
    std::uint64_t ignored = 0;    // valid commands that changed nothing
    std::uint64_t rejected = 0;   // malformed or invalid payloads
    std::uint64_t commits = 0;    // batches saved and published
};

class LampService {
public:
    LampService(MqttClient& mqtt, StateStore& store, LedDriver& led, LampState initial);

    // Drives the LED to the restored state before any network traffic.
    Status start();

    void handle_set_config(std::string_view payload);
    // Commits pending changes; a no-op when nothing changed.
    void flush();
    void on_connected();
    // Publishes "0" on the connection topic before a clean stop (the Last Will
    // covers the unclean ones).
    void announce_offline();

    const LampState& state() const { return state_; }
    const LampServiceStats& stats() const { return stats_; }

private:
    void log_rejection(std::string_view reason);
    void publish_state();

    MqttClient& mqtt_;
    StateStore& store_;
    LedDriver& led_;
    LampState state_;
    bool dirty_ = false;
    LampServiceStats stats_;
    // Rejections are logged at most kRejectionLinesPerSecond per second.
    std::chrono::steady_clock::time_point rejection_window_;
    int rejection_lines_ = 0;
    std::uint64_t rejections_suppressed_ = 0;
};

}  // namespace lampi::lampid
