// SqlConnection over SQLite: WAL mode, foreign keys on, a busy timeout so
// concurrent writers wait instead of failing, and a cache of prepared statements.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unordered_map>

#include "lampi/log.h"
#include "storage/sql.h"

namespace lampi::cloud::storage {
namespace {

// $1 -> ?1: SQLite's numbered parameters, so the store's SQL stays PostgreSQL-style.
std::string to_sqlite_params(const std::string& sql) {
    std::string out = sql;
    for (std::size_t i = 0; i + 1 < out.size(); ++i)
        if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
    return out;
}

class SqliteConnection final : public SqlConnection {
public:
    explicit SqliteConnection(sqlite3* db) : db_(db) {}
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);
    }

    Dialect dialect() const override { return Dialect::sqlite; }
    bool last_error_was_conflict() const override { return conflict_; }

    Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        conflict_ = false;
        sqlite3_stmt* stmt = nullptr;
        auto it = statements_.find(sql);
        if (it != statements_.end()) {
            stmt = it->second;
        } else {
            std::string translated = to_sqlite_params(sql);
            if (sqlite3_prepare_v3(db_, translated.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
                return Status::internal(fmt::format("SQLite cannot prepare a statement: {}", sqlite3_errmsg(db_)));
            statements_.emplace(sql, stmt);
        }
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        for (std::size_t i = 0; i < params.size(); ++i) {
            int index = static_cast<int>(i + 1);
            const SqlValue& p = params[i];
            if (std::holds_alternative<std::nullptr_t>(p)) {
                sqlite3_bind_null(stmt, index);
            } else if (auto* n = std::get_if<std::int64_t>(&p)) {
                sqlite3_bind_int64(stmt, index, *n);
            } else {
                const std::string& s = std::get<std::string>(p);
                sqlite3_bind_text(stmt, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
            }
        }
        SqlRows rows;
        int columns = sqlite3_column_count(stmt);
        for (;;) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                int code = sqlite3_extended_errcode(db_);
                conflict_ = code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
                std::string message = sqlite3_errmsg(db_);
                sqlite3_reset(stmt);
                if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
                    return Status::failed_precondition(std::string(kMissingReference));
                return Status::internal("SQLite: " + message);
            }
            SqlRow row(static_cast<std::size_t>(columns));
            for (int c = 0; c < columns; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) continue;
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                row[static_cast<std::size_t>(c)] = std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
            }
            rows.push_back(std::move(row));
        }
        sqlite3_reset(stmt);
        return rows;
    }

    Status script(const std::string& sql) override {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "unknown error";
            sqlite3_free(error);
            return Status::internal("SQLite: " + message);
        }
        return Status::ok();
    }

private:
    sqlite3* db_;
    bool conflict_ = false;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// The database holds password hashes and live association codes: owner-only.
// SQLite gives its -wal and -shm files the database file's mode, so creating the
// file 0600 before SQLite opens it covers all three; a database made earlier
// with a wider mode is narrowed.
void make_owner_only(const std::string& path) {
    if (path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0) return;
    // Only when the file is new: closing any descriptor of a file drops every
    // POSIX lock this process holds on it, so re-opening a database that the
    // pool's other connections already use would silently unlock them, and
    // another process (the operator CLI) could then checkpoint and delete the
    // WAL that this one still writes to.
    if (::access(path.c_str(), F_OK) != 0) {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
    }
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::chmod((path + suffix).c_str(), 0600);
}

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_sqlite(const std::string& path) {
    make_owner_only(path);
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close_v2(db);
        return Status::error(fmt::format("cannot open SQLite database {}: {} (does the directory exist and is it writable?)",
                                         path, message));
    }
    auto conn = std::make_unique<SqliteConnection>(db);
    sqlite3_busy_timeout(db, 5000);
    // WAL lets readers run while one writer commits; NORMAL sync is durable
    // across process crashes, which is what a session table needs.
    if (Status s = conn->script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"); !s)
        return Status::error(fmt::format("cannot set up SQLite database {}: {}", path, s.message()));
    return std::unique_ptr<SqlConnection>(std::move(conn));
}

}  // namespace lampi::cloud::storage
