// The lampi-cloud subcommands, each a function from parsed options to an exit
// code (0 ok, 1 failed, 2 bad usage). main.cpp only parses options and calls these.
// Errors are printed to stderr as "lampi-cloud: <what is wrong and what to do>".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accounts/crypto.h"
#include "accounts/login_throttle.h"
#include "api/app.h"
#include "http/server.h"
#include "lampi/mqtt_client.h"

namespace lampi::cloud::cli {

struct CommonConfig {
    std::string db_url = "sqlite://lampi-cloud.sqlite3";
    accounts::PasswordCost cost;
    std::string log_level = "info";
    std::string log_format = "text";
};

struct ServeConfig {
    CommonConfig common;
    std::string listen = "127.0.0.1:8000";
    http::ServerOptions server;
    api::AppOptions app;
    bool mqtt_enabled = true;
    MqttOptions mqtt;
    int db_connections = 0;  // 0: threads + 2
    std::int64_t session_days = 14;
    std::int64_t code_seconds = 600;
    std::int64_t credential_seconds = 900;
    accounts::ThrottleOptions throttle;
    // argon2id runs on hash_threads; at most hash_queue hashes wait (then 503).
    std::size_t hash_threads = 2;
    std::size_t hash_queue = 16;
    // A second, plain-HTTP listener that only redirects to HTTPS; the port the
    // redirects name (0: the --listen port).
    std::string redirect_listen;
    int public_https_port = 0;
};

int serve(ServeConfig config);

// Password sources for user add/passwd: --password-stdin, then $LAMPI_PASSWORD,
// then an interactive prompt without echo.
struct PasswordSource {
    bool from_stdin = false;
};

int user_add(const CommonConfig& c, const std::string& username, bool is_operator, PasswordSource source);
int user_list(const CommonConfig& c);
int user_passwd(const CommonConfig& c, const std::string& username, PasswordSource source);
int lamp_add(const CommonConfig& c, const std::string& device_id, const std::string& name, const std::string& owner);
int lamp_list(const CommonConfig& c);
int lamp_assign(const CommonConfig& c, const std::string& device_id, const std::string& owner);
int token_create(const CommonConfig& c, const std::string& username, const std::string& name);
// Prints a new enrollment token alone on stdout; `device_id` '' lets any lamp use it.
int enroll_token_create(const CommonConfig& c, const std::string& device_id, const std::string& ttl);
// Prints the analytics project id and a new write, read and master key as one
// JSON object (the keys are shown only this once). With `from_files` (project id,
// write, read and master key files, owner-only), registers those instead.
struct AnalyticsKeyFiles {
    std::string project_id, write_key, read_key, master_key;
};
int analytics_keys(const CommonConfig& c, const std::string& name, const AnalyticsKeyFiles& from_files);
// Makes a scoped access key (analytics/access_keys.h) and prints it as the key API would.
int analytics_access_key(const CommonConfig& c, const std::string& definition);
// Forgets a declared group rollup (COLLECTION.PROPERTY) and its counts; the
// default ones, which the dashboard reads, are refused.
int analytics_undeclare(const CommonConfig& c, const std::string& collection_property);
// Creates `username` with `password` (or resets the password) and makes them own
// each lamp in `lamps`. Safe to run again.
int demo(const CommonConfig& c, const std::string& username, const std::string& password,
         const std::vector<std::string>& lamps);

// "127.0.0.1:8000" -> address, port.
bool parse_listen(const std::string& text, std::string& address, int& port);

}  // namespace lampi::cloud::cli
