// LampService: the cloud's side of the lamps - what they report and what users
// do with them.
//
// Fed by the platform MQTT client (cloud_link.h) with devices/<id>/lamp/changed,
// .../connection/<client>/state and .../associated; it records last state and
// online flag, and remembers announced association codes. Users claim a lamp
// with its code, rename and remove lamps they own, and set their state, which is
// published as devices/<id>/lamp/set_config (QoS 1).
//
// Association payload on devices/<id>/lamp/associated (retained, both ways):
//   lamp -> cloud  {"code": "123456", "claimed": false[, "expires_in": seconds]}
//   cloud -> lamp  {"claimed": true}         after a user claimed it
//   cloud -> lamp  {"claimed": false}        after its owner removed it: make a new code
// Codes are 6 to 12 characters of 0-9 and A-Z; users may type them with spaces,
// dashes or lower case.
//
// Thread-safe: MQTT callbacks and HTTP handlers call in concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/rate_limit.h"
#include "analytics/event_sink.h"
#include "clock.h"
#include "lampi/lamp_state.h"
#include "lampi/status.h"
#include "lamps/pending_commands.h"
#include "storage/store.h"

namespace lampi::cloud::lamps {

// Who sends a command: its "client" field tells the lamp (change_source.h).
enum class CommandSender { person, schedule };

// Publishes one MQTT message; MqttClient::publish in production, a recorder in tests.
using Publisher = std::function<Status(std::string_view topic, std::string_view payload, int qos, bool retain)>;

// Limits against code guessing and announcement floods; all counted in the
// database (accounts/rate_limit.h), so every process shares them. See the
// README's Security section for the arithmetic behind the values.
struct LampServiceOptions {
    std::int64_t code_seconds = 10 * 60;  // how long an announced code may be used
    std::int64_t claim_window_seconds = 10 * 60;
    std::int64_t wrong_codes_per_user = 10;     // per window
    std::int64_t wrong_codes_per_address = 20;  // per window
    // The weakest code space accepted (6 decimal digits) and the safety factor:
    // the wrong codes allowed platform-wide per window are
    // code_space / (guess_margin * live codes), so that guessing any live code at
    // that rate takes guess_margin (> 1000) times a code's lifetime.
    std::int64_t code_space = 1'000'000;
    std::int64_t guess_margin = 2000;
    std::int64_t announcements_per_lamp = 20;  // per hour
    // Commands kept until the lamp confirms them (pending_commands.h).
    PendingCommandsOptions pending;
    // Gets lamp_changes, lamp_connections, lamp_claims and lamp_releases; null: none.
    std::shared_ptr<analytics::EventSink> events;
};

class LampService {
public:
    LampService(storage::Store& store, Publisher publish, LampServiceOptions options, Clock clock);

    // MQTT side. `topic` is the full cloud topic; other topics are ignored.
    void handle_message(std::string_view topic, std::string_view payload);

