#include "stack_plan.h"

#include <fmt/core.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "broker_passwords.h"
#include "lampi/device_id.h"
#include "lampi/files.h"
#include "lampi/topics.h"
#include "mosquitto_config.h"
#include "pki.h"
#include "secrets.h"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace lampi::stack {
namespace {

std::string current_user() {
    const passwd* entry = getpwuid(geteuid());
    return entry ? entry->pw_name : "root";
}

Status make_dir(const std::string& dir, fs::perms mode = fs::perms(0755)) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!ec) fs::permissions(dir, mode, ec);
    if (ec) return Status::error(fmt::format("cannot create {}: {}", dir, ec.message()));
    return Status::ok();
}

std::string program_section(std::string_view name, std::string_view command, std::string_view log, int priority,
                            std::string_view environment = "") {
    std::string section = fmt::format(
        "\n[program:{name}]\n"
        "command={command}\n"
        "priority={priority}\n"
        "autorestart=true\n"
        "startsecs=1\n"
        "startretries=1000\n"
        "stopsignal=TERM\n"
        "stopwaitsecs=5\n"
        "redirect_stderr=true\n"
        "stdout_logfile={log}\n"
        "stdout_logfile_maxbytes=10MB\n"
        "stdout_logfile_backups=2\n",
        fmt::arg("name", name), fmt::arg("command", command), fmt::arg("priority", priority), fmt::arg("log", log));
    if (!environment.empty()) section += fmt::format("environment={}\n", environment);
    return section;
}

// A sanitized build's plugin needs the sanitizer runtimes inside Mosquitto.
std::string broker_environment() {
#ifdef LAMPI_BROKER_PRELOAD
    return fmt::format("LD_PRELOAD=\"{}\",ASAN_OPTIONS=\"detect_leaks=0\"", LAMPI_BROKER_PRELOAD);
#else
    return "";
#endif
}

std::string login_file(const StackPlan& plan, std::string_view name) {
    return fmt::format("{}/{}-password", plan.secrets_dir, name);
}

BrokerSettings cloud_broker_settings(const StackPlan& plan, const std::string& auth_secret) {
    BrokerSettings cloud;
    cloud.title = fmt::format("LAMPi cloud broker (lamps on {}, services on {}, browsers through lampi-cloud's relay on {})",
                              plan.lamp_mqtt_port, plan.client_mqtt_port, plan.relay_socket);
    cloud.allow_anonymous = false;
    cloud.data_dir = plan.broker_dir;
    cloud.run_as_user = current_user();
    // Every CONNECT is decided inside the broker (signed web credentials, these
    // local logins, lamp certificates); the auth API is asked only by the
    // plugin's background refresher.
    cloud.plugin = PluginSettings{
        plan.auth_plugin,
        {{"auth_url", fmt::format("https://127.0.0.1:{}/auth/v1/user", plan.https_port)},
         {"auth_secret", auth_secret},
         {"auth_cafile", plan.ca_file},
         {"ttl_seconds", "30"},
         {"service_logins", fmt::format("{}:{}", plan.cloud_service.username, plan.cloud_service.password_file)},
         {"operator_logins", fmt::format("{}:{}", plan.operator_login.username, plan.operator_login.password_file)},
         {"control_user", plan.cloud_service.username},
         {"session_expiry_seconds", std::to_string(7 * 24 * 3600)},
         // The lamps' CRL: a lamp revoked with lampi-ca is cut at once, not at the next reload.
         {"crl_file", plan.pki_dir + "/ca/crl.pem"}}};
    ListenerTls server_tls{plan.ca_file, plan.server_cert, plan.server_key, "", false, false};
    ListenerTls lamp_tls = server_tls;
    lamp_tls.require_certificate = true;
    // Not use_identity_as_username: with it Mosquitto skips the plugin's CONNECT
    // check, so a lamp's client id could not be bound to its certificate.
    lamp_tls.use_identity_as_username = false;
    lamp_tls.crl_file = plan.pki_dir + "/ca/crl.pem";
    // The first listener is the lamps' (mutual TLS); the rest follow.
    cloud.port = plan.lamp_mqtt_port;
    cloud.tls = lamp_tls;
    cloud.extra_listeners = {
        Listener{plan.client_mqtt_port, "127.0.0.1", server_tls, ""},
        Listener{0, "", std::nullopt, plan.relay_socket},
    };
    return cloud;
}


