// Store: everything lampi-cloud keeps, behind one interface for both engines.
//
// The same SQL runs on SQLite and PostgreSQL (see sql.h), so both backends
// behave alike by construction; the storage tests run against both. Methods are
// thread-safe (each call leases a pooled connection) and never throw. Secrets
// (session keys, API tokens, broker passwords) arrive here already hashed.
// Times are Unix seconds passed in by the caller, so tests control the clock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lampi/status.h"
#include "storage/read_cache.h"
#include "storage/sql.h"

namespace lampi::cloud::storage {

struct User {
    std::int64_t id = 0;
    std::string username;
    std::string password_hash;
    bool is_operator = false;
    std::int64_t created_at = 0;
    std::optional<std::int64_t> last_login;
    // Set while an operator has the account disabled: nothing of it works then.
    std::optional<std::int64_t> disabled_at;

    bool disabled() const { return disabled_at.has_value(); }
};

// A user as the operators' list shows them: with the number of lamps they own.
struct UserSummary {
    User user;
    std::int64_t lamps = 0;
};

struct Lamp {
    std::string device_id;
    std::string name;
    std::string room;  // '' when the owner put it in no room
    std::optional<std::int64_t> owner_id;
    std::string owner_name;        // empty when unowned
    std::string state_json;        // last lamp/changed payload, canonical; empty if never seen
    std::optional<std::int64_t> state_version;
    bool online = false;
    std::int64_t updated_at = 0;
    // When the lamp last reported anything (a state, or its connection going up or down).
    std::optional<std::int64_t> last_seen_at;
};

enum class ClaimOutcome { claimed, wrong_code, already_used, expired, already_owned };

struct ClaimResult {
    ClaimOutcome outcome = ClaimOutcome::wrong_code;
    std::string device_id;  // set unless wrong_code
};

struct BrokerCredential {
    std::string username;
    std::string password_hash;
    std::int64_t user_id = 0;
    std::int64_t expires_at = 0;
};

struct ApiToken {
    std::string public_id;
    std::int64_t user_id = 0;
    std::string name;
    std::string scope;  // "read" or "control"
    std::int64_t created_at = 0;
    std::int64_t expires_at = 0;
};

// A scene a user saved: how each lamp of a room looked.
struct Scene {
    std::int64_t id = 0;
    std::int64_t user_id = 0;
    std::string name;
    std::string room;
    std::string lamps_json;  // {"<device id>": {set_config fields}, ...}
    std::int64_t created_at = 0;
};

// One failed-login counter (see accounts/login_throttle.h for the policy).
struct ThrottleCount {
    std::int64_t failures = 0;      // in the current window
    std::int64_t locked_until = 0;  // Unix seconds; in the past when not locked
    std::int64_t lockouts = 0;      // locks so far (the next one lasts longer)
};

class Store {
public:
    // Opens the database at `url` (see parse_database_url) with a pool of
    // `connections` and brings its schema up to date.
    static Result<std::unique_ptr<Store>> open(std::string_view url, int connections = 4);

    Dialect dialect() const { return db_->dialect(); }
    // The pool itself, for parts that keep their own tables in this database
    // (analytics/event_store.h) and run the same SQL on both engines.
    Database& database() { return *db_; }

    // Users. create_user fails with a clear message when the name is taken.
    Result<std::int64_t> create_user(const std::string& username, const std::string& password_hash, bool is_operator,
                                      std::int64_t now);
    Result<std::optional<User>> user_by_name(const std::string& username);
    Result<std::optional<User>> user_by_id(std::int64_t id);
    Result<std::vector<User>> users();
    Status set_password(std::int64_t user_id, const std::string& password_hash);
    Status set_operator(std::int64_t user_id, bool is_operator);
    Status record_login(std::int64_t user_id, std::int64_t now);
    // Disables the account from `at` on, or enables it again (nullopt). A disabled
    // user's sessions, tokens and broker credentials are not honoured, whether or
    // not they were deleted.
    Status set_user_disabled(std::int64_t user_id, std::optional<std::int64_t> at);
    // Users whose name contains `text` (any case; "" matches everyone), by name,
    // at most `limit`.
    Result<std::vector<UserSummary>> find_users(std::string_view text, int limit);

