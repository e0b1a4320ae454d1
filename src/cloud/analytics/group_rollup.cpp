#include "analytics/group_rollup.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <limits>
#include <set>
#include <utility>

#include "accounts/crypto.h"
#include "analytics/daily_rollup.h"
#include "analytics/event_store.h"
#include "lampi/log.h"

namespace lampi::cloud::analytics {
namespace json = boost::json;
namespace {

using storage::Dialect;

std::string name_of(const GroupRollupKey& key) { return key.collection + "." + key.property; }

// The declarations `counts` holds, for an error about them.
std::string names_in(const GroupCounts& counts) {
    std::set<std::string> names;
    for (const auto& [row, n] : counts) names.insert(std::get<0>(row) + "." + std::get<2>(row));
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
    return text;
}

double seconds(std::chrono::milliseconds ms) { return std::chrono::duration<double>(ms).count(); }

// ready_from_ms once every day is backfilled.
constexpr std::int64_t kAllDays = std::numeric_limits<std::int64_t>::min();
// ready_from_ms NULL (no day yet) in comparisons: above every day.
constexpr std::int64_t kNoDay = std::numeric_limits<std::int64_t>::max();

// The property at `path` as the database's query path reads it: PostgreSQL's #>
// also steps into an array by an integer index (negative: from the end);
// SQLite's $."name" does not.
const json::value* find(const json::value& event, const std::vector<std::string>& path, Dialect dialect) {
    const json::value* at = &event;
    for (const std::string& part : path) {
        if (const json::object* o = at->if_object()) {
            at = o->if_contains(part);
        } else if (const json::array* a = at->if_array(); a && dialect == Dialect::postgres) {
            std::int64_t index = 0;
            auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
            if (part.empty() || ec != std::errc() || end != part.data() + part.size()) return nullptr;
            auto size = static_cast<std::int64_t>(a->size());
            if (index < 0) index += size;
            if (index < 0 || index >= size) return nullptr;
            at = &(*a)[static_cast<std::size_t>(index)];
        } else {
            return nullptr;
        }
        if (!at) return nullptr;
    }
    return at;
}

// Would PostgreSQL's #> read `part` as an array index where find() would not?
// It parses an index as strtol does, so leading spaces and a '+' are allowed
// there (" 1", "+1": element 1) but not by from_chars.
bool index_only_postgres_reads(std::string_view part) {
    std::size_t i = part.find_first_not_of(" \t\n\v\f\r");
    if (i == std::string_view::npos) return false;
    bool odd = i > 0 || part[i] == '+';
    if (part[i] == '+' || part[i] == '-') ++i;
    if (i == part.size()) return false;
    for (; i < part.size(); ++i)
        if (part[i] < '0' || part[i] > '9') return false;
    return odd;
}

// jsonb keeps numbers as numeric (2.0 comes back as 2) and objects' keys in its
// own order, so on PostgreSQL those values are keyed as it gives them back.
bool keyed_by_database(const json::value& v, Dialect dialect) {
    return dialect == Dialect::postgres && (v.is_double() || v.is_object() || v.is_array());
}

// Each JSON text as PostgreSQL gives it back from jsonb, as a group key.
Result<std::map<std::string, std::string>> keys_from_postgres(storage::SqlConnection& conn,
                                                              const std::set<std::string>& texts) {
    std::map<std::string, std::string> keys;
    constexpr std::size_t kPerStatement = 1000;
    for (auto it = texts.begin(); it != texts.end();) {
        std::string sql = "SELECT ";
        std::vector<storage::SqlValue> params;
        std::vector<const std::string*> asked;
        for (; it != texts.end() && params.size() < kPerStatement; ++it) {
            params.emplace_back(*it);
            asked.push_back(&*it);
            sql += fmt::format("{}(${}::jsonb)::text", params.size() > 1 ? ", " : "", params.size());
        }
        auto rows = conn.query(sql, params);
        if (!rows) return rows.status();
        for (std::size_t i = 0; i < asked.size(); ++i) keys[*asked[i]] = group_value_key(rows->at(0).at(i));
    }
    return keys;
}

// Adds `counts` to the rollup's rows, in the map's order (see add_to_group_rollup);
// the caller names the declarations in an error.
Status upsert(storage::SqlConnection& conn, const GroupCounts& counts) {
    // As add_to_daily_rollup: a statement holds a bounded number of parameters.
    constexpr std::size_t kRowsPerStatement = 1000;
    for (auto it = counts.begin(); it != counts.end();) {
        std::string sql =
            "INSERT INTO analytics_daily_groups (collection, property, day_ms, value_hash, value_json, events) "
            "VALUES ";
        std::vector<storage::SqlValue> params;
        for (; it != counts.end() && params.size() < kRowsPerStatement * 6; ++it) {
            std::size_t n = params.size();
            sql += fmt::format("{}(${}, ${}, ${}, ${}, ${}, ${})", n ? ", " : "", n + 1, n + 2, n + 3, n + 4, n + 5,
                               n + 6);
            const auto& [collection, day, property, value] = it->first;
            params.emplace_back(collection);
            params.emplace_back(property);
            params.emplace_back(day);
            // The row's key, of fixed size whatever the value's (migration 14 says why).
            params.emplace_back(accounts::secret_hash(value));
            params.emplace_back(value);
            params.emplace_back(it->second);
        }
        sql +=
            " ON CONFLICT (collection, property, day_ms, value_hash) DO UPDATE SET events = "
            "analytics_daily_groups.events + excluded.events";
        if (auto done = conn.query(sql, params); !done) return done.status();
    }
    return Status::ok();
}

}  // namespace

std::vector<GroupRollupKey> default_group_rollups() {
    return {{"lamp_changes", "source"}, {"logins", "failure"}, {"logins", "success"}, {"sign_ups", "referred_by"}};
}

Result<GroupRollupKey> parse_group_rollup(std::string_view text) {
    std::size_t dot = text.find('.');
    if (dot == std::string_view::npos)
        return Status::invalid_argument(
            fmt::format("\"{}\" is not COLLECTION.PROPERTY (such as lamp_changes.source)", text));
    GroupRollupKey key{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
    if (auto e = check_collection_name(key.collection))
        return Status::invalid_argument(fmt::format("\"{}\": {}", text, e->status.message()));
    if (key.property.empty() || key.property.size() > kMaxPropertyName)
        return Status::invalid_argument(fmt::format("\"{}\": the property name is empty or too long", text));
    if (key.property.find_first_of("\"\\") != std::string::npos)
        return Status::invalid_argument(
            fmt::format(R"("{}": a property name holding '"' or '\' cannot be rolled up)", text));
    // The first part is always a key: an event is an object.
    std::vector<std::string> path = property_path(key.property);
    for (auto part = path.begin() + 1; part < path.end(); ++part)
        if (index_only_postgres_reads(*part))
            return Status::invalid_argument(
                fmt::format("\"{}\": PostgreSQL reads the part \"{}\" as an array index and the rollup would not, "
                            "so their counts would differ; write the index without spaces or '+'",
                            text, *part));
    return key;
}

std::vector<std::string> property_path(std::string_view name) {
    std::vector<std::string> path;
    std::size_t start = 0;
    for (;;) {
        std::size_t dot = name.find('.', start);
        path.emplace_back(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) return path;
        start = dot + 1;
    }
}

std::string group_value_key(const std::optional<std::string>& json_text) {
    if (!json_text) return "null";
    boost::system::error_code ec;
    json::value v = json::parse(*json_text, ec);
    return ec ? "null" : json::serialize(v);
}

Status add_to_group_rollup(storage::SqlConnection& conn, const std::vector<PreparedEvent>& events) {
    auto declared = conn.query("SELECT collection, property FROM analytics_group_rollups");
    if (!declared) return declared.status().prefixed("cannot read the group rollups: ");
    if (declared->empty()) return Status::ok();
    std::map<std::string, std::vector<std::pair<std::string, std::vector<std::string>>>> properties;
    for (const auto& row : *declared) {
        std::string property = storage::as_text(row[1]);
        std::vector<std::string> path = property_path(property);
        properties[storage::as_text(row[0])].emplace_back(std::move(property), std::move(path));
    }
    // Counted by the value's own JSON first, then by its key.
    GroupCounts own;
    std::set<std::string> ask_database;
    for (const PreparedEvent& e : events) {
        auto declared_here = properties.find(e.collection);
        if (declared_here == properties.end()) continue;
        boost::system::error_code ec;
        json::value body = json::parse(e.json, ec);
        std::int64_t day = utc_day_of(e.timestamp_ms);
        for (const auto& [property, path] : declared_here->second) {
            const json::value* v = ec ? nullptr : find(body, path, conn.dialect());
            std::string text = v && !v->is_null() ? json::serialize(*v) : "null";
            if (v && keyed_by_database(*v, conn.dialect())) ask_database.insert(text);
            ++own[{e.collection, day, property, std::move(text)}];
        }
    }
    if (own.empty()) return Status::ok();
    auto failed = [&own](const Status& why) {
        return why.prefixed(fmt::format("cannot update the group rollup of {}: ", names_in(own)));
    };
    std::map<std::string, std::string> keys;
    if (!ask_database.empty()) {
        auto given = keys_from_postgres(conn, ask_database);
        if (!given) return failed(given.status());
        keys = std::move(given).value();
    }
    GroupCounts counts;
    for (auto& [row, n] : own) {
        auto key = row;
        if (auto k = keys.find(std::get<3>(row)); k != keys.end()) std::get<3>(key) = k->second;
        counts[std::move(key)] += n;
    }
    if (Status s = upsert(conn, counts); !s) return failed(s);
    return Status::ok();
}

namespace {

// Begins a transaction that no batch of events runs beside: SQLite's write lock,
// or PostgreSQL's SHARE lock on the events, waits for the batches in flight and
// holds new ones until the commit, so every batch either saw the declarations as
// they were before or sees them as they are after. `what` ("declaration") names
// the change when the lock is not had.
Status begin_without_batches(storage::SqlConnection& conn, std::string_view what) {
    bool sqlite = conn.dialect() == Dialect::sqlite;
    auto begun = conn.query(sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begun) return begun.status();
    if (sqlite) return Status::ok();
    auto fail = [&conn](const Status& why) {
        (void)conn.query("ROLLBACK");
        return why;
    };
    // Batches queue behind a SHARE lock still waiting (for a VACUUM, an
    // index build): give way soon and be tried again instead.
    Result<bool> locked = storage::lock_or_give_way(conn, "LOCK TABLE analytics_events IN SHARE MODE");
    if (!locked) return fail(locked.status());
    if (!*locked) {
        return fail(Status::unavailable(fmt::format(
            "analytics_events stayed locked by another session (a VACUUM or an index build?) for {} s, so the {} "
            "gave way to the batches",
            storage::kLockGiveWaySeconds, what)));
    }
    return Status::ok();
}

}  // namespace

Status EventStore::declare_group_rollup(const GroupRollupKey& key, std::int64_t now_ms) {
    auto named = [&key](const Status& why) {
        return why.prefixed(fmt::format("cannot declare the group rollup of {}: ", name_of(key)));
    };
    auto conn = db_.lease();
    auto known = conn->query("SELECT 1 FROM analytics_group_rollups WHERE collection = $1 AND property = $2",
                             {key.collection, key.property});
    if (!known) return named(known.status());
    if (!known->empty()) return Status::ok();
    // Without batches beside it, each event is either at most backfill_to_id
    // (counted by the backfill) or stored by a batch that sees the declaration.
    if (Status s = begin_without_batches(*conn, "declaration"); !s) return named(s);
    auto fail = [&conn, &named](const Status& why) {
        (void)conn->query("ROLLBACK");
        return named(why);
    };
    auto last = conn->query("SELECT COALESCE(MAX(id), 0) FROM analytics_events");
    if (!last) return fail(last.status());
    auto made = conn->query(
        "INSERT INTO analytics_group_rollups (collection, property, backfill_to_id, ready_from_ms, declared_at) "
        "VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (collection, property) DO NOTHING RETURNING 1",
        {key.collection, key.property, storage::as_int(last->at(0).at(0)), now_ms});
    if (!made) return fail(made.status());
    auto committed = conn->query("COMMIT");
    if (!committed) return fail(committed.status());
    if (!made->empty())
        log::info(
            "analytics: {} is counted per day and value from now on; the events stored before are counted "
            "in the background",
            name_of(key));
    return Status::ok();
}

Result<bool> EventStore::undeclare_group_rollup(const GroupRollupKey& key) {
    auto named = [&key](const Status& why) {
        return why.prefixed(fmt::format("cannot undeclare the group rollup of {}: ", name_of(key)));
    };
    auto conn = db_.lease();
    // Without batches beside it, none counts into the rows after they are deleted
    // (a declaration made again later would count those events twice).
    if (Status s = begin_without_batches(*conn, "undeclaration"); !s) return named(s);
    auto fail = [&conn, &named](const Status& why) {
        (void)conn->query("ROLLBACK");
        return named(why);
    };
    auto forgotten =
        conn->query("DELETE FROM analytics_group_rollups WHERE collection = $1 AND property = $2 RETURNING 1",
                    {key.collection, key.property});
    if (!forgotten) return fail(forgotten.status());
    auto counts = conn->query("DELETE FROM analytics_daily_groups WHERE collection = $1 AND property = $2",
                              {key.collection, key.property});
    if (!counts) return fail(counts.status());
    auto committed = conn->query("COMMIT");
    if (!committed) return fail(committed.status());
    if (!forgotten->empty()) log::info("analytics: {} is no longer counted per day and value", name_of(key));
    return !forgotten->empty();
}

Result<std::vector<GroupRollupKey>> EventStore::unfinished_group_rollups() {
    auto conn = db_.lease();
    auto rows = conn->query(
        "SELECT collection, property FROM analytics_group_rollups WHERE ready_from_ms IS NULL OR ready_from_ms <> $1 "
        "ORDER BY collection, property",
        {kAllDays});
    if (!rows) return rows.status().prefixed("cannot read the group rollups: ");
    std::vector<GroupRollupKey> keys;
    for (const auto& row : *rows) keys.push_back({storage::as_text(row[0]), storage::as_text(row[1])});
    return keys;
}

Result<bool> EventStore::backfill_group_rollup(const GroupRollupKey& key) {
    const auto& [collection, property] = key;
    auto named = [&key](const Status& why) {
        return why.prefixed(fmt::format("cannot backfill the group rollup of {}: ", name_of(key)));
    };
    std::int64_t last_id = 0, ready = kNoDay;
    std::optional<std::int64_t> day;
    {
        auto conn = db_.lease();
        auto todo = conn->query(
            "SELECT backfill_to_id, COALESCE(ready_from_ms, $1) FROM analytics_group_rollups WHERE collection = $2 "
            "AND property = $3 AND (ready_from_ms IS NULL OR ready_from_ms <> $4)",
            {kNoDay, collection, property, kAllDays});
        if (!todo) return named(todo.status());
        if (todo->empty()) return false;
        last_id = storage::as_int(todo->at(0).at(0));
        ready = storage::as_int(todo->at(0).at(1));
        // The daily rollup knows every day that ever had an event of the collection.
        auto next = conn->query("SELECT MAX(day_ms) FROM analytics_daily WHERE collection = $1 AND day_ms < $2",
                                {collection, ready});
        if (!next) return named(next.status());
        if (next->at(0).at(0)) day = storage::as_int(next->at(0).at(0));
    }
    GroupCounts counts;
    if (day) {
        Aggregation a{collection, *day, *day + kDayMs, {}, {property_path(property)}, {{}}, 0, 0, last_id};
        auto rows = aggregate(a);
        if (!rows) return named(rows.status());
        for (const AggregateRow& r : *rows)
            counts[{collection, *day, property, group_value_key(r.groups.at(0))}] += storage::as_int(r.values.at(0));
    }
    auto conn = db_.lease();
    auto begun = conn->query(db_.dialect() == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begun) return named(begun.status());
    auto fail = [&conn, &named](const Status& why) {
        (void)conn->query("ROLLBACK");
        return named(why);
    };
    // Only from where this run found it: another process may have counted the day meanwhile.
    auto moved = conn->query(
        "UPDATE analytics_group_rollups SET ready_from_ms = $3 WHERE collection = $1 AND property = $2 AND "
        "COALESCE(ready_from_ms, $4) = $5 RETURNING 1",
        {collection, property, day ? *day : kAllDays, kNoDay, ready});
    if (!moved) return fail(moved.status());
    if (moved->empty()) {
        (void)conn->query("ROLLBACK");
        return true;
    }
    if (Status s = upsert(*conn, counts); !s) return fail(s);
    auto committed = conn->query("COMMIT");
    if (!committed) return fail(committed.status());
    if (!day) log::info("analytics: {}: every day is counted per value", name_of(key));
    return true;
}

Result<std::optional<std::int64_t>> EventStore::group_rollup_ready_from(const std::string& collection,
                                                                        const std::string& property) {
    auto conn = db_.lease();
    auto rows = conn->query("SELECT ready_from_ms FROM analytics_group_rollups WHERE collection = $1 AND property = $2",
                            {collection, property});
    if (!rows) return rows.status().prefixed("cannot read the group rollups: ");
    if (rows->empty() || !rows->at(0).at(0)) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(storage::as_int(rows->at(0).at(0)));
}

Result<std::map<std::int64_t, std::map<std::string, std::int64_t>>> EventStore::daily_group_counts(
    const std::string& collection, const std::string& property, std::int64_t from_ms, std::int64_t to_ms) {
    std::map<std::int64_t, std::map<std::string, std::int64_t>> days;
    auto count_events = [&](std::int64_t from, std::int64_t to) -> Status {
        auto rows = aggregate({collection, from, to, {}, {property_path(property)}, {{}}, 0, 0, std::nullopt});
        if (!rows) return rows.status();
        for (const AggregateRow& r : *rows)
            days[utc_day_of(from)][group_value_key(r.groups.at(0))] += storage::as_int(r.values.at(0));
        return Status::ok();
    };
    // Leases and queries as EventStore::events does, each with its own SQL and rows.
    auto count_days = [&](std::int64_t from, std::int64_t to) -> Status {
        auto conn = db_.lease();
        auto rows = conn->query(
            "SELECT day_ms, value_json, events FROM analytics_daily_groups WHERE collection = $1 AND property = $2 "
            "AND day_ms >= $3 AND day_ms < $4",
            {collection, property, from, to});
        if (!rows) return rows.status().prefixed("cannot read the group rollup: ");
        for (const auto& row : *rows)
            days[storage::as_int(row[0])][storage::as_text(row[1])] += storage::as_int(row[2]);
        return Status::ok();
    };
    if (Status s = count_by_whole_days(from_ms, to_ms, count_events, count_days); !s) return s;
    return days;
}

GroupRollupJob::GroupRollupJob(EventStore& store, std::vector<GroupRollupKey> keys,
                               std::function<std::int64_t()> now_ms, std::chrono::milliseconds period,
                               std::chrono::milliseconds idle_recheck)
    : store_(store),
      undeclared_(std::move(keys)),
      now_ms_(std::move(now_ms)),
      period_(period),
      idle_runs_(std::max<std::int64_t>(0, idle_recheck / period - 1)),
      task_(period, PeriodicTask::FirstRun::at_start, [this] { run(); }) {}

void GroupRollupJob::run() {
    if (idle_runs_left_ > 0) {
        --idle_runs_left_;
        return;
    }
    for (auto it = undeclared_.begin(); it != undeclared_.end();) {
        if (Status s = store_.declare_group_rollup(*it, now_ms_()); !s) {
            log::warn("analytics: {} (tried again in {:g} s)", s.message(), seconds(period_));
            ++it;
        } else {
            it = undeclared_.erase(it);
        }
    }
    auto unfinished = store_.unfinished_group_rollups();
    if (!unfinished) {
        log::warn("analytics: {} (tried again in {:g} s)", unfinished.status().message(), seconds(period_));
        return;
    }
    resting_ = undeclared_.empty() && unfinished->empty();
    if (resting_) {
        idle_runs_left_ = idle_runs_;
        return;
    }
    std::vector<GroupRollupKey> turn;
    for (const GroupRollupKey& key : *unfinished) {
        auto failing = failing_.find(key);
        if (failing != failing_.end() && failing->second.runs_to_skip > 0) {
            --failing->second.runs_to_skip;
            continue;
        }
        turn.push_back(key);
    }
    auto until = std::chrono::steady_clock::now() + period_;
    while (!turn.empty()) {
        for (auto it = turn.begin(); it != turn.end();) {
            auto more = store_.backfill_group_rollup(*it);
            if (!more) backfill_failed(*it, more.status());
            else failing_.erase(*it);
            it = more && *more ? it + 1 : turn.erase(it);
            if (std::chrono::steady_clock::now() >= until) return;
        }
    }
}

void GroupRollupJob::backfill_failed(const GroupRollupKey& key, const Status& why) {
    Failing& failing = failing_[key];
    ++failing.failures;
    std::int64_t most = std::max<std::int64_t>(1, std::chrono::milliseconds(kMaxBackfillBackoff) / period_);
    failing.runs_to_skip = std::min<std::int64_t>(std::int64_t{1} << std::min(failing.failures - 1, 30), most);
    log::warn(
        "analytics: {} (failure {} in a row: tried again in {:g} s; the other declarations go on meanwhile, and "
        "counts grouped by {} read the events until its backfill ends; if it keeps failing, fix what the "
        "database refuses)",
        why.message(), failing.failures, seconds(period_ * (failing.runs_to_skip + 1)), name_of(key));
}

}  // namespace lampi::cloud::analytics
