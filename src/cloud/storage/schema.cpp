#include "storage/schema.h"

#include <fmt/core.h>

#include <ctime>

#include "lampi/log.h"

namespace lampi::cloud::storage {
namespace {

struct Migration {
    int version;
    // "{id_pk}" stands for the engine's auto-increment key, "{json}" for its JSON
    // column type (TEXT on SQLite, JSONB on PostgreSQL); a literal brace is doubled.
    const char* sql;
    // Recorded as run on SQLite without running there: it uses what only
    // PostgreSQL has.
    bool postgres_only = false;
    // What runs on SQLite instead of `sql`, where their JSON functions differ.
    const char* sqlite_sql = nullptr;
};

// Times are Unix seconds; flags are 0/1 integers, identical on both engines.
constexpr Migration kMigrations[] = {
    {1, R"SQL(
CREATE TABLE users (
    id {id_pk},
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_operator INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_login BIGINT
);
CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE lamps (
    device_id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    state_json TEXT,
    state_version BIGINT,
    online INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lamps_owner ON lamps(owner_id);
CREATE TABLE association_codes (
    device_id TEXT NOT NULL REFERENCES lamps(device_id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (device_id, code)
);
CREATE INDEX association_codes_code ON association_codes(code);
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE TABLE broker_credentials (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX broker_credentials_expiry ON broker_credentials(expires_at);
)SQL"},
    // Failed-login counters shared by every lampi-cloud process on the database:
    // scope 'user' keys by the submitted username (known or not, so a lockout says
    // nothing about whether an account exists), scope 'addr' by client address.
    {2, R"SQL(
CREATE TABLE login_throttle (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    lockouts INTEGER NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX login_throttle_updated ON login_throttle(updated_at);
)SQL"},
    // Fixed-window event counters (accounts/rate_limit.h): sign-ups and logins per
    // address, login failures per (account, address), code announcements and wrong
    // codes per lamp, user, address and globally. Shared by every process.
    {3, R"SQL(
CREATE TABLE rate_counters (
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX rate_counters_window ON rate_counters(window_start);
)SQL"},
    // API tokens get a public id (to list and revoke them), a scope and an end.
    // Tokens made before this had neither: they keep full control for 90 days
    // from their creation.
    {4, R"SQL(
ALTER TABLE api_tokens ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'control';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE api_tokens SET public_id = substr(token_hash, 1, 16), expires_at = created_at + 7776000;
CREATE INDEX api_tokens_user ON api_tokens(user_id);
)SQL"},
    // Analytics (src/cloud/analytics/): one event per row, its collection and
    // keen.timestamp (Unix milliseconds) as columns so a query's collection and
    // timeframe are an index range; the whole event (with its keen object) as
    // JSON. The platform has one project; its keys are stored hashed.
    {5, R"SQL(
CREATE TABLE analytics_events (
    id {id_pk},
    collection TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    body {json} NOT NULL
);
CREATE INDEX analytics_events_collection_ts ON analytics_events(collection, ts_ms);
CREATE TABLE analytics_project (
    project_id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE analytics_keys (
    key_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
)SQL"},
    // Lamps are grouped by room, a free name the owner chooses ('' = no room).
    {6, R"SQL(
ALTER TABLE lamps ADD COLUMN room TEXT NOT NULL DEFAULT '';
)SQL"},
    // Scenes a user saved: the look of a room's lamps, one set_config object per
    // device id (JSON text). Built-in scenes are code, not rows.
    {7, R"SQL(
CREATE TABLE scenes (
    id {id_pk},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    room TEXT NOT NULL DEFAULT '',
    lamps_json TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scenes_user_name ON scenes(user_id, name);
)SQL"},
    // Timers and weekly schedules (schedules/): a lamp's (target 'lamp',
    // device_id) or a room's (target 'room', room). A weekly one fires on `days`
    // (bit 0 Monday .. bit 6 Sunday) at minute_of_day in time_zone (IANA name);
    // next_fire_at is the next fire in Unix seconds, NULL once a timer is done.
    {8, R"SQL(
CREATE TABLE schedules (
    id {id_pk},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    device_id TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    days INTEGER NOT NULL DEFAULT 0,
    minute_of_day INTEGER NOT NULL DEFAULT 0,
    time_zone TEXT NOT NULL DEFAULT '',
    action_json TEXT NOT NULL,
    preset TEXT NOT NULL DEFAULT '',
    next_fire_at BIGINT,
    last_run_at BIGINT,
    last_outcome TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX schedules_user ON schedules(user_id);
CREATE INDEX schedules_next_fire ON schedules(next_fire_at);
)SQL"},
    // One-time enrollment tokens an operator hands to a lamp so it can get its
    // certificate (enroll/): stored hashed like API tokens; device_id '' when
    // the token is for any lamp; used_at set (by exactly one request) once used.
    {9, R"SQL(
CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by_device TEXT NOT NULL DEFAULT ''
);
)SQL"},
    // Access keys made through Keen's key API: `options` holds the key's
    // definition ({"queries": {"filters": [...]}, "writes": {"autofill": {...}}},
    // JSON text, '' for none) and a revoked key keeps its row, refused.
    {10, R"SQL(
ALTER TABLE analytics_keys ADD COLUMN options TEXT NOT NULL DEFAULT '';
ALTER TABLE analytics_keys ADD COLUMN revoked_at BIGINT;
)SQL"},
    // The operators' admin area (admin/): a user an operator disabled (no login,
    // no session, token or broker credential works) has disabled_at set; a lamp's
    // last_seen_at is when it last reported anything; one-time password reset
    // links are stored hashed like API tokens; every operator action is a row of
    // admin_audit (names as text, so the record outlives the accounts it names).
    {11, R"SQL(
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE lamps ADD COLUMN last_seen_at BIGINT;
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets(user_id);
CREATE TABLE admin_audit (
    id {id_pk},
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX admin_audit_at ON admin_audit(at);
)SQL"},
    // The analytics daily rollup (analytics/daily_rollup.h): each collection's
    // events per UTC day (day_ms: the day's start, Unix ms), written in the
    // events' transaction; made here from the events already stored. The floor
    // division works for times before 1970 too.
    {12, R"SQL(
CREATE TABLE analytics_daily (
    collection TEXT NOT NULL,
    day_ms BIGINT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (collection, day_ms)
);
INSERT INTO analytics_daily (collection, day_ms, events)
SELECT collection, ts_ms - ((ts_ms % 86400000) + 86400000) % 86400000 AS day_ms, COUNT(*)
FROM analytics_events GROUP BY collection, day_ms;
)SQL"},
    // A schedule may set a saved scene (schedules/): scene_id names it, and the
    // key keeps a scene from being deleted while a schedule sets it (the cloud
    // refuses such a delete first, with the schedules' names; README "Schedules").
    {13, R"SQL(
ALTER TABLE schedules ADD COLUMN scene_id BIGINT REFERENCES scenes(id);
CREATE INDEX schedules_scene ON schedules(scene_id);
)SQL"},
    // The analytics group rollup (analytics/group_rollup.h): events per UTC day
    // and value (value_json: the value's JSON, 'null' when missing) of each
    // declared (collection, property). Rows are keyed by value_hash, a hash of
    // value_json: PostgreSQL refuses a btree index row over 2704 bytes, and a
    // value may be longer; property before day_ms, so reading one property's
    // days reads no other's rows. Declarations are lampi-cloud options, so
    // the rows are made at start, not here: analytics_group_rollups records each
    // declaration, the last event id stored before it (older events are counted
    // by a backfill, newer ones by their batch) and the first UTC day from which
    // the counts are complete (NULL: none yet).
    {14, R"SQL(
CREATE TABLE analytics_group_rollups (
    collection TEXT NOT NULL,
    property TEXT NOT NULL,
    backfill_to_id BIGINT NOT NULL,
    ready_from_ms BIGINT,
    declared_at BIGINT NOT NULL,
    PRIMARY KEY (collection, property)
);
CREATE TABLE analytics_daily_groups (
    collection TEXT NOT NULL,
    day_ms BIGINT NOT NULL,
    property TEXT NOT NULL,
    value_hash TEXT NOT NULL,
    value_json TEXT NOT NULL,
    events BIGINT NOT NULL,
    PRIMARY KEY (collection, property, day_ms, value_hash)
);
)SQL"},
    // PostgreSQL partitions the analytics events by time (analytics/partitions.h):
    // one partition per UTC month, made by lampi-cloud, and a default partition
    // for the events of any month that has none yet. The events stored so far
    // move into the default partition, keeping their ids, and the id sequence
    // goes on. The key is an index, not a primary key: a partitioned table's
    // unique index must hold every partitioning column of every level, and the
    // sequence alone gives each id once.
    {15, R"SQL(
ALTER TABLE analytics_events RENAME TO analytics_events_unpartitioned;
ALTER INDEX analytics_events_collection_ts RENAME TO analytics_events_unpartitioned_collection_ts;
CREATE TABLE analytics_events (
    id BIGINT NOT NULL DEFAULT nextval('analytics_events_id_seq'),
    collection TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    body JSONB NOT NULL
) PARTITION BY RANGE (ts_ms);
CREATE INDEX analytics_events_collection_ts ON analytics_events(collection, ts_ms);
CREATE INDEX analytics_events_id ON analytics_events(id);
CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;
INSERT INTO analytics_events (id, collection, ts_ms, body)
SELECT id, collection, ts_ms, body FROM analytics_events_unpartitioned;
ALTER SEQUENCE analytics_events_id_seq OWNED BY analytics_events.id;
DROP TABLE analytics_events_unpartitioned;
)SQL",
     true},
    // lamp_changes recorded before they carried a `source` get the one their `client`
    // gives (lamps/change_source.h as it stood then; a schedule's commands said
    // lampi-cloud then, so they count as api), and the group rollup of
    // lamp_changes.source is forgotten: lampi-cloud declares it again at start and
    // its backfill counts every event anew, instead of the old ones as unknown.
    {16, R"SQL(
UPDATE analytics_events SET body = jsonb_set(body, '{{source}}', to_jsonb(
    CASE WHEN body->>'client' IN ('lamp_ui', 'lamp_ble', 'homeassistant', 'lamp_service') THEN body->>'client'
         WHEN body->>'client' = 'lampi-cloud' THEN 'api'
         WHEN body->>'client' = 'lampi-cloud/schedule' THEN 'schedule'
         WHEN substr(body->>'client', 1, 8) = 'web-ble-' THEN 'web_ble'
         WHEN substr(body->>'client', 1, 4) = 'web-' THEN 'web'
         ELSE 'other' END))
WHERE collection = 'lamp_changes' AND body->'source' IS NULL AND jsonb_typeof(body->'client') = 'string';
DELETE FROM analytics_daily_groups WHERE collection = 'lamp_changes' AND property = 'source';
DELETE FROM analytics_group_rollups WHERE collection = 'lamp_changes' AND property = 'source';
)SQL",
     false, R"SQL(
UPDATE analytics_events SET body = json_set(body, '$.source',
    CASE WHEN json_extract(body, '$.client') IN ('lamp_ui', 'lamp_ble', 'homeassistant', 'lamp_service')
             THEN json_extract(body, '$.client')
         WHEN json_extract(body, '$.client') = 'lampi-cloud' THEN 'api'
         WHEN json_extract(body, '$.client') = 'lampi-cloud/schedule' THEN 'schedule'
         WHEN substr(json_extract(body, '$.client'), 1, 8) = 'web-ble-' THEN 'web_ble'
         WHEN substr(json_extract(body, '$.client'), 1, 4) = 'web-' THEN 'web'
         ELSE 'other' END)
WHERE collection = 'lamp_changes' AND json_type(body, '$.source') IS NULL AND json_type(body, '$.client') = 'text';
DELETE FROM analytics_daily_groups WHERE collection = 'lamp_changes' AND property = 'source';
DELETE FROM analytics_group_rollups WHERE collection = 'lamp_changes' AND property = 'source';
)SQL"},
};

std::string render(const char* sql, Dialect dialect) {
    return fmt::format(fmt::runtime(sql),
                       fmt::arg("id_pk", dialect == Dialect::sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY"),
                       fmt::arg("json", dialect == Dialect::sqlite ? "TEXT" : "JSONB"));
}

}  // namespace

int schema_version() { return kMigrations[std::size(kMigrations) - 1].version; }

Status migrate(SqlConnection& conn) {
    if (Status s = conn.script("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                               "applied_at BIGINT NOT NULL)");
        !s)
        return Status::error("cannot create the schema_migrations table: " + s.message());
    auto rows = conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!rows) return rows.status();
    std::int64_t current = as_int(rows->at(0).at(0));
    if (current > schema_version())
        return Status::error(fmt::format("the database has schema version {} but this lampi-cloud knows only up to {}; "
                                         "run a newer lampi-cloud",
                                         current, schema_version()));
    for (const Migration& m : kMigrations) {
        if (m.version <= current) continue;
        bool sqlite = conn.dialect() == Dialect::sqlite;
        const char* text = sqlite && m.sqlite_sql ? m.sqlite_sql : m.sql;
        bool runs_here = !m.postgres_only || !sqlite;
        std::string sql = "BEGIN;\n" + (runs_here ? render(text, conn.dialect()) : std::string()) +
                          fmt::format("\nINSERT INTO schema_migrations (version, applied_at) VALUES ({}, {});\nCOMMIT;",
                                      m.version, static_cast<long long>(std::time(nullptr)));
        if (Status s = conn.script(sql); !s) {
            (void)conn.script("ROLLBACK");
            return Status::error(fmt::format("schema migration {} failed: {}", m.version, s.message()));
        }
        log::info("database schema migrated to version {}", m.version);
    }
    return Status::ok();
}

}  // namespace lampi::cloud::storage