    // Sessions, keyed by the hash of the cookie value.
    Status create_session(const std::string& key_hash, std::int64_t user_id, std::int64_t now, std::int64_t expires_at);
    Result<std::optional<User>> session_user(const std::string& key_hash, std::int64_t now);
    Status delete_session(const std::string& key_hash);
    // Every session of the user except `keep_hash` (after a password change).
    Status delete_other_sessions(std::int64_t user_id, const std::string& keep_hash);

    // API tokens, keyed by hash; `public_id` names one in lists and revocations.
    Status create_api_token(const ApiToken& token, const std::string& token_hash);
    // The user and scope behind an unexpired token.
    Result<std::optional<std::pair<User, std::string>>> api_token_user(const std::string& token_hash, std::int64_t now);
    Result<std::vector<ApiToken>> api_tokens_of(std::int64_t user_id, std::int64_t now);
    // False when the user has no such token.
    Result<bool> delete_api_token(std::int64_t user_id, const std::string& public_id);
    // Every token and every session of the user (after a password change).
    Status delete_user_credentials(std::int64_t user_id);

    // Short-lived broker credentials for the control page.
    Status create_broker_credential(const BrokerCredential& credential, std::int64_t now);
    Result<std::optional<BrokerCredential>> broker_credential(const std::string& username, std::int64_t now);
    Status delete_broker_credentials(std::int64_t user_id);

    // Lamps.
    // Inserts the lamp if unknown; an existing lamp keeps its name and owner.
    Status ensure_lamp(const std::string& device_id, std::int64_t now);
    Status add_lamp(const std::string& device_id, const std::string& name, std::optional<std::int64_t> owner_id,
                    std::int64_t now);
    // Records lamp/changed unless a newer version is already stored. Returns
    // whether it was stored.
    Result<bool> record_state(const std::string& device_id, const std::string& state_json, std::int64_t version,
                              std::int64_t now);
    Status record_online(const std::string& device_id, bool online, std::int64_t now);
    Result<std::optional<Lamp>> lamp(const std::string& device_id);
    Result<std::vector<Lamp>> lamps_of(std::int64_t user_id);
    Result<std::vector<Lamp>> all_lamps();
    Result<std::vector<std::string>> owned_device_ids(std::int64_t user_id);
    // Rename/release only when `owner_id` owns the lamp; false when it does not.
    Result<bool> rename_lamp(const std::string& device_id, std::int64_t owner_id, const std::string& name);
    Result<bool> set_lamp_room(const std::string& device_id, std::int64_t owner_id, const std::string& room);
    // Releasing forgets the name and the room: they were the owner's.
    Result<bool> release_lamp(const std::string& device_id, std::int64_t owner_id);
    // Operator action: any lamp to any user (or to nobody).
    Status assign_lamp(const std::string& device_id, std::optional<std::int64_t> owner_id, std::int64_t now);
    // Operator action from the admin area: the lamp goes from owner `from` (nullopt:
    // nobody) to `to`, only if `from` still owns it (false otherwise). A lamp taken
    // from someone forgets the name and room they gave it.
    Result<bool> change_lamp_owner(const std::string& device_id, std::optional<std::int64_t> from,
                                   std::optional<std::int64_t> to, std::int64_t now);
    // Lamps whose device id contains `text` ("" matches every lamp), by id, at most `limit`.
    Result<std::vector<Lamp>> find_lamps(std::string_view text, int limit);

