#include "storage/sql.h"

#include <fmt/core.h>

#include <charconv>

namespace lampi::cloud::storage {

Result<DatabaseUrl> parse_database_url(std::string_view url) {
    constexpr std::string_view kSqlite = "sqlite://";
    if (url == "sqlite::memory:") return DatabaseUrl{Dialect::sqlite, ":memory:"};
    if (url.substr(0, kSqlite.size()) == kSqlite) {
        std::string path(url.substr(kSqlite.size()));
        if (path.empty()) return Status::error("sqlite URL has no path; use sqlite:///absolute/path/lampi.sqlite3");
        return DatabaseUrl{Dialect::sqlite, path};
    }
    if (url.substr(0, 13) == "postgresql://" || url.substr(0, 11) == "postgres://")
        return DatabaseUrl{Dialect::postgres, std::string(url)};
    return Status::error(fmt::format(
        "unknown database URL '{}'; use sqlite:///path/to/lampi.sqlite3 or postgresql://user@host:port/dbname", url));
}

namespace {

// Only a plain SELECT is sure to change nothing; anything else (INSERT ... RETURNING,
// WITH, a script) counts as a write.
bool reads_only(std::string_view sql) {
    std::size_t start = sql.find_first_not_of(" \t\r\n");
    return start != std::string_view::npos && sql.substr(start, 7) == "SELECT ";
}

// Times each statement of the connection it wraps, into its Database's figures,
// and counts the statements that may have written (each commits on its own).
class TimedConnection final : public SqlConnection {
public:
    TimedConnection(std::unique_ptr<SqlConnection> inner, metrics::Histogram& times, metrics::Counter& failures,
                    std::atomic<std::uint64_t>& writes)
        : inner_(std::move(inner)), times_(times), failures_(failures), writes_(writes) {}
    Dialect dialect() const override { return inner_->dialect(); }
    Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        auto start = std::chrono::steady_clock::now();
        Result<SqlRows> rows = inner_->query(sql, params);
        times_.observe_since(start);
        if (!reads_only(sql)) writes_.fetch_add(1, std::memory_order_acq_rel);
        if (!rows) failures_.add();
        return rows;
    }
    Status script(const std::string& sql) override {
        auto start = std::chrono::steady_clock::now();
        Status s = inner_->script(sql);
        times_.observe_since(start);
        writes_.fetch_add(1, std::memory_order_acq_rel);
        if (!s) failures_.add();
        return s;
    }
    bool last_error_was_conflict() const override { return inner_->last_error_was_conflict(); }

private:
    std::unique_ptr<SqlConnection> inner_;
    metrics::Histogram& times_;
    metrics::Counter& failures_;
    std::atomic<std::uint64_t>& writes_;
};

}  // namespace

Result<std::unique_ptr<Database>> Database::open(std::string_view url, int connections) {
    auto parsed = parse_database_url(url);
    if (!parsed) return parsed.status();
    auto db = std::make_unique<Database>();
    db->dialect_ = parsed->dialect;
    if (parsed->dialect == Dialect::sqlite && parsed->target == ":memory:") connections = 1;  // one shared db
    for (int i = 0; i < std::max(1, connections); ++i) {
        auto conn = parsed->dialect == Dialect::sqlite ? open_sqlite(parsed->target) : open_postgres(parsed->target);
        if (!conn) return conn.status();
        db->idle_.push_back(std::make_unique<TimedConnection>(std::move(conn).value(), db->query_times_,
                                                              db->query_failures_, db->write_generation_));
    }
    return db;
}

Database::Lease Database::lease() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
}

void Database::give_back(std::unique_ptr<SqlConnection> c) {
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }
    available_.notify_one();
}

Result<bool> lock_or_give_way(SqlConnection& conn, std::string_view lock_statement) {
    if (Status s = conn.script(fmt::format("SET LOCAL lock_timeout = '{}s'; {}", kLockGiveWaySeconds, lock_statement));
        !s) {
        // PostgreSQL's words for SQLSTATE 55P03, which libpqxx's message carries.
        if (s.message().find("lock timeout") != std::string::npos) return false;
        return s;
    }
    return true;
}

std::int64_t as_int(const std::optional<std::string>& column, std::int64_t fallback) {
    if (!column) return fallback;
    std::int64_t v = fallback;
    auto [ptr, ec] = std::from_chars(column->data(), column->data() + column->size(), v);
    (void)ptr;
    return ec == std::errc() ? v : fallback;
}

std::string as_text(const std::optional<std::string>& column) { return column ? *column : std::string(); }

}  // namespace lampi::cloud::storage
