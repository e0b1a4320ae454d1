#include "postgres_server.h"

#include <fmt/core.h>
#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "process.h"

namespace lampi::testing {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

std::string g_reason;

}  // namespace

struct PostgresServer::State {
    TempDir dir;
    std::unique_ptr<Process> server;
};

PostgresServer* PostgresServer::shared() {
    static std::once_flag once;
    static std::unique_ptr<PostgresServer> instance;
    std::call_once(once, [] {
        std::unique_ptr<PostgresServer> s(new PostgresServer());
        if (s->start(g_reason)) instance = std::move(s);
    });
    return instance.get();
}

const std::string& PostgresServer::reason() { return g_reason; }

bool PostgresServer::start(std::string& why) {
    if (!fs::exists(fmt::format("{}/initdb", kBin))) {
        why = "PostgreSQL 15 is not installed (apt-get install postgresql)";
        return false;
    }
    passwd* pg = getpwnam("postgres");
    if (!pg) {
        why = "no 'postgres' system user to run PostgreSQL as";
        return false;
    }
    state_ = std::make_unique<State>();
    const std::string& dir = state_->dir.path();
    std::string data = dir + "/data";
    // PostgreSQL refuses to run as root: the temp dir belongs to `postgres`.
    if (chown(dir.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        why = "cannot hand the temp dir to the postgres user";
        return false;
    }
    std::vector<std::string> as_postgres = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                                            "--"};
    auto with = [&](std::vector<std::string> tail) {
        std::vector<std::string> argv = as_postgres;
        argv.insert(argv.end(), tail.begin(), tail.end());
        return argv;
    };
    RunResult initdb = run(with({fmt::format("{}/initdb", kBin), "-D", data, "-A", "trust", "-U", "postgres",
                                 "--no-sync", "-E", "UTF8", "--locale=C"}),
                           dir + "/initdb.log", std::chrono::seconds(60));
    if (initdb.exit_code != 0) {
        why = "initdb failed: " + initdb.output;
        return false;
    }
    port_ = lampi::testing::free_port();
    state_->server = std::make_unique<Process>(with({fmt::format("{}/postgres", kBin), "-D", data, "-k", dir, "-p",
                                                     std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c",
                                                     "fsync=off", "-c", "synchronous_commit=off", "-c",
                                                     "full_page_writes=off", "-c", "max_connections=200"}),
                                               dir + "/postgres.log");
    state_->server->start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            pqxx::connection c(fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", port_));
            return true;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    why = "PostgreSQL did not start: " + state_->server->log();
    return false;
}

PostgresServer::~PostgresServer() {
    if (state_ && state_->server) state_->server->stop(2, std::chrono::seconds(10));  // SIGINT: fast shutdown
}

std::string PostgresServer::fresh_database() {
    std::string name = fmt::format("lampi_test_{}", ++databases_);
    pqxx::connection c(fmt::format("postgresql://postgres@127.0.0.1:{}/postgres", port_));
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + name);
    tx.exec("CREATE DATABASE " + name);
    return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, name);
}

bool backend_available(const std::string& backend, std::string& why) {
    if (backend != "postgres") return true;
    if (PostgresServer::shared()) return true;
    why = PostgresServer::reason();
    return false;
}

std::string fresh_database_url(const std::string& backend, const std::string& dir) {
    if (backend == "postgres") return PostgresServer::shared()->fresh_database();
    static int n = 0;
    return fmt::format("sqlite://{}/cloud-{}.sqlite3", dir, ++n);
}

}  // namespace lampi::testing
