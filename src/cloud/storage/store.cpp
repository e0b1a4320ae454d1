#include "storage/store.h"

#include <fmt/core.h>

#include <algorithm>

#include "storage/schema.h"

namespace lampi::cloud::storage {
namespace {

const std::string kUserColumns = "id, username, password_hash, is_operator, created_at, last_login, disabled_at";
// The same of users joined as "u".
const std::string kUserColumnsOfU =
    "u.id, u.username, u.password_hash, u.is_operator, u.created_at, u.last_login, u.disabled_at";
constexpr std::size_t kUserColumnCount = 7;
const std::string kLampColumns =
    "l.device_id, l.name, l.owner_id, COALESCE(u.username, ''), l.state_json, l.state_version, l.online, l.updated_at, "
    "l.room, l.last_seen_at";
const std::string kLampFrom = " FROM lamps l LEFT JOIN users u ON u.id = l.owner_id ";

User to_user(const SqlRow& r, std::size_t at = 0) {
    User u;
    u.id = as_int(r[at]);
    u.username = as_text(r[at + 1]);
    u.password_hash = as_text(r[at + 2]);
    u.is_operator = as_int(r[at + 3]) != 0;
    u.created_at = as_int(r[at + 4]);
    if (r[at + 5]) u.last_login = as_int(r[at + 5]);
    if (r[at + 6]) u.disabled_at = as_int(r[at + 6]);
    return u;
}

Lamp to_lamp(const SqlRow& r) {
    Lamp l;
    l.device_id = as_text(r[0]);
    l.name = as_text(r[1]);
    if (r[2]) l.owner_id = as_int(r[2]);
    l.owner_name = as_text(r[3]);
    l.state_json = as_text(r[4]);
    if (r[5]) l.state_version = as_int(r[5]);
    l.online = as_int(r[6]) != 0;
    l.updated_at = as_int(r[7]);
    l.room = as_text(r[8]);
    if (r[9]) l.last_seen_at = as_int(r[9]);
    return l;
}

Result<std::optional<User>> first_user(Result<SqlRows> rows) {
    if (!rows) return rows.status();
    if (rows->empty()) return std::optional<User>();
    return std::optional<User>(to_user(rows->front()));
}

Result<std::vector<Lamp>> to_lamps(Result<SqlRows> rows) {
    if (!rows) return rows.status();
    std::vector<Lamp> out;
    for (const auto& r : *rows) out.push_back(to_lamp(r));
    return out;
}

// Whether a change's RETURNING matched a row: false when it touched none.
Result<bool> any_row(const Result<SqlRows>& rows) {
    if (!rows) return rows.status();
    return !rows->empty();
}

const std::string kSceneColumns = "id, user_id, name, room, lamps_json, created_at";

Result<std::vector<Scene>> to_scenes(const Result<SqlRows>& rows) {
    if (!rows) return rows.status();
    std::vector<Scene> out;
    for (const auto& r : *rows)
        out.push_back(Scene{as_int(r[0]), as_int(r[1]), as_text(r[2]), as_text(r[3]), as_text(r[4]), as_int(r[5])});
    return out;
}

Status done(const Result<SqlRows>& rows) { return rows ? Status::ok() : rows.status(); }

SqlValue optional_id(std::optional<std::int64_t> id) { return id ? SqlValue(*id) : SqlValue(nullptr); }

// A LIKE pattern (ESCAPE '\') matching any text that contains `text`, lower-cased.
std::string contains_pattern(std::string_view text) {
    std::string pattern = "%";
    for (char c : text) {
        if (c == '\\' || c == '%' || c == '_') pattern += '\\';
        pattern += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return pattern + "%";
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(std::string_view url, int connections) {
    auto db = Database::open(url, connections);
    if (!db) return db.status();
    {
        auto lease = (*db)->lease();
        if (Status s = migrate(*lease); !s) return s;
    }
    return std::unique_ptr<Store>(new Store(std::move(db).value()));
}

Result<SqlRows> Store::run(const std::string& sql, const std::vector<SqlValue>& params) {
    auto lease = db_->lease();
    return lease->query(sql, params);
}

Result<std::int64_t> Store::create_user(const std::string& username, const std::string& password_hash,
                                         bool is_operator, std::int64_t now) {
    auto lease = db_->lease();
    auto rows = lease->query(
        "INSERT INTO users (username, password_hash, is_operator, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        {username, password_hash, std::int64_t{is_operator ? 1 : 0}, now});
    if (!rows) {
        if (lease->last_error_was_conflict())
            return Status::already_exists(fmt::format("the username '{}' is already taken; choose another", username));
        return rows.status();
    }
    return as_int(rows->at(0).at(0));
}

Result<std::optional<User>> Store::user_by_name(const std::string& username) {
    return first_user(run("SELECT " + kUserColumns + " FROM users WHERE username = $1", {username}));
}

Result<std::optional<User>> Store::user_by_id(std::int64_t id) {
    return first_user(run("SELECT " + kUserColumns + " FROM users WHERE id = $1", {id}));
}

Result<std::vector<User>> Store::users() {
    auto rows = run("SELECT " + kUserColumns + " FROM users ORDER BY username");
    if (!rows) return rows.status();
    std::vector<User> out;
    for (const auto& r : *rows) out.push_back(to_user(r));
    return out;
}

Status Store::set_password(std::int64_t user_id, const std::string& password_hash) {
    return done(run("UPDATE users SET password_hash = $1 WHERE id = $2", {password_hash, user_id}));
}

Status Store::set_operator(std::int64_t user_id, bool is_operator) {
    return done(run("UPDATE users SET is_operator = $1 WHERE id = $2", {std::int64_t{is_operator ? 1 : 0}, user_id}));
}

Status Store::record_login(std::int64_t user_id, std::int64_t now) {
    return done(run("UPDATE users SET last_login = $1 WHERE id = $2", {now, user_id}));
}

Status Store::set_user_disabled(std::int64_t user_id, std::optional<std::int64_t> at) {
    return done(run("UPDATE users SET disabled_at = $1 WHERE id = $2", {optional_id(at), user_id}));
}

Result<std::vector<UserSummary>> Store::find_users(std::string_view text, int limit) {
    auto rows = run("SELECT " + kUserColumnsOfU +
                        ", (SELECT COUNT(*) FROM lamps l WHERE l.owner_id = u.id) FROM users u "
                        "WHERE LOWER(u.username) LIKE $1 ESCAPE '\\' ORDER BY u.username LIMIT $2",
                    {contains_pattern(text), std::int64_t{limit}});
    if (!rows) return rows.status();
    std::vector<UserSummary> out;
    for (const auto& r : *rows) out.push_back(UserSummary{to_user(r), as_int(r.at(kUserColumnCount))});
    return out;
}

Status Store::create_session(const std::string& key_hash, std::int64_t user_id, std::int64_t now,
                             std::int64_t expires_at) {
    return done(run("INSERT INTO sessions (key_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    {key_hash, user_id, now, expires_at}));
}

Result<std::optional<User>> Store::session_user(const std::string& key_hash, std::int64_t now) {
    auto before_read = decltype(sessions_)::stamp(db_->write_generation());
    if (auto known = sessions_.get(key_hash, before_read.generation)) {
        if (known->expires_at > now) return std::optional<User>(std::move(known->user));
        return std::optional<User>();
    }
    auto rows = run("SELECT " + kUserColumnsOfU +
                        ", s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.key_hash = $1 AND "
                        "s.expires_at > $2 AND u.disabled_at IS NULL",
                    {key_hash, now});
    if (!rows) return rows.status();
    if (rows->empty()) return std::optional<User>();
    SessionEntry entry{to_user(rows->front()), as_int(rows->front()[kUserColumnCount])};
    sessions_.put(key_hash, entry, before_read);
    return std::optional<User>(std::move(entry.user));
}

Status Store::delete_session(const std::string& key_hash) {
    return done(run("DELETE FROM sessions WHERE key_hash = $1", {key_hash}));
}

Status Store::delete_other_sessions(std::int64_t user_id, const std::string& keep_hash) {
    return done(run("DELETE FROM sessions WHERE user_id = $1 AND key_hash <> $2", {user_id, keep_hash}));
}

Status Store::create_api_token(const ApiToken& t, const std::string& token_hash) {
    return done(run("INSERT INTO api_tokens (token_hash, user_id, name, created_at, public_id, scope, expires_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    {token_hash, t.user_id, t.name, t.created_at, t.public_id, t.scope, t.expires_at}));
}

Result<std::optional<std::pair<User, std::string>>> Store::api_token_user(const std::string& token_hash,
                                                                          std::int64_t now) {
    auto rows = run("SELECT " + kUserColumnsOfU +
                        ", t.scope FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND "
                        "t.expires_at > $2 AND u.disabled_at IS NULL",
                    {token_hash, now});
    if (!rows) return rows.status();
    if (rows->empty()) return std::optional<std::pair<User, std::string>>();
    return std::optional<std::pair<User, std::string>>(
        std::pair<User, std::string>{to_user(rows->front()), as_text(rows->front().at(kUserColumnCount))});
}

Result<std::vector<ApiToken>> Store::api_tokens_of(std::int64_t user_id, std::int64_t now) {
    auto rows = run("SELECT public_id, name, scope, created_at, expires_at FROM api_tokens "
                    "WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at, public_id",
                    {user_id, now});
    if (!rows) return rows.status();
    std::vector<ApiToken> out;
    for (const auto& r : *rows)
        out.push_back(ApiToken{as_text(r.at(0)), user_id, as_text(r.at(1)), as_text(r.at(2)), as_int(r.at(3)),
                               as_int(r.at(4))});
    return out;
}

Result<bool> Store::delete_api_token(std::int64_t user_id, const std::string& public_id) {
    return any_row(
        run("DELETE FROM api_tokens WHERE user_id = $1 AND public_id = $2 RETURNING public_id", {user_id, public_id}));
}

Status Store::delete_user_credentials(std::int64_t user_id) {
    if (Status s = done(run("DELETE FROM api_tokens WHERE user_id = $1", {user_id})); !s) return s;
    return done(run("DELETE FROM sessions WHERE user_id = $1", {user_id}));
}

Status Store::create_broker_credential(const BrokerCredential& c, std::int64_t now) {
    return done(run("INSERT INTO broker_credentials (username, password_hash, user_id, created_at, expires_at) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    {c.username, c.password_hash, c.user_id, now, c.expires_at}));
}

Result<std::optional<BrokerCredential>> Store::broker_credential(const std::string& username, std::int64_t now) {
    auto rows =
        run("SELECT c.username, c.password_hash, c.user_id, c.expires_at FROM broker_credentials c "
            "JOIN users u ON u.id = c.user_id WHERE c.username = $1 AND c.expires_at > $2 AND "
            "u.disabled_at IS NULL",
            {username, now});
    if (!rows) return rows.status();
    if (rows->empty()) return std::optional<BrokerCredential>();
    const auto& r = rows->front();
    return std::optional<BrokerCredential>(BrokerCredential{as_text(r[0]), as_text(r[1]), as_int(r[2]), as_int(r[3])});
}

Status Store::delete_broker_credentials(std::int64_t user_id) {
    return done(run("DELETE FROM broker_credentials WHERE user_id = $1", {user_id}));
}

Status Store::ensure_lamp(const std::string& device_id, std::int64_t now) {
    return done(run("INSERT INTO lamps (device_id, created_at, updated_at) VALUES ($1, $2, $2) "
                    "ON CONFLICT (device_id) DO NOTHING",
                    {device_id, now}));
}

Status Store::add_lamp(const std::string& device_id, const std::string& name, std::optional<std::int64_t> owner_id,
                       std::int64_t now) {
    return done(run("INSERT INTO lamps (device_id, name, owner_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) "
                    "ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, owner_id = excluded.owner_id, "
                    "updated_at = excluded.updated_at",
                    {device_id, name, optional_id(owner_id), now}));
}

Result<bool> Store::record_state(const std::string& device_id, const std::string& state_json, std::int64_t version,
                                 std::int64_t now) {
    return any_row(
        run("INSERT INTO lamps (device_id, state_json, state_version, created_at, updated_at, last_seen_at) "
            "VALUES ($1, $2, $3, $4, $4, $4) "
            "ON CONFLICT (device_id) DO UPDATE SET state_json = excluded.state_json, "
            "state_version = excluded.state_version, updated_at = excluded.updated_at, "
            "last_seen_at = excluded.last_seen_at "
            "WHERE lamps.state_version IS NULL OR lamps.state_version < excluded.state_version "
            "RETURNING device_id",
            {device_id, state_json, version, now}));
}

Status Store::record_online(const std::string& device_id, bool online, std::int64_t now) {
    return done(
        run("INSERT INTO lamps (device_id, online, created_at, updated_at, last_seen_at) "
            "VALUES ($1, $2, $3, $3, $3) "
            "ON CONFLICT (device_id) DO UPDATE SET online = excluded.online, updated_at = excluded.updated_at, "
            "last_seen_at = excluded.last_seen_at",
            {device_id, std::int64_t{online ? 1 : 0}, now}));
}

Result<std::optional<Lamp>> Store::lamp(const std::string& device_id) {
    auto lamps = to_lamps(run("SELECT " + kLampColumns + kLampFrom + "WHERE l.device_id = $1", {device_id}));
    if (!lamps) return lamps.status();
    if (lamps->empty()) return std::optional<Lamp>();
    return std::optional<Lamp>(lamps->front());
}

Result<std::vector<Lamp>> Store::lamps_of(std::int64_t user_id) {
    auto before_read = decltype(lamps_of_)::stamp(db_->write_generation());
    if (auto known = lamps_of_.get(user_id, before_read.generation)) return std::move(*known);
    auto lamps = to_lamps(
        run("SELECT " + kLampColumns + kLampFrom + "WHERE l.owner_id = $1 ORDER BY l.name, l.device_id", {user_id}));
    if (lamps) lamps_of_.put(user_id, *lamps, before_read);
    return lamps;
}

Result<std::vector<Lamp>> Store::all_lamps() {
    return to_lamps(run("SELECT " + kLampColumns + kLampFrom + "ORDER BY l.device_id"));
}

Result<std::vector<std::string>> Store::owned_device_ids(std::int64_t user_id) {
    auto rows = run("SELECT device_id FROM lamps WHERE owner_id = $1 ORDER BY device_id", {user_id});
    if (!rows) return rows.status();
    std::vector<std::string> out;
    for (const auto& r : *rows) out.push_back(as_text(r[0]));
    return out;
}

Result<bool> Store::rename_lamp(const std::string& device_id, std::int64_t owner_id, const std::string& name) {
    return any_row(run("UPDATE lamps SET name = $1 WHERE device_id = $2 AND owner_id = $3 RETURNING device_id",
                       {name, device_id, owner_id}));
}

Result<bool> Store::set_lamp_room(const std::string& device_id, std::int64_t owner_id, const std::string& room) {
    return any_row(run("UPDATE lamps SET room = $1 WHERE device_id = $2 AND owner_id = $3 RETURNING device_id",
                       {room, device_id, owner_id}));
}

Result<bool> Store::release_lamp(const std::string& device_id, std::int64_t owner_id) {
    return any_row(
        run("UPDATE lamps SET owner_id = NULL, name = '', room = '' WHERE device_id = $1 AND owner_id = $2 "
            "RETURNING device_id",
            {device_id, owner_id}));
}

Status Store::assign_lamp(const std::string& device_id, std::optional<std::int64_t> owner_id, std::int64_t now) {
    auto rows = run("UPDATE lamps SET owner_id = $1, updated_at = $2 WHERE device_id = $3 RETURNING device_id",
                    {optional_id(owner_id), now, device_id});
    if (!rows) return rows.status();
    if (rows->empty())
        return Status::not_found(
            fmt::format("no lamp {} is known; add it first with `lampi-cloud lamp add {}`", device_id, device_id));
    return Status::ok();
}

Result<bool> Store::change_lamp_owner(const std::string& device_id, std::optional<std::int64_t> from,
                                      std::optional<std::int64_t> to, std::int64_t now) {
    return any_row(from ? run("UPDATE lamps SET owner_id = $1, name = '', room = '', updated_at = $2 "
                              "WHERE device_id = $3 AND owner_id = $4 RETURNING device_id",
                              {optional_id(to), now, device_id, *from})
                        : run("UPDATE lamps SET owner_id = $1, updated_at = $2 "
                              "WHERE device_id = $3 AND owner_id IS NULL RETURNING device_id",
                              {optional_id(to), now, device_id}));
}

Result<std::vector<Lamp>> Store::find_lamps(std::string_view text, int limit) {
    return to_lamps(run("SELECT " + kLampColumns + kLampFrom +
                            "WHERE l.device_id LIKE $1 ESCAPE '\\' ORDER BY l.device_id LIMIT $2",
                        {contains_pattern(text), std::int64_t{limit}}));
}

Result<std::int64_t> Store::create_scene(const Scene& scene) {
    auto lease = db_->lease();
    auto rows = lease->query(
        "INSERT INTO scenes (user_id, name, room, lamps_json, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        {scene.user_id, scene.name, scene.room, scene.lamps_json, scene.created_at});
    if (!rows) {
        if (lease->last_error_was_conflict())
            return Status::already_exists(
                fmt::format("you have a scene called \"{}\"; choose another name or delete that one", scene.name));
        return rows.status();
    }
    return as_int(rows->at(0).at(0));
}

Result<std::vector<Scene>> Store::scenes_of(std::int64_t user_id) {
    return to_scenes(run("SELECT " + kSceneColumns + " FROM scenes WHERE user_id = $1 ORDER BY name", {user_id}));
}

Result<std::optional<Scene>> Store::scene(std::int64_t user_id, std::int64_t id) {
    auto scenes =
        to_scenes(run("SELECT " + kSceneColumns + " FROM scenes WHERE user_id = $1 AND id = $2", {user_id, id}));
    if (!scenes) return scenes.status();
    if (scenes->empty()) return std::optional<Scene>();
    return std::optional<Scene>(scenes->front());
}

Result<bool> Store::delete_scene(std::int64_t user_id, std::int64_t id) {
    // A timer that is done sets the scene no more; it goes (it would anyway within a day).
    auto done =
        run("DELETE FROM schedules WHERE user_id = $1 AND scene_id = $2 AND next_fire_at IS NULL", {user_id, id});
    if (!done) return done.status();
    return any_row(
        run("DELETE FROM scenes WHERE user_id = $1 AND id = $2 AND NOT EXISTS "
            "(SELECT 1 FROM schedules WHERE schedules.scene_id = scenes.id) RETURNING id",
            {user_id, id}));
}

Result<Store::CodeOutcome> Store::record_code(const std::string& device_id, const std::string& code,
                                              std::int64_t now, std::int64_t expires_at) {
    if (Status s = ensure_lamp(device_id, now); !s) return s;
    auto taken = run("SELECT device_id FROM association_codes WHERE code = $1 AND device_id <> $2 "
                     "AND used_at IS NULL AND expires_at > $3 LIMIT 1",
                     {code, device_id, now});
    if (!taken) return taken.status();
    if (!taken->empty()) return CodeOutcome::collision;
    auto inserted = run("INSERT INTO association_codes (device_id, code, created_at, expires_at) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (device_id, code) DO NOTHING RETURNING device_id",
                        {device_id, code, now, expires_at});
    if (!inserted) return inserted.status();
    if (inserted->empty()) return CodeOutcome::already_known;
    // The lamp's earlier codes end now: one live code per lamp.
    if (Status s = done(run("UPDATE association_codes SET expires_at = $3 WHERE device_id = $1 AND code <> $2 "
                            "AND used_at IS NULL AND expires_at > $3",
                            {device_id, code, now}));
        !s)
        return s;
    return CodeOutcome::recorded;
}

Result<std::int64_t> Store::live_code_count(std::int64_t now) {
    auto rows = run("SELECT COUNT(*) FROM association_codes WHERE used_at IS NULL AND expires_at > $1", {now});
    if (!rows) return rows.status();
    return as_int(rows->front().at(0));
}

Result<ClaimResult> Store::claim(const std::string& code, std::int64_t user_id, std::int64_t now) {
    // The one live holder of the code, if any; else say why the code is no good.
    auto rows = run("SELECT device_id, expires_at, used_at FROM association_codes WHERE code = $1 "
                    "ORDER BY (CASE WHEN used_at IS NULL AND expires_at > $2 THEN 0 ELSE 1 END), created_at DESC "
                    "LIMIT 1",
                    {code, now});
    if (!rows) return rows.status();
    if (rows->empty()) return ClaimResult{ClaimOutcome::wrong_code, ""};
    std::string device_id = as_text(rows->front()[0]);
    if (rows->front()[2]) return ClaimResult{ClaimOutcome::already_used, device_id};
    if (as_int(rows->front()[1]) <= now) return ClaimResult{ClaimOutcome::expired, device_id};
    // Only one concurrent claimer can flip used_at from NULL.
    auto used = run("UPDATE association_codes SET used_at = $1, used_by = $2 "
                    "WHERE device_id = $3 AND code = $4 AND used_at IS NULL RETURNING device_id",
                    {now, user_id, device_id, code});
    if (!used) return used.status();
    if (used->empty()) return ClaimResult{ClaimOutcome::already_used, device_id};
    auto owned = run("UPDATE lamps SET owner_id = $1, updated_at = $2 WHERE device_id = $3 AND owner_id IS NULL "
                     "RETURNING device_id",
                     {user_id, now, device_id});
    if (!owned) return owned.status();
    if (owned->empty()) return ClaimResult{ClaimOutcome::already_owned, device_id};
    return ClaimResult{ClaimOutcome::claimed, device_id};
}

Result<std::int64_t> Store::throttle_locked_until(const std::vector<std::pair<std::string, std::string>>& keys,
                                                  std::int64_t now) {
    std::int64_t until = 0;
    for (const auto& [scope, subject] : keys) {
        auto rows = run("SELECT locked_until FROM login_throttle WHERE scope = $1 AND subject = $2 AND locked_until > $3",
                        {scope, subject, now});
        if (!rows) return rows.status();
        if (!rows->empty()) until = std::max(until, as_int(rows->front().at(0)));
    }
    return until;
}

Result<ThrottleCount> Store::throttle_failure(const std::string& scope, const std::string& subject, std::int64_t now,
                                              std::int64_t window_cutoff, std::int64_t forget_cutoff) {
    // One statement, so concurrent failures from several processes all count.
    auto rows = run(
        "INSERT INTO login_throttle (scope, subject, failures, window_start, locked_until, lockouts, updated_at) "
        "VALUES ($1, $2, 1, $3, 0, 0, $3) "
        "ON CONFLICT (scope, subject) DO UPDATE SET "
        "failures = CASE WHEN login_throttle.window_start <= $4 THEN 1 ELSE login_throttle.failures + 1 END, "
        "window_start = CASE WHEN login_throttle.window_start <= $4 THEN excluded.window_start "
        "ELSE login_throttle.window_start END, "
        "lockouts = CASE WHEN login_throttle.updated_at <= $5 THEN 0 ELSE login_throttle.lockouts END, "
        "updated_at = excluded.updated_at "
        "RETURNING failures, locked_until, lockouts",
        {scope, subject, now, window_cutoff, forget_cutoff});
    if (!rows) return rows.status();
    if (rows->empty()) return Status::internal("the login counter update returned nothing");
    const SqlRow& r = rows->front();
    return ThrottleCount{as_int(r.at(0)), as_int(r.at(1)), as_int(r.at(2))};
}

Result<bool> Store::throttle_lock(const std::string& scope, const std::string& subject, std::int64_t now,
                                  std::int64_t until) {
    return any_row(
        run("UPDATE login_throttle SET locked_until = $3, lockouts = lockouts + 1, failures = 0, "
            "window_start = $4 WHERE scope = $1 AND subject = $2 AND locked_until <= $4 RETURNING lockouts",
            {scope, subject, until, now}));
}

Status Store::throttle_clear(const std::string& scope, const std::string& subject) {
    return done(run("DELETE FROM login_throttle WHERE scope = $1 AND subject = $2", {scope, subject}));
}

Status Store::purge_expired(std::int64_t now) {
    if (Status s = done(run("DELETE FROM sessions WHERE expires_at <= $1", {now})); !s) return s;
    if (Status s = done(run("DELETE FROM broker_credentials WHERE expires_at <= $1", {now})); !s) return s;
    // The addresses an account logs in from are kept a month; other counters a day.
    if (Status s = done(run("DELETE FROM rate_counters WHERE window_start <= $1 AND (scope <> 'known' OR "
                            "window_start <= $2)",
                            {now - 24 * 3600, now - 31 * 24 * 3600}));
        !s)
        return s;
    return done(run("DELETE FROM login_throttle WHERE updated_at <= $1 AND locked_until <= $2",
                    {now - 24 * 3600, now}));
}

Result<Store::RateWindow> Store::rate_hit(const std::string& scope, const std::string& subject, std::int64_t now,
                                          std::int64_t window_seconds) {
    auto rows = run(
        "INSERT INTO rate_counters (scope, subject, window_start, hits) VALUES ($1, $2, $3, 1) "
        "ON CONFLICT (scope, subject) DO UPDATE SET "
        "hits = CASE WHEN rate_counters.window_start <= $4 THEN 1 ELSE rate_counters.hits + 1 END, "
        "window_start = CASE WHEN rate_counters.window_start <= $4 THEN excluded.window_start "
        "ELSE rate_counters.window_start END "
        "RETURNING hits, window_start",
        {scope, subject, now, now - window_seconds});
    if (!rows) return rows.status();
    if (rows->empty()) return Status::internal("the rate counter update returned nothing");
    return RateWindow{as_int(rows->front().at(0)), as_int(rows->front().at(1))};
}

Result<Store::RateWindow> Store::rate_peek(const std::string& scope, const std::string& subject, std::int64_t now,
                                           std::int64_t window_seconds) {
    auto rows = run("SELECT hits, window_start FROM rate_counters WHERE scope = $1 AND subject = $2 AND window_start > $3",
                    {scope, subject, now - window_seconds});
    if (!rows) return rows.status();
    if (rows->empty()) return RateWindow{0, now};
    return RateWindow{as_int(rows->front().at(0)), as_int(rows->front().at(1))};
}

Status Store::rate_clear(const std::string& scope, const std::string& subject) {
    return done(run("DELETE FROM rate_counters WHERE scope = $1 AND subject = $2", {scope, subject}));
}

void Store::set_read_cache_ttl(std::chrono::milliseconds ttl) {
    sessions_.set_ttl(ttl);
    lamps_of_.set_ttl(ttl);
}

Status Store::ping() { return done(run("SELECT 1")); }

}  // namespace lampi::cloud::storage
