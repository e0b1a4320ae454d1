#include "cli/commands.h"

#include <fmt/core.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "accounts/accounts.h"
#include "accounts/crypto.h"
#include "analytics/access_keys.h"
#include "analytics/event_queue.h"
#include "analytics/keys.h"
#include "ca_store.h"
#include "enroll/enrollment_tokens.h"
#include "http/https_redirect.h"
#include "lampi/device_id.h"
#include "lampi/files.h"
#include "lampi/log.h"
#include "lampi/utc_time.h"
#include "lamps/broker_revocations.h"
#include "lamps/cloud_link.h"
#include "lamps/lamp_service.h"
#include "storage/store.h"
#include "work_pool.h"

namespace lampi::cloud::cli {
namespace {

int fail(const std::string& message) {
    fmt::print(stderr, "lampi-cloud: {}\n", message);
    return 1;
}

// Store and Accounts for a one-shot command.
struct Tools {
    std::unique_ptr<storage::Store> store;
    std::unique_ptr<accounts::Accounts> accounts;
};

Result<Tools> open_tools(const CommonConfig& c) {
    if (!log::init_from_option("lampi-cloud", c.log_level, {}, c.log_format)) return Status::error("bad --log-level");
    if (Status s = accounts::init_crypto(); !s) return s;
    auto store = storage::Store::open(c.db_url, 1);
    if (!store) return store.status();
    Tools t;
    t.store = std::move(store).value();
    accounts::AccountsOptions options;
    options.cost = c.cost;
    t.accounts = std::make_unique<accounts::Accounts>(*t.store, options, system_clock());
    return t;
}

Result<std::string> read_password(PasswordSource source) {
    std::string password;
    if (source.from_stdin) {
        if (!std::getline(std::cin, password)) return Status::error("no password on standard input");
        return password;
    }
    if (const char* env = std::getenv("LAMPI_PASSWORD")) return std::string(env);
    if (!isatty(STDIN_FILENO))
        return Status::error("no password given: use --password-stdin, set LAMPI_PASSWORD, or run in a terminal");
    termios old{};
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    std::string again;
    fmt::print(stderr, "Password: ");
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, password);
    fmt::print(stderr, "\nPassword again: ");
    std::getline(std::cin, again);
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fmt::print(stderr, "\n");
    if (password != again) return Status::error("the two passwords differ");
    return password;
}

Result<std::int64_t> user_id_of(storage::Store& store, const std::string& username) {
    auto user = store.user_by_name(username);
    if (!user) return user.status();
    if (!*user) return Status::error(fmt::format("no user '{}'; see `lampi-cloud user list`", username));
    return (*user)->id;
}

// Each connection is a file descriptor: raise the soft limit to the hard one,
// and keep the connection cap below it (with room for the database, the broker
// link and log files), so the cap, not accept() failing, decides who is shed.
std::size_t connection_cap(std::size_t wanted) {
    constexpr rlim_t kReserve = 128;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &limit);
        (void)getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > wanted + kReserve) return wanted;
    std::size_t cap = limit.rlim_cur > 2 * kReserve ? static_cast<std::size_t>(limit.rlim_cur - kReserve)
                                                    : static_cast<std::size_t>(limit.rlim_cur / 2);
    log::warn("{} file descriptors allowed (ulimit -n): at most {} connections instead of {}",
              static_cast<unsigned long long>(limit.rlim_cur), cap, wanted);
    return cap;
}

}  // namespace

bool parse_listen(const std::string& text, std::string& address, int& port) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    address = text.substr(0, colon);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
    try {
        std::size_t used = 0;
        port = std::stoi(text.substr(colon + 1), &used);
        return used == text.size() - colon - 1 && port >= 0 && port <= 65535;
    } catch (const std::exception&) {
        return false;
    }
}