std::string render_operator_cli_options(const StackPlan& plan, const std::string& password) {
    return fmt::format("-h 127.0.0.1\n-p {}\n--cafile {}\n-u {}\n-P {}\n", plan.client_mqtt_port, plan.ca_file,
                       plan.operator_login.username, password);
}

std::string render_options(const StackOptions& options) {
    json::object root{{"dir", options.dir},
                      {"lamps", options.lamps},
                      {"port_base", options.port_base},
                      {"build_dir", options.build_dir},
                      {"mosquitto", options.mosquitto},
                      {"log_level", options.log_level},
                      {"log_format", options.log_format},
                      {"credential_seconds", options.credential_seconds},
                      {"screens", options.screens}};
    return json::serialize(root) + "\n";
}

}  // namespace

std::string options_file(const std::string& dir) { return dir + "/stack.json"; }

Result<StackOptions> load_options(const std::string& dir) {
    std::ifstream in(options_file(dir));
    if (!in) return Status::error(fmt::format("no platform in {} (no stack.json: start one with ./lampi up)", dir));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    json::value root = json::parse(text, ec);
    if (ec || !root.is_object()) return Status::error(fmt::format("{} is not valid JSON", options_file(dir)));
    const json::object& o = root.as_object();
    StackOptions options;
    try {
        options.dir = json::value_to<std::string>(o.at("dir"));
        options.lamps = json::value_to<int>(o.at("lamps"));
        options.port_base = json::value_to<int>(o.at("port_base"));
        options.build_dir = json::value_to<std::string>(o.at("build_dir"));
        options.mosquitto = json::value_to<std::string>(o.at("mosquitto"));
        options.log_level = json::value_to<std::string>(o.at("log_level"));
        // Stacks rendered before --log-format logged text.
        if (o.contains("log_format")) options.log_format = json::value_to<std::string>(o.at("log_format"));
        options.credential_seconds = json::value_to<int>(o.at("credential_seconds"));
        // Stacks rendered before screens existed had none.
        options.screens = o.contains("screens") && json::value_to<bool>(o.at("screens"));
    } catch (const std::exception& e) {
        return Status::error(fmt::format("{} lacks a field or has a wrong type: {}", options_file(dir), e.what()));
    }
    return options;
}

