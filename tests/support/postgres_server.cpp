#include "postgres_server.h"

#include <fmt/core.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
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
        const char* url_file = std::getenv("LAMPI_TEST_POSTGRES_URL_FILE");
        bool ready = url_file && fs::exists(url_file) ? s->join_shared(url_file, g_reason) : s->start(g_reason);
        if (ready) instance = std::move(s);
    });
    return instance.get();
}

const std::string& PostgresServer::reason() { return g_reason; }

bool PostgresServer::join_shared(const std::string& url_file, std::string& why) {
    std::ifstream in(url_file);
    std::getline(in, base_url_);
    auto colon = base_url_.rfind(':');
    if (colon == std::string::npos || colon + 1 >= base_url_.size()) {
        why =
            fmt::format("{} holds no postgresql://user@host:port URL (the lampi_postgres fixture wrote it)", url_file);
        return false;
    }
    port_ = std::atoi(base_url_.c_str() + colon + 1);
    try {
        pqxx::connection c(base_url_ + "/postgres");
        return true;
    } catch (const std::exception& e) {
        why = fmt::format("the run's shared PostgreSQL at {} does not answer: {}", base_url_, e.what());
        return false;
    }
}

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
    base_url_ = fmt::format("postgresql://postgres@127.0.0.1:{}", port_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            pqxx::connection c(base_url_ + "/postgres");
            return true;
        } catch (const std::exception&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    why = "PostgreSQL did not start: " + state_->server->log();
    return false;
}

PostgresServer::~PostgresServer() {
    if (state_ && state_->server) {
        state_->server->stop(2, std::chrono::seconds(10));  // SIGINT: fast shutdown, its files go with it
        return;
    }
    // The shared server outlives this process: its databases go now, even one a
    // cloud under test still holds a connection to. Through libpq, not libpqxx:
    // this runs among static destructors, after libpqxx's own are gone.
    PGconn* c = PQconnectdb((base_url_ + "/postgres").c_str());
    if (PQstatus(c) == CONNECTION_OK) {
        for (const auto& name : databases_) {
            PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").c_str()));
        }
    }
    PQfinish(c);  // a server already gone leaves them to the fixture's clean-up
}

std::string PostgresServer::fresh_database() {
    std::lock_guard lock(databases_mutex_);
    // Named after the process too: other test processes create theirs on the same server.
    std::string name = fmt::format("lampi_test_{}_{}", getpid(), databases_.size() + 1);
    pqxx::connection c(base_url_ + "/postgres");
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");  // left by a crashed process with this pid
    tx.exec("CREATE DATABASE " + name);
    databases_.push_back(name);
    return base_url_ + "/" + name;
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