int serve(ServeConfig config) {
    if (!log::init_from_option("lampi-cloud", config.common.log_level, {}, config.common.log_format)) return 2;
    if (!parse_listen(config.listen, config.server.address, config.server.port))
        return fail(fmt::format("--listen '{}' is not ADDRESS:PORT (for example 127.0.0.1:8000)", config.listen));
    if (Status s = accounts::init_crypto(); !s) return fail(s.message());
    int connections = config.db_connections > 0 ? config.db_connections : config.server.threads + 2;
    auto store = storage::Store::open(config.common.db_url, connections);
    if (!store) return fail(store.status().message());

    accounts::AccountsOptions account_options;
    account_options.cost = config.common.cost;
    account_options.session_seconds = config.session_days * 24 * 3600;
    account_options.broker_credential_seconds = config.credential_seconds;
    account_options.throttle = config.throttle;
    accounts::Accounts accounts(**store, account_options, system_clock());

    std::unique_ptr<lamps::CloudLink> link;
    lamps::Publisher publisher = [](std::string_view, std::string_view, int, bool) {
        return Status::error("lampi-cloud runs without a broker (--mqtt-host is empty)");
    };
    if (config.mqtt_enabled) {
        if (config.mqtt.client_id.empty()) config.mqtt.client_id = "lampi-cloud";
        link = std::make_unique<lamps::CloudLink>(config.mqtt);
        publisher = [&link](std::string_view topic, std::string_view payload, int qos, bool retain) {
            return link->publish(topic, payload, qos, retain);
        };
        // The platform's own broker login is a superuser at the auth API.
        if (!config.mqtt.username.empty())
            config.app.service_accounts.push_back({config.mqtt.username, config.mqtt.password, true});
        config.app.broker_status = [&link] { return link->status(); };
        auto broker_figures = std::make_shared<metrics::BrokerSysFigures>();
        link->follow_broker_figures(broker_figures);
        config.app.broker_sys = broker_figures;
    }
    // The platform's own analytics events, written off the request and lamp paths.
    analytics::EventStore analytics_store((*store)->database());
    auto platform_events = std::make_shared<analytics::EventQueue>(analytics_store, analytics::EventQueueOptions{}, [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    });
    config.app.events = platform_events;
    config.app.event_queue = platform_events;
    lamps::LampServiceOptions lamp_options;
    lamp_options.events = platform_events;
    lamp_options.code_seconds = config.code_seconds;
    lamps::LampService lamp_service(**store, publisher, lamp_options, system_clock());
    if (link) config.app.revocations = std::make_shared<lamps::MqttRevocations>(publisher, system_clock());
    WorkPool hash_pool(config.hash_threads, config.hash_queue, kHashNiceness);
    api::App app(**store, accounts, lamp_service, config.app, &hash_pool);
    // The queue must end before the store it writes to: only locals of this function hold it.
    config.app.events.reset();
    config.app.event_queue.reset();
    config.server.max_connections = connection_cap(config.server.max_connections);

    config.server.handle_signals = true;
    http::HttpServer server(config.server, [&app](http::Request& r) { return app.handle(r); });
    if (Status s = server.listen(); !s) return fail(s.message());
    // The redirect listener stops when the main server does (which handles the signals).
    std::unique_ptr<http::HttpServer> redirector;
    if (!config.redirect_listen.empty()) {
        http::ServerOptions options;
        if (!parse_listen(config.redirect_listen, options.address, options.port))
            return fail(fmt::format("--redirect-listen '{}' is not ADDRESS:PORT", config.redirect_listen));
        options.threads = 1;
        int https_port = config.public_https_port > 0 ? config.public_https_port : server.port();
        redirector = std::make_unique<http::HttpServer>(options, http::https_redirect_handler(https_port));
        if (Status s = redirector->listen(); !s) return fail(s.message());
        log::info("redirecting http://{}:{}/ to HTTPS port {}", options.address, redirector->port(), https_port);
    }
    std::thread redirect_thread;
    if (redirector) redirect_thread = std::thread([&redirector] { redirector->run(); });
    if (link) {
        link->attach(lamp_service);
        // Never fails for want of a broker: the link keeps trying (see cloud_link.h).
        if (Status s = link->start(); !s) return fail("cannot start the MQTT client: " + s.message());
    }

    // Expired sessions and broker credentials are purged every ten minutes.
    std::mutex purge_mutex;
    std::condition_variable purge_wake;
    bool purge_stop = false;
    std::thread purger([&] {
        std::unique_lock lock(purge_mutex);
        while (!purge_wake.wait_for(lock, std::chrono::minutes(10), [&] { return purge_stop; })) {
            if (Status s = (*store)->purge_expired(std::time(nullptr)); !s) log::warn("purge failed: {}", s.message());
        }
    });

    log::info("serving {}://{}:{}/ with {} thread(s); database {}; argon2id t={} m={} KiB; sign-up {}",
              config.server.tls_cert_file.empty() ? "http" : "https", config.server.address, server.port(),
              config.server.threads, (*store)->dialect() == storage::Dialect::sqlite ? "SQLite" : "PostgreSQL",
              config.common.cost.opslimit, config.common.cost.memlimit_bytes / 1024,
              config.app.signup_enabled ? "on" : "off");
    if (config.app.auth_secret.empty())
        log::warn("the broker auth API has no shared secret (--auth-secret-file); it relies on loopback only");
    server.run();
    // Nothing may complete into the server after it is gone.
    hash_pool.stop();
    app.stop();
    if (redirector) {
        redirector->stop();
        redirect_thread.join();
    }
    {
        std::lock_guard lock(purge_mutex);
        purge_stop = true;
    }
    purge_wake.notify_all();
    purger.join();
    if (link) link->stop();
    log::info("stopped");
    return 0;
}