// 02 first: a locally administered MAC, which no real lamp has.
std::string simulated_device_id(int index) {
    return device_id_from_number(0x02'00'0000'0000ULL + static_cast<std::uint64_t>(index) + 1);
}

Result<StackPlan> plan_stack(const StackOptions& options) {
    if (options.lamps < 0 || options.lamps > kMaxLamps) {
        return Status::error(fmt::format("--lamps {} is out of range: use 0..{}", options.lamps, kMaxLamps));
    }
    int last_port = options.port_base + kFirstLampOffset + options.lamps;
    if (options.port_base < 1024 || last_port > 65535) {
        return Status::error(fmt::format(
            "--port-base {} puts listeners outside 1024..65535 (the last would be {}): pick a base between 1024 and {}",
            options.port_base, last_port, 65535 - kFirstLampOffset - options.lamps));
    }
    StackPlan plan;
    plan.options = options;
    plan.options.dir = fs::absolute(options.dir).lexically_normal().string();
    plan.options.build_dir = fs::absolute(options.build_dir).lexically_normal().string();
    const std::string& dir = plan.options.dir;
    const std::string& build = plan.options.build_dir;
    plan.lamp_mqtt_port = options.port_base + kLampMqttOffset;
    plan.https_port = options.port_base + kHttpsOffset;
    plan.client_mqtt_port = options.port_base + kClientMqttOffset;
    plan.http_redirect_port = options.port_base + kHttpRedirectOffset;
    plan.broker_dir = dir + "/cloud-broker";
    plan.relay_socket = dir + "/run/cloud-broker.sock";
    // sockaddr_un holds 107 characters.
    if (plan.relay_socket.size() > 107) {
        return Status::error(fmt::format("--dir {} is too long for a unix socket path inside it: use a shorter one",
                                         plan.options.dir));
    }
    plan.cloud_dir = dir + "/cloud";
    plan.pki_dir = dir + "/pki";
    plan.secrets_dir = dir + "/secrets";
    plan.run_dir = dir + "/run";
    plan.supervisord_conf = dir + "/supervisord.conf";
    plan.supervisord_pid_file = dir + "/supervisord.pid";
    plan.cli_dir = dir + "/cli";
    plan.database_file = plan.cloud_dir + "/lampi.sqlite3";
    plan.ca_file = plan.pki_dir + "/ca/ca.pem";
    plan.server_cert = plan.pki_dir + "/server.pem";
    plan.server_key = plan.pki_dir + "/server.key";
    plan.lampid = build + "/src/lampid/lampid";
    plan.lampi_ui = build + "/src/ui/lampi-ui";
    plan.lampi_stack = build + "/src/stack/lampi-stack";
    plan.lampi_cloud = build + "/src/cloud/lampi-cloud";
    plan.auth_plugin = build + "/src/broker-plugin/lampi_auth_plugin.so";
    plan.static_dir = build + "/web/static";
    plan.cloud_service = {"lampi-cloud", login_file(plan, "lampi-cloud")};
    plan.operator_login = {"operator", login_file(plan, "operator")};
    plan.demo = {"demo", login_file(plan, "demo")};
    plan.second_user = {"guest", login_file(plan, "guest")};
    plan.auth_secret_file = plan.secrets_dir + "/auth-secret";
    plan.analytics_project_file = plan.secrets_dir + "/analytics-project-id";
    plan.analytics_write_key_file = plan.secrets_dir + "/analytics-write-key";
    plan.analytics_read_key_file = plan.secrets_dir + "/analytics-read-key";
    plan.analytics_master_key_file = plan.secrets_dir + "/analytics-master-key";
    for (int i = 0; i < options.lamps; ++i) {
        LampPlan lamp;
        lamp.device_id = simulated_device_id(i);
        lamp.broker_port = options.port_base + kFirstLampOffset + i;
        lamp.dir = fmt::format("{}/lamps/{}", dir, lamp.device_id);
        lamp.broker_password_file = fmt::format("{}/lamp-{}-broker", plan.secrets_dir, lamp.device_id);
        lamp.broker_users_file = lamp.dir + "/broker-users";
        // Display numbers follow the port base as the ports do, so two stacks differ;
        // from 100 up, clear of the desktop's own displays.
        if (with_screens(plan.options)) lamp.display = 100 + options.port_base % 10000 + i;
        plan.lamps.push_back(std::move(lamp));
    }
    return plan;
}

bool with_screens(const StackOptions& options) {
    std::error_code ec;
    return options.screens && std::filesystem::exists(options.xvfb, ec);
}

std::vector<int> all_ports(const StackPlan& plan) {
    std::vector<int> ports{plan.lamp_mqtt_port, plan.https_port, plan.client_mqtt_port,
                           plan.http_redirect_port};
    for (const LampPlan& lamp : plan.lamps) ports.push_back(lamp.broker_port);
    return ports;
}

std::vector<ProcessPlan> plan_processes(const StackPlan& plan) {
    const std::string& dir = plan.options.dir;
    auto process = [&](std::string name, std::string command, int priority, std::string environment = "") {
        ProcessPlan p{name, std::move(command), fmt::format("{}/{}.pid", plan.run_dir, name),
                      fmt::format("{}/logs/{}.log", dir, name), priority, std::move(environment)};
        return p;
    };
    std::vector<ProcessPlan> processes;
    processes.push_back(process("cloud-broker",
                                fmt::format("{} -c {}/mosquitto.conf", plan.options.mosquitto, plan.broker_dir), 10,
                                broker_environment()));
    processes.push_back(process(
        "lampi-cloud",
        fmt::format("{cloud} serve --db sqlite://{db} --listen 127.0.0.1:{https} --tls-cert {cert} "
                    "--redirect-listen 127.0.0.1:{redirect} --public-https-port {https} "
                    "--tls-key {key} --static-dir {static} --mqtt-host 127.0.0.1 --mqtt-port {mqtt} "
                    "--mqtt-username {user} --mqtt-password-file {password} --mqtt-ca-file {ca} "
                    "--mqtt-ws-url /mqtt --relay-broker unix:{relay} --public-origin https://127.0.0.1:{https} "
                    "--public-origin https://localhost:{https} "
                    "--auth-secret-file {secret} --log-level {level} --log-format {format}{lifetime}",
                    fmt::arg("cloud", plan.lampi_cloud), fmt::arg("db", plan.database_file),
                    fmt::arg("https", plan.https_port), fmt::arg("redirect", plan.http_redirect_port),
                    fmt::arg("cert", plan.server_cert), fmt::arg("key", plan.server_key),
                    fmt::arg("static", plan.static_dir), fmt::arg("mqtt", plan.client_mqtt_port),
                    fmt::arg("user", plan.cloud_service.username),
                    fmt::arg("password", plan.cloud_service.password_file), fmt::arg("ca", plan.ca_file),
                    fmt::arg("relay", plan.relay_socket), fmt::arg("secret", plan.auth_secret_file),
                    fmt::arg("level", plan.options.log_level), fmt::arg("format", plan.options.log_format),
                    fmt::arg("lifetime", plan.options.credential_seconds > 0
                                             ? fmt::format(" --credential-seconds {}", plan.options.credential_seconds)
                                             : std::string())),
        15));
    for (const LampPlan& lamp : plan.lamps) {
        processes.push_back(process(fmt::format("lamp-broker-{}", lamp.device_id),
                                    fmt::format("{} -c {}/mosquitto.conf", plan.options.mosquitto, lamp.dir), 20));
        processes.push_back(
            process(fmt::format("lampid-{}", lamp.device_id),
                    fmt::format("{} --host 127.0.0.1 --port {} --device-id {} --state-file {}/lamp-state.json "
                                "--backend simulated --simulated-output {}/led-duty --code-file {}/association-code "
                                "--log-level {} --log-format {} --username {} --password-file {}",
                                plan.lampid, lamp.broker_port, lamp.device_id, lamp.dir, lamp.dir, lamp.dir,
                                plan.options.log_level, plan.options.log_format, kLampBrokerUser,
                                lamp.broker_password_file),
                    30));
        if (lamp.display == 0) continue;
        // The lamp's touch screen on a virtual display the size of the Pi's 7" one.
        processes.push_back(
            process(fmt::format("xvfb-{}", lamp.device_id),
                    fmt::format("{} :{} -screen 0 800x480x24 -nolisten tcp", plan.options.xvfb, lamp.display), 25));
        processes.push_back(process(
            fmt::format("lampi-ui-{}", lamp.device_id),
            fmt::format("{} --host 127.0.0.1 --port {} --device-id {} --log-level {} --log-format {} --username {} "
                        "--password-file {}",
                        plan.lampi_ui, lamp.broker_port, lamp.device_id, plan.options.log_level,
                        plan.options.log_format, kLampBrokerUser, lamp.broker_password_file),
            40, fmt::format(R"(DISPLAY=":{}",SDL_VIDEODRIVER="x11")", lamp.display)));
    }
    return processes;
}

std::string render_supervisord_conf(const StackPlan& plan) {
    const std::string& dir = plan.options.dir;
    std::string out = fmt::format(
        "; LAMPi on one machine. Generated by lampi-stack; edits are overwritten.\n"
        "[supervisord]\n"
        "logfile={dir}/logs/supervisord.log\n"
        "pidfile={pidfile}\n"
        "childlogdir={dir}/logs\n"
        "identifier=lampi-{base}\n"
        "umask=077\n"
        "\n[unix_http_server]\n"
        "file={dir}/supervisor.sock\n"
        "chmod=0700\n"
        "\n[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        "\n[supervisorctl]\n"
        "serverurl=unix://{dir}/supervisor.sock\n",
        fmt::arg("dir", dir), fmt::arg("pidfile", plan.supervisord_pid_file), fmt::arg("base", plan.options.port_base));
    for (const ProcessPlan& p : plan_processes(plan)) {
        out += program_section(p.name, fmt::format("{} run --pid-file {} -- {}", plan.lampi_stack, p.pid_file, p.command),
                               p.log_file, p.priority, p.environment);
    }
    return out;
}

std::string render_cloud_setup(const StackPlan& plan) {
    std::string out = fmt::format(
        "#!/bin/sh\n"
        "# The cloud database's set-up for this stack. Generated by lampi-stack.\n"
        "# Each step runs once per database: {done} lists the steps done, so a later\n"
        "# start keeps what users changed since (passwords, lamps released or given away).\n"
        "# Passwords go through standard input, never through a command line.\n"
        "set -eu\n"
        "umask 077\n"
        "cloud={cloud}\n"
        "db=sqlite://{db}\n"
        "done_file={done}\n"
        "touch \"$done_file\"\n"
        "pending() {{ ! grep -qxF \"$1\" \"$done_file\"; }}\n"
        "record() {{ echo \"$1\" >>\"$done_file\"; }}\n"
        "# A user or lamp the database already has (from before this list existed) is left as it is.\n"
        "add_user() {{\n"
        "  pending \"user $1\" || return 0\n"
        "  if ! \"$cloud\" user list --db \"$db\" --log-level warn | cut -f1 | grep -qxF \"$1\"; then\n"
        "    \"$cloud\" user add --db \"$db\" --log-level warn --password-stdin ${{3:-}} \"$1\" <\"$2\" >/dev/null\n"
        "  fi\n"
        "  record \"user $1\"\n"
        "}}\n"
        "add_user {demo} {demo_pw}\n"
        "add_user {second} {second_pw}\n"
        "add_user {op} {op_pw} --operator\n"
        "if pending \"analytics keys\"; then\n"
        "  \"$cloud\" analytics keys --db \"$db\" --log-level warn --name lampi-stack --project-id-file {project} \\\n"
        "    --write-key-file {write} --read-key-file {read} --master-key-file {master} >/dev/null\n"
        "  record \"analytics keys\"\n"
        "fi\n",
        fmt::arg("cloud", plan.lampi_cloud), fmt::arg("db", plan.database_file),
        fmt::arg("done", plan.cloud_dir + "/setup.done"), fmt::arg("demo", plan.demo.username),
        fmt::arg("demo_pw", plan.demo.password_file), fmt::arg("second", plan.second_user.username),
        fmt::arg("second_pw", plan.second_user.password_file), fmt::arg("op", plan.operator_login.username),
        fmt::arg("op_pw", plan.operator_login.password_file), fmt::arg("project", plan.analytics_project_file),
        fmt::arg("write", plan.analytics_write_key_file), fmt::arg("read", plan.analytics_read_key_file),
        fmt::arg("master", plan.analytics_master_key_file));
    int index = 0;
    for (const LampPlan& lamp : plan.lamps) {
        ++index;
        out += fmt::format(
            "if pending \"lamp {id}\"; then\n"
            "  if ! \"$cloud\" lamp list --db \"$db\" --log-level warn | cut -f1 | grep -qxF {id}; then\n"
            "    \"$cloud\" lamp add --db \"$db\" --log-level warn --name \"Lamp {index}\" --owner {demo} {id} >/dev/null\n"
            "  fi\n"
            "  record \"lamp {id}\"\n"
            "fi\n",
            fmt::arg("id", lamp.device_id), fmt::arg("index", index), fmt::arg("demo", plan.demo.username));
    }
    return out;
}

std::string render_endpoints_json(const StackPlan& plan, const std::string& operator_password,
                                  const std::string& demo_password, const std::string& second_password,
                                  const std::vector<std::string>& analytics) {
    json::array lamps;
    for (const LampPlan& lamp : plan.lamps) {
        lamps.push_back(json::object{
            {"device_id", lamp.device_id},
            {"local_mqtt", json::object{{"host", "127.0.0.1"},
                                        {"port", lamp.broker_port},
                                        {"username", kLampBrokerUser},
                                        {"password_file", lamp.broker_password_file}}},
            {"state_file", lamp.dir + "/lamp-state.json"},
            {"led_duty_file", lamp.dir + "/led-duty"},
            {"association_code_file", lamp.dir + "/association-code"},
            {"certificate", lamp.dir + "/lamp.pem"},
            {"key", lamp.dir + "/lamp.key"},
            {"cloud_topic_prefix", topics::cloud_prefix(lamp.device_id)},
        });
    }
    auto login = [](const Login& who, const std::string& password) {
        return json::object{{"username", who.username}, {"password", password}};
    };
    json::object root{
        {"port_base", plan.options.port_base},
        {"dir", plan.options.dir},
        {"ca_file", plan.ca_file},
        {"cloud",
         json::object{
             {"http", json::object{{"url", fmt::format("https://127.0.0.1:{}", plan.https_port)},
                                   {"redirect_url", fmt::format("http://127.0.0.1:{}", plan.http_redirect_port)}}},
             {"websocket", json::object{{"url", fmt::format("wss://127.0.0.1:{}/mqtt", plan.https_port)}}},
             {"mqtt", json::object{{"host", "127.0.0.1"}, {"port", plan.client_mqtt_port}, {"tls", true}}},
             {"lamp_mqtt",
              json::object{
                  {"host", "127.0.0.1"}, {"port", plan.lamp_mqtt_port}, {"tls", true}, {"client_certificate", true}}},
             {"operator", login(plan.operator_login, operator_password)},
         }},
        {"analytics", json::object{{"url", fmt::format("https://127.0.0.1:{}/3.0", plan.https_port)},
                                   {"project_id", analytics.size() > 0 ? analytics[0] : ""},
                                   {"write_key", analytics.size() > 1 ? analytics[1] : ""},
                                   {"read_key", analytics.size() > 2 ? analytics[2] : ""}}},
        {"demo", login(plan.demo, demo_password)},
        {"second_user", login(plan.second_user, second_password)},
        {"lamps", std::move(lamps)},
        {"supervisor", json::object{{"config", plan.options.dir + "/supervisord.conf"},
                                    {"socket", plan.options.dir + "/supervisor.sock"},
                                    {"cloud_setup", plan.options.dir + "/cloud-setup.sh"}}},
    };
    return json::serialize(root) + "\n";
}

Status write_stack(const StackPlan& plan) {
    for (const std::string& dir : {plan.options.dir, plan.options.dir + "/logs", plan.broker_dir, plan.cloud_dir}) {
        if (Status s = make_dir(dir); !s) return s;
    }
    for (const std::string& dir : {plan.secrets_dir, plan.run_dir, plan.cli_dir}) {
        if (Status s = make_dir(dir, fs::perms(0700)); !s) return s;
    }
    if (Status s = make_dir(fs::path(plan.relay_socket).parent_path().string(), fs::perms(0700)); !s) return s;
    Result<std::string> auth_secret = ensure_secret(plan.auth_secret_file, 24);
    if (!auth_secret) return auth_secret.status();
    std::string passwords[4];
    const Login* logins[4] = {&plan.cloud_service, &plan.operator_login, &plan.demo, &plan.second_user};
    for (int i = 0; i < 4; ++i) {
        // People type the demo passwords: keep them short.
        auto secret = ensure_secret(logins[i]->password_file, i >= 2 ? 6 : 16);
        if (!secret) return secret.status();
        passwords[i] = *secret;
    }
    if (Status s = ensure_pki(plan); !s) return s;
    std::vector<std::string> analytics;  // project id, write, read (and master) key
    for (const auto& [file, bytes] : {std::pair{&plan.analytics_project_file, 12},
                                      {&plan.analytics_write_key_file, 32},
                                      {&plan.analytics_read_key_file, 32},
                                      {&plan.analytics_master_key_file, 32}}) {
        auto secret = ensure_secret(*file, bytes);
        if (!secret) return secret.status();
        analytics.push_back(*secret);
    }

    if (Status s = write_file_atomically(plan.broker_dir + "/mosquitto.conf",
                                         render_mosquitto_conf(cloud_broker_settings(plan, *auth_secret)), 0600);
        !s) {
        return s;
    }
    std::string user = current_user();
    for (const LampPlan& lamp : plan.lamps) {
        if (Status s = make_dir(lamp.dir); !s) return s;
        BrokerSettings broker;
        broker.title = fmt::format("LAMPi lamp {} broker on 127.0.0.1:{}", lamp.device_id, lamp.broker_port);
        broker.port = lamp.broker_port;
        // Persistent, so lampid's session (its subscription and the commands
        // queued for it) outlives a crash of the lamp's broker: otherwise the
        // bridge, which reconnects first, hands the commands the cloud queued
        // meanwhile to a broker with no subscriber, which drops them.
        broker.persistence = true;
        broker.data_dir = lamp.dir;
        broker.run_as_user = user;
        // Only the lamp's own services may reach its broker: any local user
        // could otherwise set the lamp and read its association code.
        Result<std::string> password = ensure_secret(lamp.broker_password_file);
        if (!password) return password.status();
        Result<std::string> users = mosquitto_password_line(kLampBrokerUser, *password);
        if (!users) return users.status();
        if (Status s = write_file_atomically(lamp.broker_users_file, *users, 0600); !s) return s;
        broker.allow_anonymous = false;
        broker.password_file = lamp.broker_users_file;
        broker.bridge = BridgeSettings{lamp.device_id, "127.0.0.1", plan.lamp_mqtt_port,
                                       BridgeTls{plan.ca_file, lamp.dir + "/lamp.pem", lamp.dir + "/lamp.key"}};
        if (Status s = write_file_atomically(lamp.dir + "/mosquitto.conf", render_mosquitto_conf(broker)); !s) return s;
    }
    if (Status s = write_file_atomically(plan.options.dir + "/cloud-setup.sh", render_cloud_setup(plan), 0700); !s) {
        return s;
    }
    if (Status s = write_file_atomically(plan.supervisord_conf, render_supervisord_conf(plan)); !s) return s;
    // The operator's options for mosquitto_sub and mosquitto_pub (their own config
    // files, read through XDG_CONFIG_HOME), so the password never sits in a command line.
    std::string operator_cli = render_operator_cli_options(plan, passwords[1]);
    for (const char* tool : {"mosquitto_sub", "mosquitto_pub"}) {
        if (Status s = write_file_atomically(plan.cli_dir + "/" + tool, operator_cli, 0600); !s) return s;
    }
    if (Status s = write_file_atomically(options_file(plan.options.dir), render_options(plan.options)); !s) return s;
    return write_file_atomically(plan.options.dir + "/endpoints.json",
                                 render_endpoints_json(plan, passwords[1], passwords[2], passwords[3], analytics),
                                 0600);
}

}  // namespace lampi::stack
