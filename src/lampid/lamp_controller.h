// LampController: owns the lamp state and speaks the lamp's side of the MQTT
// contract (DESIGN.md): lamp/set_config in; lamp/changed, lamp/health and
// lamp/connection/lamp_service/state out.
//
// Contract:
// - Commands are applied as they arrive; flush() commits them in batches: one
//   save, one LED update and one retained lamp/changed per burst.
// - A state is announced on lamp/changed only after the store saved it, so
//   whatever a listener has seen survives a crash, and a version is never
//   announced twice with different settings.
// - When saving fails the LED still follows commands; lamp/health says the
//   changes are not durable (with the state the LED shows) and the save is
//   retried every kSaveRetry. When it works again the pending state is saved and
//   announced, and lamp/health turns durable.
// - Ordering: a command with "sent_at" older than the newest change applied
//   (LampState::changed_at) is stale and dropped, so a command queued while the
//   lamp was away never undoes a newer one (src/lampid/README.md).
// - Single-threaded: every method runs on the thread that drives the broker
//   connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "clock.h"
#include "hardware/led_driver.h"
#include "lampi/lamp_codec.h"
#include "lampi/lamp_state.h"
#include "log_limiter.h"
#include "publisher.h"
#include "state_store.h"

namespace lampi::lampid {

struct LampControllerStats {
    std::uint64_t applied = 0;    // commands that changed the state
    std::uint64_t ignored = 0;    // valid commands that changed nothing
    std::uint64_t rejected = 0;   // malformed or invalid payloads
    std::uint64_t stale = 0;      // commands sent before the newest applied change
    std::uint64_t commits = 0;    // batches saved and announced
    std::uint64_t failed_saves = 0;
    std::uint64_t log_lines = 0;  // lines written about rejected or stale commands
};

// The latest command and save, for the operator's status file (status_report.h).
struct LastCommand {
    std::int64_t at_ms = 0;  // wall clock, when it arrived
    std::string client;      // its "client", "" when it could not be read
    std::string outcome;     // "applied", "unchanged", "rejected" or "stale"
    std::string reason;      // why it was rejected or dropped
};
struct LastSave {
    std::int64_t at_ms = 0;
    std::uint64_t version = 0;
    bool ok = true;
    std::string error;
};
struct LampActivity {
    std::optional<LastCommand> last_command;
    std::optional<LastSave> last_save;
};

class LampController {
public:
    static constexpr int kRejectionLinesPerSecond = 10;
    static constexpr std::chrono::seconds kSaveRetry{1};
    // A "sent_at" further ahead of the lamp's clock than this counts as this far
    // ahead, so one sender with a wrong clock cannot block everyone else's commands.
    static constexpr std::int64_t kMaxClockLeadMs = 60'000;

    // `initial_unsaved`: the initial state is not on disk yet (it was rebuilt
    // after a lost or corrupt file); it is saved before it is announced.
    LampController(Publisher& broker, StateSink& store, LedDriver& led, Clock clock, LampState initial,
                   bool initial_unsaved = false);

    // Drives the LED to the restored state before any network traffic. A failing
    // LED is reported on lamp/health, not fatal: the service stays reachable.
    // The next flush() saves the restored state again, so an unwritable state
    // directory is reported right after a restart, not at the next command.
    Status start();

    void handle_set_config(std::string_view payload);
    // A command that never became a set_config payload (a translation refused
    // it): counted and logged like a rejected one.
    void reject(std::string_view source, std::string_view reason);
    // Commits pending changes; a no-op when nothing changed.
    void flush();
    void on_connected();
    // Publishes again what the cloud must hold: "1" on the connection topic, the
    // last saved state and the health. Called on connection and whenever the
    // bridge comes up, because the bridge forwards only what is published while
    // it is up, and the cloud may still hold the "0" of the last stop.
    void announce();
    // Publishes "0" on the connection topic before a clean stop (the Last Will
    // covers the unclean ones).
    void announce_offline();

    // Called with every state published on lamp/changed, for listeners that
    // speak another format (Home Assistant's).
    std::function<void(const LampState&)> on_announced;

    const LampState& state() const { return state_; }
    const LampHealth& health() const { return health_; }
    const LampControllerStats& stats() const { return stats_; }
    const LampActivity& activity() const { return activity_; }

private:
    void save_and_announce();
    void drive_led();
    void publish_state(const LampState& state);
    void publish_health();
    void set_fault(std::string& slot, std::string message);
    void log_dropped(std::string_view what, std::string_view reason);
    void note_command(std::optional<std::string> client, std::string_view outcome, std::string_view reason = {});

    Publisher& broker_;
    StateSink& store_;
    LedDriver& led_;
    Clock clock_;
    LampState state_;
    bool dirty_ = false;
    std::uint64_t led_version_ = 0;  // the version the LED shows
    bool led_driven_ = false;
    // The last state saved (and so announced): what lamp/changed carries on a
    // reconnection. Empty while the initial state is not on disk yet.
    std::optional<LampState> saved_;
    LampHealth health_;
    std::string save_error_;
    std::string led_error_;
    bool health_changed_ = true;
    Clock::SteadyTime retry_save_at_{};
    LampControllerStats stats_;
    LampActivity activity_;
    LogLimiter log_limiter_{kRejectionLinesPerSecond};
};

}  // namespace lampi::lampid