int user_add(const CommonConfig& c, const std::string& username, bool is_operator, PasswordSource source) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    if (Status s = accounts::Accounts::check_username(username); !s) return fail(s.message());
    auto password = read_password(source);
    if (!password) return fail(password.status().message());
    auto user = tools->accounts->create_user(username, *password, is_operator);
    if (!user) return fail(user.status().message());
    fmt::print("created user {}{}\n", user->username, is_operator ? " (operator)" : "");
    return 0;
}

int user_list(const CommonConfig& c) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto users = tools->store->users();
    if (!users) return fail(users.status().message());
    for (const auto& u : *users) {
        auto lamps = tools->store->owned_device_ids(u.id);
        fmt::print("{}\t{}\t{} lamp(s)\t{}\n", u.username, u.is_operator ? "operator" : "user",
                   lamps ? lamps->size() : 0,
                   u.disabled() ? "disabled since " + utc_iso8601(*u.disabled_at) : "enabled");
    }
    return 0;
}

int user_passwd(const CommonConfig& c, const std::string& username, PasswordSource source) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto id = user_id_of(*tools->store, username);
    if (!id) return fail(id.status().message());
    auto password = read_password(source);
    if (!password) return fail(password.status().message());
    if (Status s = tools->accounts->set_password(*id, *password); !s) return fail(s.message());
    fmt::print("password of {} changed\n", username);
    return 0;
}

int lamp_add(const CommonConfig& c, const std::string& device_id_text, const std::string& name,
             const std::string& owner) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto device_id = normalize_device_id(device_id_text);
    if (!device_id) return fail(device_id.status().message());
    std::optional<std::int64_t> owner_id;
    if (!owner.empty()) {
        auto id = user_id_of(*tools->store, owner);
        if (!id) return fail(id.status().message());
        owner_id = *id;
    }
    if (Status s = tools->store->add_lamp(*device_id, name, owner_id, std::time(nullptr)); !s) return fail(s.message());
    fmt::print("lamp {} added{}\n", *device_id, owner.empty() ? "" : " for " + owner);
    return 0;
}

// Opens like user_list: every command opens the store and fails with its message.
int lamp_list(const CommonConfig& c) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto lamps = tools->store->all_lamps();
    if (!lamps) return fail(lamps.status().message());
    for (const auto& l : *lamps)
        fmt::print("{}\t{}\t{}\t{}\t{}\n", l.device_id, l.name.empty() ? "-" : l.name,
                   l.owner_name.empty() ? "-" : l.owner_name, l.online ? "online" : "offline",
                   l.last_seen_at ? "last seen " + utc_iso8601(*l.last_seen_at) : "never seen");
    return 0;
}

int lamp_assign(const CommonConfig& c, const std::string& device_id_text, const std::string& owner) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto device_id = normalize_device_id(device_id_text);
    if (!device_id) return fail(device_id.status().message());
    std::optional<std::int64_t> owner_id;
    if (owner != "-") {
        auto id = user_id_of(*tools->store, owner);
        if (!id) return fail(id.status().message());
        owner_id = *id;
    }
    if (Status s = tools->store->assign_lamp(*device_id, owner_id, std::time(nullptr)); !s) return fail(s.message());
    fmt::print("lamp {} now belongs to {}\n", *device_id, owner == "-" ? "nobody" : owner);
    return 0;
}

int token_create(const CommonConfig& c, const std::string& username, const std::string& name) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto id = user_id_of(*tools->store, username);
    if (!id) return fail(id.status().message());
    auto token = tools->accounts->create_api_token(*id, name, "control", accounts::kDefaultTokenDays);
    if (!token) return fail(token.status().message());
    // The token goes to stdout alone so scripts can capture it; it is not stored.
    fmt::print("{}\n", token->token);
    return 0;
}

int enroll_token_create(const CommonConfig& c, const std::string& device_id, const std::string& ttl) {
    std::string device;
    if (!device_id.empty()) {
        auto id = normalize_device_id(device_id);
        if (!id) return fail(id.status().message());
        device = *id;
    }
    auto seconds = enroll::parse_token_ttl(ttl);
    if (!seconds) return fail(seconds.status().message());
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    enroll::EnrollmentTokens tokens(tools->store->database());
    auto made = tokens.create(device, *seconds, tools->accounts->now());
    if (!made) return fail(made.status().message());
    // The token alone on stdout, for scripts; what it allows on stderr.
    fmt::print("{}\n", made->token);
    fmt::print(stderr, "enrollment token for {}, usable once until {}\n", device.empty() ? "any lamp" : device,
               ca::format_utc(static_cast<std::time_t>(made->expires_at)));
    return 0;
}

