// Test support: a private PostgreSQL 15 server for the storage and API tests.
//
// initdb into a temp dir, postgres on a free loopback port (its unix socket in
// the same dir), run as the `postgres` system user because PostgreSQL refuses
// root. One server per test binary (started on first use, stopped at exit);
// each test gets a fresh database from fresh_database().
#pragma once

#include <memory>
#include <string>

namespace lampi::testing {

class PostgresServer {
public:
    // The shared server, started on first call. Null when PostgreSQL is not
    // installed; tests then skip with reason().
    static PostgresServer* shared();
    static const std::string& reason();

    // Creates an empty database and returns its postgresql:// URL.
    std::string fresh_database();
    int port() const { return port_; }
    ~PostgresServer();

private:
    PostgresServer() = default;
    bool start(std::string& why);

    struct State;
    std::unique_ptr<State> state_;
    int port_ = 0;
    int databases_ = 0;
};

// "sqlite" or "postgres": the URL of a fresh, empty database for one test.
// SQLite databases live in `dir`.
std::string fresh_database_url(const std::string& backend, const std::string& dir);
// Skips the current test when `backend` is unavailable.
bool backend_available(const std::string& backend, std::string& why);

}  // namespace lampi::testing
