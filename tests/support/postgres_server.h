// Test support: a private PostgreSQL 15 server for the storage and API tests.
//
// initdb into a temp dir, postgres on a free loopback port (its unix socket in
// the same dir), run as the `postgres` system user because PostgreSQL refuses
// root. Under ctest, every test process shares one server that the lampi_postgres
// fixture started (tests/support/postgres_shared.sh; its URL is in the file that
// LAMPI_TEST_POSTGRES_URL_FILE names). A test binary run by itself starts its own
// on first use and stops it at exit. Each test gets a fresh database from
// fresh_database(), dropped when the process ends.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

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
    bool join_shared(const std::string& url_file, std::string& why);

    struct State;
    std::unique_ptr<State> state_;
    std::string base_url_;  // postgresql://postgres@127.0.0.1:PORT
    int port_ = 0;
    std::mutex databases_mutex_;
    std::vector<std::string> databases_;
};

// "sqlite" or "postgres": the URL of a fresh, empty database for one test.
// SQLite databases live in `dir`.
std::string fresh_database_url(const std::string& backend, const std::string& dir);
// Skips the current test when `backend` is unavailable.
bool backend_available(const std::string& backend, std::string& why);

}  // namespace lampi::testing