    // Scenes, per user. create_scene fails with already_exists when the user has a
    // scene of that name. delete_scene: false when the user has no such scene, or
    // a schedule sets it (schedules.scene_id).
    Result<std::int64_t> create_scene(const Scene& scene);
    Result<std::vector<Scene>> scenes_of(std::int64_t user_id);
    Result<std::optional<Scene>> scene(std::int64_t user_id, std::int64_t id);
    Result<bool> delete_scene(std::int64_t user_id, std::int64_t id);

    // Association codes. A live code (unused, unexpired) belongs to one lamp, and a
    // lamp has at most one live code. record_code remembers a code a lamp
    // announced: first sighting wins (a re-delivered retained message does not
    // extend its life); a code another lamp holds live is refused (collision), never
    // taken over; recording a new code ends the lamp's previous live one.
    enum class CodeOutcome { recorded, already_known, collision };
    Result<CodeOutcome> record_code(const std::string& device_id, const std::string& code, std::int64_t now,
                                    std::int64_t expires_at);
    // Live codes across all lamps (the guessing arithmetic's L).
    Result<std::int64_t> live_code_count(std::int64_t now);
    // Uses `code` to bind its lamp to `user_id`; at most one caller wins a code.
    Result<ClaimResult> claim(const std::string& code, std::int64_t user_id, std::int64_t now);

    // Login throttling. Each counter is (scope, subject). The latest lock end
    // among `keys` (0 when none is locked at `now`).
    Result<std::int64_t> throttle_locked_until(const std::vector<std::pair<std::string, std::string>>& keys,
                                               std::int64_t now);
    // Counts one failure atomically (safe with several processes): a counter whose
    // window began at or before `window_cutoff` starts over at 1, and one untouched
    // since `forget_cutoff` also forgets its lockouts.
    Result<ThrottleCount> throttle_failure(const std::string& scope, const std::string& subject, std::int64_t now,
                                           std::int64_t window_cutoff, std::int64_t forget_cutoff);
    // Locks the counter until `until` and starts a new window, unless another
    // process locked it already (then false).
    Result<bool> throttle_lock(const std::string& scope, const std::string& subject, std::int64_t now,
                               std::int64_t until);
    Status throttle_clear(const std::string& scope, const std::string& subject);

    // Rate counters: one fixed window of `window_seconds` per (scope, subject).
    // rate_hit counts one event atomically (safe with several processes) and
    // returns the count in the current window and when that window began;
    // rate_peek reads them without counting (0 hits when the window is over).
    struct RateWindow {
        std::int64_t hits = 0;
        std::int64_t window_start = 0;
    };
    Result<RateWindow> rate_hit(const std::string& scope, const std::string& subject, std::int64_t now,
                                std::int64_t window_seconds);
    Result<RateWindow> rate_peek(const std::string& scope, const std::string& subject, std::int64_t now,
                                 std::int64_t window_seconds);
    Status rate_clear(const std::string& scope, const std::string& subject);

    // Deletes expired sessions, broker credentials and login counters untouched
    // for a day.
    Status purge_expired(std::int64_t now);

    // One trivial query: whether the database answers (for /healthz).
    Status ping();

    // session_user and lamps_of, asked on every page, answer from memory while this
    // process wrote nothing since (see read_cache.h), for at most `ttl`: how long
    // another process's write to the same database may go unseen. Zero: always ask
    // the database.
    static constexpr std::chrono::milliseconds kDefaultReadCacheTtl{1000};
    void set_read_cache_ttl(std::chrono::milliseconds ttl);

private:
    explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
    Result<SqlRows> run(const std::string& sql, const std::vector<SqlValue>& params = {});

    // A session's user, and when the session ends.
    struct SessionEntry {
        User user;
        std::int64_t expires_at = 0;
    };

    std::unique_ptr<Database> db_;
    ReadCache<std::string, SessionEntry> sessions_{kDefaultReadCacheTtl};
    ReadCache<std::int64_t, std::vector<Lamp>> lamps_of_{kDefaultReadCacheTtl};
};

}  // namespace lampi::cloud::storage