    // User side. The lamp must be owned by `user_id` unless stated. Failures say
    // what the user did wrong by their code: invalid_argument (a malformed code or
    // name), not_found (no such lamp of theirs, or no lamp shows that code),
    // already_exists (the lamp has an owner), failed_precondition (the code was
    // used), expired, resource_exhausted (too many wrong codes), unavailable (no
    // broker); internal for database faults.
    // A claimed lamp without a name is called "Lamp N", the first N the owner's
    // other lamps leave free. Returns the claimed device id.
    // `address` is the client's address (wrong-code limits per address).
    Result<std::string> claim(std::int64_t user_id, std::string_view typed_code, std::string_view address = {});
    // Wrong codes the whole platform may still see in this window (the arithmetic's G).
    Result<std::int64_t> global_wrong_code_limit();
    Result<storage::Lamp> owned_lamp(std::int64_t user_id, std::string_view device_id);
    Status rename(std::int64_t user_id, std::string_view device_id, std::string_view name);
    // Puts the lamp in a room (leading and trailing spaces dropped; "" = no room).
    Status set_room(std::int64_t user_id, std::string_view device_id, std::string_view room);
    // Whether `room` can name a room: invalid_argument saying why not.
    static Status check_room(std::string_view room);
    Status remove(std::int64_t user_id, std::string_view device_id);
    // Operator action (the admin area): gives the lamp to `owner`, or to nobody,
    // whoever has it now, and tells the lamp it is claimed (or to make a new code).
    // A lamp taken from someone forgets the name and room they gave it; a new
    // owner's unnamed lamp is called "Lamp N" as after a claim. Returns the owner
    // before; not_found for an unknown lamp, failed_precondition when `owner`
    // has it already or it changed hands meanwhile.
    Result<std::optional<std::int64_t>> change_owner(std::string_view device_id, std::optional<std::int64_t> owner);
    // Publishes set_config; returns the payload sent. The command is sent again
    // each time the lamp's bridge or lamp service reports "1" (the path to it is
    // back) until a lamp/changed confirms it (pending_commands.h).
    Result<std::string> set_state(std::int64_t user_id, std::string_view device_id, LampUpdate update,
                                  CommandSender sender = CommandSender::person);
    // Sends `update` to every lamp of the user in `room`, or to all their lamps
    // when `room` is nullopt ("All off"). not_found when the room has no lamp of
    // theirs. Returns the device ids it was sent to.
    Result<std::vector<std::string>> set_room_state(std::int64_t user_id, std::optional<std::string_view> room,
                                                    const LampUpdate& update,
                                                    CommandSender sender = CommandSender::person);

    // The lamp's last lamp/health report (JSON, re-encoded by the codec), if any:
    // whether its changes are durable and its LED works.
    std::optional<std::string> health_of(std::string_view device_id);

    // How long a code the lamp shows may be used, in seconds.
    std::int64_t code_seconds() const { return options_.code_seconds; }
    // Commands acknowledged by the broker and not yet confirmed by the lamp.
    std::size_t unconfirmed_commands() const { return pending_.size(); }
    // Lamps online as this process has heard it on the broker (for /metrics);
    // takes the lock the MQTT side takes, so it is for scrapes, not requests.
    std::size_t online_count();

    // Canonical "123 456" -> "123456"; empty when it cannot be a code.
    static std::string normalize_code(std::string_view typed);

private:
    // A lamp is online while its lamp service says "1" and its bridge has not said "0".
    static bool is_online(const std::map<std::string, bool>& clients);
    void on_changed(const std::string& device_id, std::string_view payload);
    void on_connection(const std::string& device_id, std::string_view client, std::string_view payload);
    void on_associated(const std::string& device_id, std::string_view payload);
    void on_health(const std::string& device_id, std::string_view payload);
    // Seconds to wait (> 0) when a wrong-code limit is used up.
    Result<std::int64_t> claim_blocked(std::int64_t user_id, const std::string& address_key);
    void note_claim_failure(std::int64_t user_id, const std::string& address_key);
    void publish_associated(const std::string& device_id, bool claimed);
    void name_new_lamp(std::int64_t user_id, const std::string& device_id);
    // Stamps `update` as `sender`'s and publishes it; returns the payload.
    Result<std::string> publish_update(std::string_view device_id, LampUpdate update, CommandSender sender);
    void resend_unconfirmed(const std::string& device_id);
    // The lamp's owner as analytics shows it: the user id, or null.
    void add_owner(const std::string& device_id, analytics::Properties& properties);

    storage::Store& store_;
    Publisher publish_;
    LampServiceOptions options_;
    Clock clock_;

    std::mutex mutex_;
    // device id -> client id -> connected; a lamp is online while its lamp
    // service says "1" and its bridge has not said "0".
    std::map<std::string, std::map<std::string, bool>> connections_;
    // device id -> its last lamp/health payload; kept in memory: the broker
    // holds it retained and hands it over again after a restart.
    std::map<std::string, std::string> health_;
    // device id -> the online flag last reported to analytics (a change is an event).
    std::map<std::string, bool> reported_online_;
    accounts::RateLimiter rates_;
    PendingCommands pending_;
};

}  // namespace lampi::cloud::lamps
