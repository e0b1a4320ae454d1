// The narrow seam between the store and a database engine.
//
// A SqlConnection runs one parameterised statement at a time and returns every
// column as text (or NULL), so the store's SQL and its row decoding are the same
// for SQLite and PostgreSQL. Statements use PostgreSQL's $1, $2 placeholders;
// the SQLite connection maps them. A connection is used by one thread at a time;
// the Database pool hands them out.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lampi/status.h"
#include "metrics/instruments.h"

namespace lampi::cloud::storage {

using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;
using SqlRow = std::vector<std::optional<std::string>>;
using SqlRows = std::vector<SqlRow>;

enum class Dialect { sqlite, postgres };

class SqlConnection {
public:
    virtual ~SqlConnection() = default;
    virtual Dialect dialect() const = 0;
    // Runs one statement; rows for SELECT/RETURNING, empty otherwise. A statement
    // that names a row deleted meanwhile (a foreign key) fails with
    // kMissingReference, a failed_precondition (HTTP 409), not an internal error:
    // it is a race with another request, and the user can reload and try again.
    virtual Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
    // Runs several statements without parameters (migrations).
    virtual Status script(const std::string& sql) = 0;
    // True when the last failed statement broke a UNIQUE or PRIMARY KEY constraint.
    virtual bool last_error_was_conflict() const = 0;
};

inline constexpr std::string_view kMissingReference =
    "something this change refers to (a scene, a lamp or an account) was deleted a moment ago; reload and try again";

// Where the database is, from a URL-ish string:
//   sqlite:///absolute/path.sqlite3, sqlite://relative/path.sqlite3, sqlite::memory:
//   postgresql://user@host:port/dbname?host=/socket/dir (anything libpq accepts)
struct DatabaseUrl {
    Dialect dialect;
    std::string target;  // file path for SQLite, the libpq URI for PostgreSQL
};
Result<DatabaseUrl> parse_database_url(std::string_view url);

Result<std::unique_ptr<SqlConnection>> open_sqlite(const std::string& path);
Result<std::unique_ptr<SqlConnection>> open_postgres(const std::string& uri);

// A fixed pool of connections to one database; lease() blocks while all are busy.
class Database {
public:
    class Lease {
    public:
        Lease(Database& db, std::unique_ptr<SqlConnection> c) : db_(&db), conn_(std::move(c)) {}
        Lease(Lease&& other) noexcept : db_(other.db_), conn_(std::move(other.conn_)) {}
        Lease(const Lease&) = delete;
        ~Lease() {
            if (conn_) db_->give_back(std::move(conn_));
        }
        SqlConnection* operator->() { return conn_.get(); }
        SqlConnection& operator*() { return *conn_; }

    private:
        Database* db_;
        std::unique_ptr<SqlConnection> conn_;
    };

    static Result<std::unique_ptr<Database>> open(std::string_view url, int connections);

    Lease lease();
    Dialect dialect() const { return dialect_; }
    // Every statement's time on its connection (the wait for a lease excluded),
    // and the statements that failed: for /metrics.
    const metrics::Histogram& query_times() const { return query_times_; }
    std::uint64_t query_failures() const { return query_failures_.value(); }
    // Grows once every statement that may have changed data (anything but a
    // SELECT) has returned, so after it committed: a value read before a query
    // and still the same later says that no write of this process came after the
    // query began (see read_cache.h). Writes of other processes are not counted.
    std::uint64_t write_generation() const { return write_generation_.load(std::memory_order_acquire); }

private:
    void give_back(std::unique_ptr<SqlConnection> c);

    Dialect dialect_ = Dialect::sqlite;
    metrics::Histogram query_times_;
    metrics::Counter query_failures_;
    std::atomic<std::uint64_t> write_generation_{0};
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<SqlConnection>> idle_;
};

// PostgreSQL, inside an open transaction: runs `lock_statement` (a LOCK TABLE),
// giving way when another session holds a conflicting lock for kLockGiveWay.
// Background work that would stop readers or writers (a month's partition,
// a declaration, retention) takes its locks so: false then, to be tried again
// later, rather than queueing every query behind a lock it waits for.
inline constexpr int kLockGiveWaySeconds = 2;
Result<bool> lock_or_give_way(SqlConnection& conn, std::string_view lock_statement);

// Column helpers for decoding rows.
std::int64_t as_int(const std::optional<std::string>& column, std::int64_t fallback = 0);
std::string as_text(const std::optional<std::string>& column);

}  // namespace lampi::cloud::storage
