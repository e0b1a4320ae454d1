#include "analytics/event_store.h"

#include <fmt/core.h>

#include "accounts/crypto.h"
#include "analytics/daily_rollup.h"

namespace lampi::cloud::analytics {
namespace {

constexpr std::size_t kRowsPerInsert = 100;

std::string insert_sql(std::size_t rows) {
    std::string sql = "INSERT INTO analytics_events (collection, ts_ms, body) VALUES ";
    for (std::size_t i = 0; i < rows; ++i)
        sql += fmt::format("{}(${}, ${}, ${})", i ? ", " : "", 3 * i + 1, 3 * i + 2, 3 * i + 3);
    return sql;
}

}  // namespace

std::string_view key_kind_name(KeyKind kind) {
    // A switch on purpose: -Wswitch names any value added later without its name.
    switch (kind) {
        case KeyKind::write: return "write";
        case KeyKind::read: return "read";
        case KeyKind::master: return "master";
    }
    return "write";
}

Status EventStore::insert(const std::vector<PreparedEvent>& events) {
    if (events.empty()) return Status::ok();
    auto conn = db_.lease();
    // SQLite: take the write lock at BEGIN, so two writers wait for each other
    // (busy timeout) instead of one failing when it upgrades a read lock.
    auto begun = conn->query(db_.dialect() == storage::Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begun) return begun.status().prefixed("cannot store analytics events: ");
    auto fail = [&conn](Status why) {
        (void)conn->query("ROLLBACK");
        return why;
    };
    for (std::size_t start = 0; start < events.size(); start += kRowsPerInsert) {
        std::size_t rows = std::min(kRowsPerInsert, events.size() - start);
        std::vector<storage::SqlValue> params;
        params.reserve(rows * 3);
        for (std::size_t i = start; i < start + rows; ++i) {
            params.emplace_back(events[i].collection);
            params.emplace_back(events[i].timestamp_ms);
            params.emplace_back(events[i].json);
        }
        auto done = conn->query(insert_sql(rows), params);
        if (!done) return fail(done.status().prefixed("cannot store analytics events: "));
    }
    // Last, so the rollups' rows are locked only for the commit.
    if (Status s = add_to_daily_rollup(*conn, events); !s) return fail(s);
    if (Status s = add_to_group_rollup(*conn, events); !s) return fail(s);
    auto committed = conn->query("COMMIT");
    if (!committed) return fail(committed.status().prefixed("cannot store analytics events: "));
    return Status::ok();
}

Result<std::vector<StoredEvent>> EventStore::events(const std::string& collection, std::int64_t from_ms,
                                                    std::int64_t to_ms, std::int64_t limit) {
    auto conn = db_.lease();
    auto rows = conn->query(
        "SELECT ts_ms, body FROM analytics_events WHERE collection = $1 AND ts_ms >= $2 AND ts_ms < $3 "
        "ORDER BY ts_ms, id LIMIT $4",
        {collection, from_ms, to_ms, limit});
    if (!rows) return rows.status().prefixed("cannot read analytics events: ");
    std::vector<StoredEvent> events;
    events.reserve(rows->size());
    for (const auto& row : *rows) events.push_back({storage::as_int(row[0]), storage::as_text(row[1])});
    return events;
}

Result<std::vector<OwnedSwitch>> EventStore::lamp_switches(const std::string& device_id, std::int64_t to_ms) {
    // The same statement on both engines but for how the three properties are read.
    bool sqlite = db_.dialect() == storage::Dialect::sqlite;
    std::string device = sqlite ? "json_extract(body, '$.device_id')" : "(body ->> 'device_id')";
    std::string on = sqlite ? "(CASE json_type(body, '$.on') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
                            : "(CASE jsonb_typeof(body -> 'on') WHEN 'boolean' THEN (body ->> 'on')::boolean::int END)";
    std::string owner =
        sqlite ? "(CASE json_type(body, '$.owner_id') WHEN 'integer' THEN json_extract(body, '$.owner_id') END)"
               : "(CASE jsonb_typeof(body -> 'owner_id') WHEN 'number' THEN (body ->> 'owner_id')::bigint END)";
    std::string sql = fmt::format(
        "SELECT ts_ms, is_on, owner FROM ("
        "SELECT ts_ms, id, is_on, owner, LAG(is_on) OVER (PARTITION BY owner ORDER BY ts_ms, id) AS prev_on FROM ("
        "SELECT ts_ms, id, {on} AS is_on, {owner} AS owner FROM analytics_events "
        "WHERE collection = 'lamp_changes' AND ts_ms < $1 AND {device} = $2) AS changes WHERE is_on IS NOT NULL"
        ") AS ordered WHERE prev_on IS NULL OR prev_on <> is_on ORDER BY ts_ms, id",
        fmt::arg("on", on), fmt::arg("owner", owner), fmt::arg("device", device));
    auto conn = db_.lease();
    auto rows = conn->query(sql, {to_ms, device_id});
    if (!rows) return rows.status().prefixed("cannot read the lamp's switches: ");
    std::vector<OwnedSwitch> switches;
    switches.reserve(rows->size());
    for (const auto& row : *rows) {
        OwnedSwitch s{{storage::as_int(row[0]), storage::as_int(row[1]) != 0}, std::nullopt};
        if (row[2]) s.owner_id = storage::as_int(row[2]);
        switches.push_back(s);
    }
    return switches;
}

Result<std::int64_t> EventStore::count(const std::string& collection, std::int64_t from_ms, std::int64_t to_ms) {
    auto conn = db_.lease();
    auto rows =
        conn->query("SELECT COUNT(*) FROM analytics_events WHERE collection = $1 AND ts_ms >= $2 AND ts_ms < $3",
                    {collection, from_ms, to_ms});
    if (!rows) return rows.status().prefixed("cannot count analytics events: ");
    return storage::as_int(rows->at(0).at(0));
}

Result<std::string> EventStore::project_id(std::int64_t now, const std::string& wanted) {
    auto conn = db_.lease();
    auto rows = conn->query("SELECT project_id FROM analytics_project LIMIT 1");
    if (!rows) return rows.status();
    if (!rows->empty()) return storage::as_text(rows->at(0).at(0));
    // Two processes may race here: the first row wins and both read it back.
    auto made = conn->query(
        "INSERT INTO analytics_project (project_id, created_at) SELECT CAST($1 AS TEXT), CAST($2 AS BIGINT) "
        "WHERE NOT EXISTS (SELECT 1 FROM analytics_project)",
        {wanted.empty() ? accounts::random_token().substr(0, 24) : wanted, now});
    if (!made) return made.status();
    rows = conn->query("SELECT project_id FROM analytics_project LIMIT 1");
    if (!rows) return rows.status();
    if (rows->empty()) return Status::internal("the analytics project row vanished");
    return storage::as_text(rows->at(0).at(0));
}

Status EventStore::add_key(const std::string& key_hash, KeyKind kind, const std::string& name, std::int64_t now,
                           const std::string& options) {
    auto conn = db_.lease();
    auto done = conn->query(
        "INSERT INTO analytics_keys (key_hash, kind, name, created_at, options) VALUES ($1, $2, $3, $4, $5)",
        {key_hash, std::string(key_kind_name(kind)), name, now, options});
    return done ? Status::ok() : done.status().prefixed("cannot store the analytics key: ");
}

Result<std::optional<KeyGrant>> EventStore::key_grant(const std::string& key_hash) {
    auto conn = db_.lease();
    auto rows =
        conn->query("SELECT kind, name, options, revoked_at FROM analytics_keys WHERE key_hash = $1", {key_hash});
    if (!rows) return rows.status();
    if (rows->empty()) return std::optional<KeyGrant>();
    const auto& row = rows->at(0);
    KeyGrant grant;
    std::string kind = storage::as_text(row.at(0));
    grant.kind = kind == "master" ? KeyKind::master : kind == "read" ? KeyKind::read : KeyKind::write;
    grant.name = storage::as_text(row.at(1));
    grant.options = storage::as_text(row.at(2));
    grant.revoked = row.at(3).has_value();
    return std::optional<KeyGrant>(std::move(grant));
}

Result<bool> EventStore::revoke_key(const std::string& key_hash, std::int64_t now) {
    auto conn = db_.lease();
    auto rows = conn->query(
        "UPDATE analytics_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE key_hash = $1 RETURNING key_hash",
        {key_hash, now});
    if (!rows) return rows.status().prefixed("cannot revoke the analytics key: ");
    return !rows->empty();
}

}  // namespace lampi::cloud::analytics