int analytics_keys(const CommonConfig& c, const std::string& name, const AnalyticsKeyFiles& from_files) {
    const std::string* files[] = {&from_files.project_id, &from_files.write_key, &from_files.read_key,
                                  &from_files.master_key};
    int given = 0;
    for (const std::string* f : files) given += !f->empty();
    if (given != 0 && given != 4) {
        fmt::print(stderr,
                   "lampi-cloud: give all of --project-id-file, --write-key-file, --read-key-file and "
                   "--master-key-file, or none\n");
        return 2;
    }
    analytics::ProjectKeys wanted;
    std::string* values[] = {&wanted.project_id, &wanted.write_key, &wanted.read_key, &wanted.master_key};
    for (int i = 0; i < given; ++i) {
        auto secret = read_secret_file(*files[i]);
        if (!secret) return fail(secret.status().message());
        *values[i] = *secret;
    }
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    analytics::EventStore events(tools->store->database());
    auto keys = given ? analytics::register_keys(events, wanted, name, std::time(nullptr))
                      : analytics::create_keys(events, name, std::time(nullptr));
    if (!keys) return fail(keys.status().message());
    // Hex only: no escaping needed.
    fmt::print("{{\"project_id\": \"{}\", \"write_key\": \"{}\", \"read_key\": \"{}\", \"master_key\": \"{}\"}}\n",
               keys->project_id, keys->write_key, keys->read_key, keys->master_key);
    return 0;
}

int analytics_access_key(const CommonConfig& c, const std::string& definition) {
    auto parsed = analytics::parse_access_key(definition);
    if (analytics::failed(parsed)) return fail(std::get<analytics::KeenError>(parsed).status.message());
    const auto& d = std::get<analytics::AccessKeyDefinition>(parsed);
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    analytics::EventStore events(tools->store->database());
    if (auto project = events.project_id(std::time(nullptr)); !project) return fail(project.status().message());
    std::string key = accounts::random_token();
    if (Status s = events.add_key(accounts::secret_hash(key), d.kind, d.name, std::time(nullptr), d.options); !s)
        return fail(s.message());
    fmt::print("{}\n", analytics::describe_key({d.kind, d.name, d.options, false}, key));
    return 0;
}

int analytics_undeclare(const CommonConfig& c, const std::string& collection_property) {
    auto key = analytics::parse_group_rollup(collection_property);
    if (!key) return fail(key.status().message());
    for (const auto& always : analytics::default_group_rollups())
        if (always == *key)
            return fail(
                fmt::format("{} is always counted (the operator's dashboard reads it): every lampi-cloud "
                            "declares it again as it starts",
                            collection_property));
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    analytics::EventStore events(tools->store->database());
    auto forgotten = events.undeclare_group_rollup(*key);
    if (!forgotten) return fail(forgotten.status().message());
    if (!*forgotten) {
        fmt::print("{} was not declared: nothing to do\n", collection_property);
        return 0;
    }
    fmt::print(
        "{} is no longer counted per day and value: its counts are deleted, and a count grouped by it reads the "
        "events again. Leave --analytics-group-rollup {} out of every lampi-cloud's options, or it is declared "
        "(and counted from the stored events) again when that process starts\n",
        collection_property, collection_property);
    return 0;
}

int demo(const CommonConfig& c, const std::string& username, const std::string& password,
         const std::vector<std::string>& lamps) {
    auto tools = open_tools(c);
    if (!tools) return fail(tools.status().message());
    auto existing = tools->store->user_by_name(username);
    if (!existing) return fail(existing.status().message());
    std::int64_t id;
    if (*existing) {
        id = (*existing)->id;
        if (!accounts::verify_password((*existing)->password_hash, password)) {
            if (Status s = tools->accounts->set_password(id, password); !s) return fail(s.message());
        }
    } else {
        auto user = tools->accounts->create_user(username, password, false);
        if (!user) return fail(user.status().message());
        id = user->id;
    }
    std::int64_t now = std::time(nullptr);
    int index = 0;
    for (const std::string& text : lamps) {
        ++index;
        auto device_id = normalize_device_id(text);
        if (!device_id) return fail(device_id.status().message());
        auto lamp = tools->store->lamp(*device_id);
        if (!lamp) return fail(lamp.status().message());
        std::string name = *lamp && !(*lamp)->name.empty() ? (*lamp)->name : fmt::format("Lamp {}", index);
        if (Status s = tools->store->add_lamp(*device_id, name, id, now); !s) return fail(s.message());
    }
    fmt::print("demo user {} owns {} lamp(s)\n", username, lamps.size());
    return 0;
}

}  // namespace lampi::cloud::cli
