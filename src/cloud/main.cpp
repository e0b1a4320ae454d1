// lampi-cloud: the LAMPi cloud service and its operator CLI. Parses options
// and hands them to the subcommand functions in cli/commands.h and
// cli/serve_arguments.h.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/serve_arguments.h"
#include "lampi/log_cli.h"

namespace {

using lampi::cloud::cli::CommonConfig;

// Options every subcommand shares.
void add_common(CLI::App* cmd, CommonConfig& c, std::size_t& memory_kib) {
    cmd->add_option("--db", c.db_url, "database: sqlite:///path/db.sqlite3 or postgresql://user@host:port/dbname")
        ->capture_default_str();
    cmd->add_option("--argon2-ops", c.cost.opslimit, "argon2id passes (time cost) for new password hashes")
        ->capture_default_str()
        ->check(CLI::Range(1, 16));
    cmd->add_option("--argon2-memory-kib", memory_kib, "argon2id memory for new password hashes, in KiB")
        ->capture_default_str()
        ->check(CLI::Range(8, 1024 * 1024));
    lampi::add_log_options(*cmd, c.log_level, c.log_format);
}

}  // namespace

int main(int argc, char** argv) {
    namespace cli = lampi::cloud::cli;
    CLI::App app{"lampi-cloud: the LAMPi cloud service (accounts, lamps, JSON API, broker auth API)\n"
                 "and its operator commands."};
    app.require_subcommand(1);
    // A config file sets any subcommand's options in its section ([serve]: listen = "...",
    // keys are option names without --); the command line wins; an unknown key is an error.
    app.set_config("--config", "", "read options from an INI/TOML file: `lampi-cloud --config FILE serve`");
    app.allow_config_extras(CLI::config_extras_mode::error);
    CommonConfig common;
    std::size_t memory_kib = common.cost.memlimit_bytes / 1024;

    // serve
    cli::ServeArguments serve_arguments;
    cli::ServeConfig& serve = serve_arguments.serve;
    auto* s = app.add_subcommand("serve", "run the web service");
    add_common(s, common, memory_kib);
    s->add_option("--listen", serve.listen, "ADDRESS:PORT to serve HTTP on")->capture_default_str();
    s->add_option("--threads", serve.server.threads, "server threads")->capture_default_str()->check(CLI::Range(1, 64));
    s->add_option("--db-connections", serve.db_connections, "database connections (default threads + 2)");
    s->add_option("--static-dir", serve.app.static_dir, "directory served at /static/");
    s->add_flag("--no-signup", serve_arguments.no_signup, "turn the self sign-up page off");
    s->add_option("--led-rated-hours", serve.app.led_rated_hours,
                  "the lamps' LED rated life in hours: owners are told past 90 % of it")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    s->add_option("--tls-cert", serve.server.tls_cert_file, "PEM certificate chain: serve HTTPS");
    s->add_option("--tls-key", serve.server.tls_key_file, "PEM private key for --tls-cert");
    s->add_option("--header-limit", serve.server.header_limit, "largest request header, bytes")->capture_default_str();
    s->add_option("--body-limit", serve.server.body_limit, "largest request body, bytes")->capture_default_str();
    s->add_option("--mqtt-host", serve.mqtt.host, "cloud broker host; empty runs without a broker")
        ->capture_default_str();
    s->add_option("--mqtt-port", serve.mqtt.port, "cloud broker port")->capture_default_str()->check(CLI::Range(1, 65535));
    s->add_option("--mqtt-username", serve.mqtt.username, "this service's broker login (a superuser at the auth API)");
    s->add_option("--mqtt-password-file", serve_arguments.mqtt_password_file,
                  "owner-only file whose first line is the broker password");
    s->add_option("--mqtt-ca-file", serve_arguments.mqtt_tls.ca_file, "CA certificate: connect to the broker over TLS");
    s->add_option("--mqtt-cert-file", serve_arguments.mqtt_tls.cert_file,
                  "client certificate for the broker (mutual TLS)");
    s->add_option("--mqtt-key-file", serve_arguments.mqtt_tls.key_file, "private key for --mqtt-cert-file");
    s->add_option("--mqtt-client-id", serve.mqtt.client_id, "MQTT client id (default lampi-cloud)");
    s->add_option("--mqtt-ws-url", serve.app.mqtt_ws_url, "broker WebSocket URL handed to the control page")
        ->capture_default_str();
    s->add_option("--relay-broker", serve.server.relay.broker,
                  "unix:/path or ADDRESS:PORT of the broker's plain MQTT listener: relay MQTT over WebSocket at /mqtt");
    s->add_option("--public-origin", serve.server.relay.allowed_origins,
                  "this site's origin as browsers see it, e.g. https://lampi.example.com (repeatable): the pages "
                  "that may open the MQTT relay (default: the request's own scheme and Host)");
    s->add_option("--relay-max-connections", serve.server.relay.max_connections, "relayed MQTT connections at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->add_option("--relay-max-message", serve.server.relay.max_message,
                  "largest WebSocket message a client may send, bytes (keep at most the broker's max_packet_size)")
        ->capture_default_str()
        ->check(CLI::Range(64, 1024 * 1024));
    s->add_option(
         "--relay-idle-seconds", serve_arguments.relay_idle_seconds,
         "close a relayed connection whose client sent nothing for this long (keep above MQTT keepalive x 1.5)")
        ->capture_default_str()
        ->check(CLI::Range(1, 86400));
    s->add_option("--relay-write-seconds", serve_arguments.relay_write_seconds,
                  "close a relayed connection whose peer does not take a message for this long")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    s->add_option("--auth-secret-file", serve_arguments.auth_secret_file,
                  "file whose first line the broker must send in X-Lampi-Auth-Secret to /auth/v1/*");
    s->add_flag("--auth-allow-remote", serve.app.auth_allow_remote, "let non-loopback callers use /auth/v1/*");
    s->add_option("--service-account-file", serve_arguments.service_accounts,
                  "NAME:FILE: a broker superuser login for a platform service, its password in the owner-only "
                  "FILE (repeatable)");
    s->add_option("--session-days", serve.session_days, "session lifetime in days")->capture_default_str();
    s->add_option("--code-seconds", serve.code_seconds, "how long an association code may be used")
        ->capture_default_str();
    s->add_option("--credential-seconds", serve.credential_seconds, "lifetime of a control page's broker credential")
        ->capture_default_str();
    s->add_option(
        "--trusted-proxy", serve_arguments.trusted_proxies,
        "ADDRESS or ADDRESS/PREFIX of a reverse proxy whose X-Forwarded-For/-Proto are believed (repeatable)");
    s->add_option("--redirect-listen", serve.redirect_listen,
                  "ADDRESS:PORT of a plain-HTTP listener that only redirects to HTTPS");
    s->add_option("--public-https-port", serve.public_https_port,
                  "HTTPS port the redirects name (default: the --listen port)")
        ->check(CLI::Range(1, 65535));
    s->add_option("--login-account-limit", serve.throttle.account_limit,
                  "failed logins per username in 15 min before it is locked")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->add_option("--max-connections", serve.server.max_connections,
                  "open connections; at the cap the oldest idle one is closed for a new one")
        ->capture_default_str()
        ->check(CLI::Range(16, 1000000));
    s->add_option("--hash-threads", serve.hash_threads, "threads that hash passwords (argon2id)")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    s->add_option("--hash-queue", serve.hash_queue, "password hashes that may wait for a thread before 503")
        ->capture_default_str()
        ->check(CLI::Range(0, 10000));
    s->add_option("--login-rate", serve.app.login_rate.limit, "password logins per client address per minute")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    // One option a statement, each with its range, like the others: --help lists them all.
    s->add_option("--signup-rate", serve.app.signup_rate.limit, "sign-ups per client address per hour")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->add_option("--login-address-limit", serve.throttle.address_limit,
                  "failed logins per client address in 15 min before it is locked")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    s->add_option("--enroll-ca-dir", serve_arguments.enroll_ca_dir,
                  "lampi-ca directory whose CA signs lamps' certificates at POST /api/v1/enroll (off without it)");
    s->add_option("--enroll-ca-passphrase-file", serve_arguments.enroll_ca_passphrase_file,
                  "owner-only file whose first line is the passphrase of --enroll-ca-dir's key");
    s->add_option("--enroll-days", serve_arguments.enroll_days,
                  "days of validity of the lamps' certificates signed at enrollment and renewal")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    s->add_option("--analytics-write-rate", serve.app.analytics_write_limit.events_per_second,
                  "analytics events each write key may store per second, over time (0: no limit)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e9));
    s->add_option("--analytics-write-burst", serve.app.analytics_write_limit.burst,
                  "analytics events a write key that was quiet may store at once")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e9));
    s->add_option("--analytics-retention-days", serve.app.analytics_retention_days,
                  "delete raw analytics events older than this many days, hourly, keeping their daily counts and "
                  "the group rollup's (0: keep them forever)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    s->add_option("--analytics-group-rollup", serve_arguments.analytics_group_rollups,
                  "COLLECTION.PROPERTY whose events are counted per UTC day and value, so a count grouped by it "
                  "answers from those counts (repeatable, at most 32; declare properties of few values; "
                  "lamp_changes.source, logins.success, logins.failure and sign_ups.referred_by always are). "
                  "The declaration is recorded in the database: leaving the option out later does not undo it, "
                  "`lampi-cloud analytics undeclare` does");
    s->add_option("--enroll-rate", serve.app.enroll_rate.limit, "enrollment attempts per client address per hour")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));

    // user
    cli::PasswordSource password_source;
    std::string username, device_id, lamp_name, owner, token_name;
    bool is_operator = false;
    auto* user = app.add_subcommand("user", "manage users")->require_subcommand(1);
    auto* user_add = user->add_subcommand("add", "create a user");
    user_add->add_option("username", username, "the new user's name")->required();
    user_add->add_flag("--operator", is_operator, "an operator: a superuser on the broker");
    user_add->add_flag("--password-stdin", password_source.from_stdin, "read the password from standard input");
    add_common(user_add, common, memory_kib);
    auto* user_list = user->add_subcommand("list", "list users");
    add_common(user_list, common, memory_kib);
    auto* user_passwd = user->add_subcommand("passwd", "set a user's password");
    user_passwd->add_option("username", username, "the user")->required();
    user_passwd->add_flag("--password-stdin", password_source.from_stdin, "read the password from standard input");
    add_common(user_passwd, common, memory_kib);

    // lamp
    auto* lamp = app.add_subcommand("lamp", "manage lamps")->require_subcommand(1);
    auto* lamp_add = lamp->add_subcommand("add", "register a lamp (optionally for an owner)");
    lamp_add->add_option("device_id", device_id, "12 hex digits (colons allowed)")->required();
    lamp_add->add_option("--name", lamp_name, "display name");
    lamp_add->add_option("--owner", owner, "username of its owner");
    add_common(lamp_add, common, memory_kib);
    auto* lamp_list = lamp->add_subcommand("list", "list lamps with owner and online flag");
    add_common(lamp_list, common, memory_kib);
    auto* lamp_assign = lamp->add_subcommand("assign", "give a lamp to a user ('-' for nobody)");
    lamp_assign->add_option("device_id", device_id, "12 hex digits")->required();
    lamp_assign->add_option("owner", owner, "username, or - to release it")->required();
    add_common(lamp_assign, common, memory_kib);

    // token
    auto* token = app.add_subcommand("token", "manage API tokens")->require_subcommand(1);
    auto* token_create = token->add_subcommand("create", "create an API token for a user (printed once)");
    token_create->add_option("username", username, "the user")->required();
    token_create->add_option("--name", token_name, "what the token is for");
    add_common(token_create, common, memory_kib);

    // enroll-token
    std::string enroll_device, enroll_ttl = "1h";
    auto* enroll_token =
        app.add_subcommand("enroll-token", "one-time tokens lamps use to get their certificates")->require_subcommand(1);
    auto* enroll_token_create =
        enroll_token->add_subcommand("create", "create an enrollment token (printed once, stored hashed)");
    enroll_token_create->add_option("--device", enroll_device, "only this device id may use it (default: any lamp)");
    enroll_token_create->add_option("--ttl", enroll_ttl, "how long it may be used: 90s, 30m, 1h, 7d (at most 30d)")
        ->capture_default_str();
    add_common(enroll_token_create, common, memory_kib);

    // analytics
    std::string key_name;
    auto* analytics = app.add_subcommand("analytics", "the Keen-compatible analytics API")->require_subcommand(1);
    auto* analytics_keys =
        analytics->add_subcommand("keys", "print the project id and a new write, read and master key (shown once)");
    analytics_keys->add_option("--name", key_name, "what the keys are for");
    cli::AnalyticsKeyFiles key_files;
    analytics_keys->add_option("--project-id-file", key_files.project_id,
                               "register keys made elsewhere: the project id, from this owner-only file");
    analytics_keys->add_option("--write-key-file", key_files.write_key, "the write key to register, from this file");
    analytics_keys->add_option("--read-key-file", key_files.read_key, "the read key to register, from this file");
    analytics_keys->add_option("--master-key-file", key_files.master_key, "the master key to register, from this file");
    add_common(analytics_keys, common, memory_kib);
    std::string key_definition;
    auto* analytics_access_key = analytics->add_subcommand(
        "access-key", "make a scoped key from a definition as Keen's key API takes it (the key is shown once)");
    analytics_access_key
        ->add_option("--definition", key_definition,
                     R"(e.g. {"name": "acme", "permitted": ["queries"], "options": {"queries": {"filters": [...]}}})")
        ->required();
    add_common(analytics_access_key, common, memory_kib);

    std::string undeclared_rollup;
    auto* analytics_undeclare = analytics->add_subcommand(
        "undeclare", "stop counting a declared --analytics-group-rollup per day and value, and delete its counts");
    analytics_undeclare->add_option("rollup", undeclared_rollup, "COLLECTION.PROPERTY, as it was declared")->required();
    add_common(analytics_undeclare, common, memory_kib);

    // demo
    std::string demo_user = "demo", demo_password = "lampi-demo";
    std::vector<std::string> demo_lamps;
    auto* demo = app.add_subcommand("demo", "create the demo user owning the given lamps (idempotent)");
    demo->add_option("--user", demo_user, "demo username")->capture_default_str();
    demo->add_option("--password", demo_password, "demo password")->capture_default_str();
    demo->add_option("--lamp", demo_lamps, "device id the demo user owns (repeatable)");
    add_common(demo, common, memory_kib);

    CLI11_PARSE(app, argc, argv);
    common.cost.memlimit_bytes = memory_kib * 1024;

    if (s->parsed()) return cli::serve_with(std::move(serve_arguments), common);
    if (user_add->parsed()) return cli::user_add(common, username, is_operator, password_source);
    if (user_list->parsed()) return cli::user_list(common);
    if (user_passwd->parsed()) return cli::user_passwd(common, username, password_source);
    if (lamp_add->parsed()) return cli::lamp_add(common, device_id, lamp_name, owner);
    if (lamp_list->parsed()) return cli::lamp_list(common);
    if (lamp_assign->parsed()) return cli::lamp_assign(common, device_id, owner);
    if (token_create->parsed()) return cli::token_create(common, username, token_name);
    if (enroll_token_create->parsed()) return cli::enroll_token_create(common, enroll_device, enroll_ttl);
    if (analytics_keys->parsed()) return cli::analytics_keys(common, key_name, key_files);
    if (analytics_access_key->parsed()) return cli::analytics_access_key(common, key_definition);
    if (analytics_undeclare->parsed()) return cli::analytics_undeclare(common, undeclared_rollup);
    if (demo->parsed()) return cli::demo(common, demo_user, demo_password, demo_lamps);
    return 2;
}
