#include "stack_plan.h"

#include <arpa/inet.h>
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
        {{"auth_url", fmt::format("https://{}:{}/auth/v1/user", plan.cloud_local_address, plan.https_port)},
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
    cloud.bind_address = plan.options.listen_address;
    cloud.tls = lamp_tls;
    cloud.extra_listeners = {
        Listener{plan.client_mqtt_port, plan.options.listen_address, server_tls, ""},
        Listener{0, "", std::nullopt, plan.relay_socket},
    };
    return cloud;
}


std::string render_operator_cli_options(const StackPlan& plan, const std::string& password) {
    return fmt::format("-h {}\n-p {}\n--cafile {}\n-u {}\n-P {}\n", plan.cloud_local_address, plan.client_mqtt_port,
                       plan.ca_file, plan.operator_login.username, password);
}

// A session-type bus on a unix socket in the stack's run directory (mode 0700):
// only this user reaches it.
std::string render_private_bus_conf(const StackPlan& plan) {
    return fmt::format(
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<!-- The lamps' bus, for lampi-ble. Generated by lampi-stack; edits are overwritten. -->\n"
        "<busconfig>\n  <type>session</type>\n  <listen>unix:path={}</listen>\n  <auth>EXTERNAL</auth>\n"
        "  <policy context=\"default\">\n    <allow send_destination=\"*\"/>\n    <allow own=\"*\"/>\n"
        "  </policy>\n</busconfig>\n",
        plan.private_bus_socket);
}

// One field a line, as the JSON reads (like lampi-load's JSON report).
std::string render_options(const StackOptions& options) {
    json::object root{{"role", role_name(options.role)},
                      {"dir", options.dir},
                      {"lamps", options.lamps},
                      {"port_base", options.port_base},
                      {"build_dir", options.build_dir},
                      {"mosquitto", options.mosquitto},
                      {"log_level", options.log_level},
                      {"log_format", options.log_format},
                      {"credential_seconds", options.credential_seconds},
                      {"signup_rate", options.signup_rate},
                      {"screens", options.screens},
                      {"ble", options.ble},
                      {"listen_address", options.listen_address},
                      {"public_name", options.public_name},
                      {"database", options.database},
                      {"cloud_host", options.cloud_host},
                      {"cloud_ca_file", options.cloud_ca_file},
                      {"first_lamp", options.first_lamp}};
    return json::serialize(root) + "\n";
}

bool is_ipv4(const std::string& text) {
    in_addr address{};
    return ::inet_pton(AF_INET, text.c_str(), &address) == 1;
}

// A host name as a certificate and an /etc/hosts line carry it: letters, digits,
// '-' and '.', no address (an address is --listen-address's).
bool is_host_name(const std::string& name) {
    if (name.empty() || name.size() > 253 || is_ipv4(name) || name.front() == '-' || name.front() == '.') return false;
    return name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
           std::string::npos;
}

// --db goes into supervisord.conf and cloud-setup.sh as it is, and shows in the
// process list: only a database URL without a password, in characters neither
// supervisord ('%') nor the shell treat specially.
Status check_database_url(const StackOptions& options) {
    const std::string& url = options.database;
    if (options.role == Role::lamp)
        return Status::error("--db is for --role cloud or all: a lamp host has no database");
    if (!url.starts_with("sqlite:///") && !url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
        return Status::error(fmt::format(
            "--db {} is not a database URL: sqlite:///path/db.sqlite3 or postgresql://user@host:port/dbname", url));
    }
    if (url.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/@._-?=&+,") !=
        std::string::npos) {
        return Status::error(
            fmt::format("--db {} has characters the stack's files cannot carry as they are (only letters, digits and "
                        ":/@._-?=&+,)",
                        url));
    }
    std::string_view rest = std::string_view(url).substr(url.find("://") + 3);
    std::string_view user = rest.substr(0, rest.find_first_of("@/"));
    if (rest.find('@') != std::string_view::npos && user.find(':') != std::string_view::npos) {
        return Status::error(
            "--db holds a password, which would be written to supervisord.conf and shown in the process list: give "
            "it in a password file instead (PGPASSFILE, ~/.pgpass) or use peer or trust authentication");
    }
    return Status::ok();
}

// Each role takes only its own options, so a mistyped command fails before it renders.
Status check_role_options(const StackOptions& options) {
    if (options.role != Role::cloud && (options.listen_address != "127.0.0.1" || !options.public_name.empty())) {
        return Status::error("--listen-address and --public-name are for --role cloud");
    }
    if (options.role != Role::lamp && (!options.cloud_host.empty() || !options.cloud_ca_file.empty())) {
        return Status::error("--cloud-host and --cloud-ca-file are for --role lamp");
    }
    if (options.first_lamp < 0 || options.first_lamp + options.lamps > kMaxLamps) {
        return Status::error(fmt::format("--first-lamp {} with --lamps {} goes past lamp {}", options.first_lamp,
                                         options.lamps, kMaxLamps));
    }
    if (!options.database.empty()) {
        if (Status s = check_database_url(options); !s) return s;
    }
    if (options.role == Role::cloud) {
        if (!is_ipv4(options.listen_address)) {
            return Status::error(fmt::format("--listen-address {} is not an IPv4 address", options.listen_address));
        }
        if (!options.public_name.empty() && !is_host_name(options.public_name)) {
            return Status::error(fmt::format("--public-name {} is not a host name", options.public_name));
        }
    }
    if (options.role == Role::lamp) {
        if (options.cloud_host.empty()) return Status::error("--role lamp needs --cloud-host NAME[:PORT]");
        if (options.cloud_ca_file.empty()) {
            return Status::error(
                "--role lamp needs --cloud-ca-file: the CA certificate of the cloud's server certificate");
        }
    }
    return Status::ok();
}

}  // namespace

std::string_view role_name(Role role) {
    // A switch on purpose, like the CA's enum names: -Wswitch names any value added later.
    switch (role) {
        case Role::cloud: return "cloud";
        case Role::lamp: return "lamp";
        case Role::all: break;
    }
    return "all";
}

std::optional<Role> role_from_name(std::string_view name) {
    for (Role role : {Role::all, Role::cloud, Role::lamp}) {
        if (role_name(role) == name) return role;
    }
    return std::nullopt;
}

Result<CloudAddress> parse_cloud_host(const std::string& text, int port_base) {
    CloudAddress cloud;
    cloud.host = text;
    int base = port_base;
    if (auto colon = text.rfind(':'); colon != std::string::npos) {
        cloud.host = text.substr(0, colon);
        std::string port = text.substr(colon + 1);
        if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(port) < 1024 || std::stoi(port) > 65535 - kHttpRedirectOffset) {
            return Status::error(fmt::format("--cloud-host {}: the port must be the cloud's port base, 1024..{}", text,
                                             65535 - kHttpRedirectOffset));
        }
        base = std::stoi(port);
    }
    if (!is_host_name(cloud.host) && !is_ipv4(cloud.host)) {
        return Status::error(fmt::format("--cloud-host {}: '{}' is not a host name or IPv4 address", text, cloud.host));
    }
    cloud.lamp_mqtt_port = base + kLampMqttOffset;
    cloud.https_port = base + kHttpsOffset;
    return cloud;
}

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
        // Stacks rendered before --signup-rate kept lampi-cloud's.
        if (o.contains("signup_rate")) options.signup_rate = json::value_to<int>(o.at("signup_rate"));
        // Stacks rendered before screens existed had none.
        options.screens = o.contains("screens") && json::value_to<bool>(o.at("screens"));
        options.ble = o.contains("ble") && json::value_to<bool>(o.at("ble"));
        // Stacks rendered before roles were the one-machine demo.
        if (o.contains("role")) {
            auto role = role_from_name(json::value_to<std::string>(o.at("role")));
            if (!role) return Status::error(fmt::format("{} names an unknown role", options_file(dir)));
            options.role = *role;
        }
        auto text_field = [&o](const char* name, std::string& field) {
            if (o.contains(name)) field = json::value_to<std::string>(o.at(name));
        };
        text_field("listen_address", options.listen_address);
        text_field("public_name", options.public_name);
        text_field("database", options.database);
        text_field("cloud_host", options.cloud_host);
        text_field("cloud_ca_file", options.cloud_ca_file);
        if (o.contains("first_lamp")) options.first_lamp = json::value_to<int>(o.at("first_lamp"));
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
    if (Status s = check_role_options(options); !s) return s;
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
    plan.runs_cloud = options.role != Role::lamp;
    plan.runs_lamps = options.role != Role::cloud;
    if (options.listen_address != "0.0.0.0") plan.cloud_local_address = options.listen_address;
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
    // Every path spelled out, one line each, on purpose: this is the one list of
    // where a stack keeps what, and a table would only hide the names.
    plan.cloud_dir = dir + "/cloud";
    plan.pki_dir = dir + "/pki";
    plan.secrets_dir = dir + "/secrets";
    plan.run_dir = dir + "/run";
    plan.supervisord_conf = dir + "/supervisord.conf";
    plan.supervisord_pid_file = dir + "/supervisord.pid";
    plan.cli_dir = dir + "/cli";
    plan.database_file = plan.cloud_dir + "/lampi.sqlite3";
    plan.database_url = options.database.empty() ? "sqlite://" + plan.database_file : options.database;
    // A lamp host has no CA: only the cloud's CA certificate, to check the cloud with.
    plan.ca_file = plan.runs_cloud ? plan.pki_dir + "/ca/ca.pem" : plan.pki_dir + "/cloud-ca.pem";
    plan.server_cert = plan.pki_dir + "/server.pem";
    plan.server_key = plan.pki_dir + "/server.key";
    plan.lampid = build + "/src/lampid/lampid";
    plan.lampi_ui = build + "/src/ui/lampi-ui";
    plan.lampi_ble = build + "/src/ble/lampi-ble";
    plan.lampi_stack = build + "/src/stack/lampi-stack";
    plan.lampi_cloud = build + "/src/cloud/lampi-cloud";
    plan.auth_plugin = build + "/src/broker-plugin/lampi_auth_plugin.so";
    plan.bridge_nodelay = build + "/src/bridge-nodelay/lampi_bridge_nodelay.so";
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
    // The demo's certificate names only the loopback; a cloud host's names its
    // address and the name it is reached by too.
    plan.server_dns_names = {"localhost"};
    plan.server_ip_addresses = {"127.0.0.1", "::1"};
    if (options.role == Role::cloud) {
        if (!options.public_name.empty())
            plan.server_dns_names.insert(plan.server_dns_names.begin(), options.public_name);
        if (plan.cloud_local_address != "127.0.0.1") {
            plan.server_ip_addresses.insert(plan.server_ip_addresses.begin(), plan.cloud_local_address);
        }
    }
    if (options.role == Role::lamp) {
        auto cloud = parse_cloud_host(options.cloud_host, options.port_base);
        if (!cloud) return cloud.status();
        plan.cloud = *cloud;
    } else {
        const std::string& name = options.public_name.empty() ? plan.cloud_local_address : options.public_name;
        plan.cloud = CloudAddress{name, plan.lamp_mqtt_port, plan.https_port};
    }
    if (plan.runs_lamps && with_ble(plan.options)) {
        std::error_code ec;
        if (std::filesystem::exists(options.system_bus_socket, ec)) {
            plan.ble_bus = "system";
        } else {
            plan.private_bus_conf = dir + "/lamp-bus.conf";
            plan.private_bus_socket = plan.run_dir + "/lamp-bus.socket";
            plan.ble_bus = "unix:path=" + plan.private_bus_socket;
        }
    }
    for (int i = 0; i < options.lamps; ++i) {
        LampPlan lamp;
        lamp.device_id = simulated_device_id(options.first_lamp + i);
        lamp.broker_port = options.port_base + kFirstLampOffset + i;
        lamp.dir = fmt::format("{}/lamps/{}", dir, lamp.device_id);
        lamp.broker_password_file = fmt::format("{}/lamp-{}-broker", plan.secrets_dir, lamp.device_id);
        lamp.broker_users_file = lamp.dir + "/broker-users";
        lamp.enroll_token_file = fmt::format("{}/lamp-{}-enroll-token", plan.secrets_dir, lamp.device_id);
        // Display numbers follow the port base as the ports do, so two stacks differ;
        // from 100 up, clear of the desktop's own displays.
        if (plan.runs_lamps && with_screens(plan.options))
            lamp.display = 100 + options.port_base % 10000 + options.first_lamp + i;
        plan.lamps.push_back(std::move(lamp));
    }
    return plan;
}

bool with_ble(const StackOptions& options) {
    std::error_code ec;
    return options.ble &&
           (std::filesystem::exists(options.system_bus_socket, ec) || std::filesystem::exists(options.dbus_daemon, ec));
}

bool with_screens(const StackOptions& options) {
    std::error_code ec;
    return options.screens && std::filesystem::exists(options.xvfb, ec);
}

std::vector<int> all_ports(const StackPlan& plan) {
    std::vector<int> ports;
    if (plan.runs_cloud) {
        ports = {plan.lamp_mqtt_port, plan.https_port, plan.client_mqtt_port, plan.http_redirect_port};
    }
    if (plan.runs_lamps) {
        for (const LampPlan& lamp : plan.lamps) ports.push_back(lamp.broker_port);
    }
    return ports;
}

namespace {

// A supervised process, its pid file and log where the stack keeps them.
struct ProcessMaker {
    const StackPlan& plan;
    ProcessPlan operator()(const std::string& name, std::string command, int priority,
                           std::string environment = "") const {
        return ProcessPlan{name,
                           std::move(command),
                           fmt::format("{}/{}.pid", plan.run_dir, name),
                           fmt::format("{}/logs/{}.log", plan.options.dir, name),
                           priority,
                           std::move(environment)};
    }
};

void plan_cloud_processes(const StackPlan& plan, const ProcessMaker& process, std::vector<ProcessPlan>& processes) {
    std::string origins =
        fmt::format("--public-origin https://127.0.0.1:{https} --public-origin https://localhost:{https}",
                    fmt::arg("https", plan.https_port));
    if (!plan.options.public_name.empty()) {
        origins += fmt::format(" --public-origin https://{}:{}", plan.options.public_name, plan.https_port);
    }
    processes.push_back(process("cloud-broker",
                                fmt::format("{} -c {}/mosquitto.conf", plan.options.mosquitto, plan.broker_dir), 10,
                                broker_environment()));
    processes.push_back(process(
        "lampi-cloud",
        fmt::format("{cloud} serve --db {db} --listen {listen}:{https} --tls-cert {cert} "
                    "--redirect-listen {listen}:{redirect} --public-https-port {https} "
                    "--tls-key {key} --static-dir {static} --mqtt-host {local} --mqtt-port {mqtt} "
                    "--mqtt-username {user} --mqtt-password-file {password} --mqtt-ca-file {ca} "
                    "--mqtt-ws-url /mqtt --relay-broker unix:{relay} {origins} "
                    "--auth-secret-file {secret} --enroll-ca-dir {ca_dir} --enroll-rate {enroll_rate} "
                    "--log-level {level} --log-format {format}{lifetime}{signups}",
                    fmt::arg("cloud", plan.lampi_cloud), fmt::arg("db", plan.database_url),
                    fmt::arg("listen", plan.options.listen_address), fmt::arg("local", plan.cloud_local_address),
                    fmt::arg("origins", origins), fmt::arg("https", plan.https_port),
                    fmt::arg("redirect", plan.http_redirect_port), fmt::arg("cert", plan.server_cert),
                    fmt::arg("key", plan.server_key), fmt::arg("static", plan.static_dir),
                    fmt::arg("mqtt", plan.client_mqtt_port), fmt::arg("user", plan.cloud_service.username),
                    fmt::arg("password", plan.cloud_service.password_file), fmt::arg("ca", plan.ca_file),
                    fmt::arg("relay", plan.relay_socket), fmt::arg("secret", plan.auth_secret_file),
                    fmt::arg("ca_dir", plan.pki_dir + "/ca"),
                    // Every lamp enrolls from 127.0.0.1: room for each to retry, however many there are.
                    fmt::arg("enroll_rate", 30 + 10 * plan.lamps.size()), fmt::arg("level", plan.options.log_level),
                    fmt::arg("format", plan.options.log_format),
                    fmt::arg("lifetime", plan.options.credential_seconds > 0
                                             ? fmt::format(" --credential-seconds {}", plan.options.credential_seconds)
                                             : std::string()),
                    fmt::arg("signups", plan.options.signup_rate > 0
                                            ? fmt::format(" --signup-rate {}", plan.options.signup_rate)
                                            : std::string())),
        15));
}

void plan_lamp_processes(const StackPlan& plan, const ProcessMaker& process, std::vector<ProcessPlan>& processes) {
    if (!plan.private_bus_conf.empty()) {
        // No system bus here: the lamps' Bluetooth services get a bus of their own.
        processes.push_back(process("lamp-bus",
                                    fmt::format("{} --config-file={} --nofork --nopidfile", plan.options.dbus_daemon,
                                                plan.private_bus_conf),
                                    18));
    }
    for (const LampPlan& lamp : plan.lamps) {
        // Without the preload its bridge reports each state ~40 ms late (src/bridge-nodelay).
        // Set by env(1) for Mosquitto alone: the runner before it may be a sanitized
        // program, whose runtime must come first.
        processes.push_back(process(fmt::format("lamp-broker-{}", lamp.device_id),
                                    fmt::format("/usr/bin/env LD_PRELOAD={} {} -c {}/mosquitto.conf",
                                                plan.bridge_nodelay, plan.options.mosquitto, lamp.dir),
                                    20));
        processes.push_back(
            process(fmt::format("lampid-{}", lamp.device_id),
                    fmt::format("{lampid} --host 127.0.0.1 --port {port} --device-id {id} --state-file "
                                "{dir}/lamp-state.json --backend simulated --simulated-output {dir}/led-duty "
                                "--code-file {dir}/association-code --log-level {level} --log-format {format} "
                                "--username {user} --password-file {password} --cloud-url https://{cloud}:{https} "
                                "--cloud-ca-file {ca} --key-file {dir}/lamp.key --cert-file {dir}/lamp.pem "
                                "--enroll-token-file {token}",
                                fmt::arg("lampid", plan.lampid), fmt::arg("port", lamp.broker_port),
                                fmt::arg("id", lamp.device_id), fmt::arg("dir", lamp.dir),
                                fmt::arg("level", plan.options.log_level), fmt::arg("format", plan.options.log_format),
                                fmt::arg("user", kLampBrokerUser), fmt::arg("password", lamp.broker_password_file),
                                fmt::arg("cloud", plan.cloud.host), fmt::arg("https", plan.cloud.https_port),
                                fmt::arg("ca", plan.ca_file), fmt::arg("token", lamp.enroll_token_file)),
                    30));
        if (!plan.ble_bus.empty()) {
            processes.push_back(process(
                fmt::format("lampi-ble-{}", lamp.device_id),
                fmt::format("{} --host 127.0.0.1 --port {} --device-id {} --bus {} --log-level {} --log-format {} "
                            "--username {} --password-file {}",
                            plan.lampi_ble, lamp.broker_port, lamp.device_id, plan.ble_bus, plan.options.log_level,
                            plan.options.log_format, kLampBrokerUser, lamp.broker_password_file),
                40));
        }
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
}

}  // namespace

std::vector<ProcessPlan> plan_processes(const StackPlan& plan) {
    ProcessMaker process{plan};
    std::vector<ProcessPlan> processes;
    if (plan.runs_cloud) plan_cloud_processes(plan, process, processes);
    if (plan.runs_lamps) plan_lamp_processes(plan, process, processes);
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

// Like every renderer of lampi-stack (mosquitto_config.cpp's too), one template
// that reads as the file it writes; they look alike in shape only.
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
        "db='{db}'\n"
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
        fmt::arg("cloud", plan.lampi_cloud), fmt::arg("db", plan.database_url),
        fmt::arg("done", plan.cloud_dir + "/setup.done"), fmt::arg("demo", plan.demo.username),
        fmt::arg("demo_pw", plan.demo.password_file), fmt::arg("second", plan.second_user.username),
        fmt::arg("second_pw", plan.second_user.password_file), fmt::arg("op", plan.operator_login.username),
        fmt::arg("op_pw", plan.operator_login.password_file), fmt::arg("project", plan.analytics_project_file),
        fmt::arg("write", plan.analytics_write_key_file), fmt::arg("read", plan.analytics_read_key_file),
        fmt::arg("master", plan.analytics_master_key_file));
    // The demo gives every lamp to its demo user; a cloud host's lamps wait for
    // whoever reads a lamp's association code to claim it.
    std::string owner = plan.runs_lamps ? fmt::format(" --owner {}", plan.demo.username) : "";
    int index = 0;
    for (const LampPlan& lamp : plan.lamps) {
        ++index;
        out += fmt::format(
            "if pending \"lamp {id}\"; then\n"
            "  if ! \"$cloud\" lamp list --db \"$db\" --log-level warn | cut -f1 | grep -qxF {id}; then\n"
            "    \"$cloud\" lamp add --db \"$db\" --log-level warn --name \"Lamp {index}\"{owner} {id} >/dev/null\n"
            "  fi\n"
            "  record \"lamp {id}\"\n"
            "fi\n"
            "# {token_why}\n"
            "if [ ! -s {needs_token} ]; then\n"
            "  \"$cloud\" enroll-token create --db \"$db\" --log-level warn --device {id} --ttl 1d >{token}.new 2>/dev/null\n"
            "  mv {token}.new {token}\n"
            "fi\n",
            fmt::arg("id", lamp.device_id), fmt::arg("index", index), fmt::arg("owner", owner),
            fmt::arg("token_why", plan.runs_lamps ? "A lamp without its certificate enrolls with a fresh token "
                                                    "(lampid --enroll-token-file)."
                                                  : "One token per lamp, for its lamp host (remove the file for "
                                                    "another)."),
            // A cloud host cannot see a lamp's certificate: it makes the token once.
            fmt::arg("needs_token", plan.runs_lamps ? lamp.dir + "/lamp.pem" : lamp.enroll_token_file),
            fmt::arg("token", lamp.enroll_token_file));
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
    // Where scripts reach the cloud: 127.0.0.1 in the demo, its name from a lamp host.
    const std::string& host = plan.cloud.host;
    // The cloud's ports, at their offsets from its base (a lamp host's cloud may have another base).
    auto cloud_port = [&plan](int offset) { return plan.cloud.lamp_mqtt_port - kLampMqttOffset + offset; };
    auto login = [](const Login& who, const std::string& password) {
        return json::object{{"username", who.username}, {"password", password}};
    };
    json::object root{
        {"port_base", plan.options.port_base},
        {"dir", plan.options.dir},
        {"ca_file", plan.ca_file},
        {"cloud",
         json::object{
             {"http",
              json::object{{"url", fmt::format("https://{}:{}", host, plan.cloud.https_port)},
                           {"redirect_url", fmt::format("http://{}:{}", host, cloud_port(kHttpRedirectOffset))}}},
             {"websocket", json::object{{"url", fmt::format("wss://{}:{}/mqtt", host, plan.cloud.https_port)}}},
             {"mqtt", json::object{{"host", host}, {"port", cloud_port(kClientMqttOffset)}, {"tls", true}}},
             {"lamp_mqtt",
              json::object{
                  {"host", host}, {"port", plan.cloud.lamp_mqtt_port}, {"tls", true}, {"client_certificate", true}}},
             {"operator", login(plan.operator_login, operator_password)},
         }},
        {"analytics", json::object{{"url", fmt::format("https://{}:{}/3.0", host, plan.cloud.https_port)},
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
    root["role"] = role_name(plan.options.role);
    if (!plan.runs_cloud) {
        // A lamp host holds none of the cloud's logins.
        for (const char* key : {"analytics", "demo", "second_user"}) root.erase(key);
        root["cloud"].as_object().erase("operator");
        root["supervisor"].as_object().erase("cloud_setup");
    }
    return json::serialize(root) + "\n";
}

namespace {

// The cloud's logins, in the order write_stack hands them on.
struct CloudSecrets {
    std::string operator_password, demo_password, second_password;
    std::vector<std::string> analytics;  // project id, write, read (and master) key
};

Result<CloudSecrets> write_cloud(const StackPlan& plan) {
    for (const std::string& dir : {plan.broker_dir, plan.cloud_dir}) {
        if (Status s = make_dir(dir); !s) return s;
    }
    if (Status s = make_dir(plan.cli_dir, fs::perms(0700)); !s) return s;
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
    CloudSecrets secrets{passwords[1], passwords[2], passwords[3], {}};
    for (const auto& [file, bytes] : {std::pair{&plan.analytics_project_file, 12},
                                      {&plan.analytics_write_key_file, 32},
                                      {&plan.analytics_read_key_file, 32},
                                      {&plan.analytics_master_key_file, 32}}) {
        auto secret = ensure_secret(*file, bytes);
        if (!secret) return secret.status();
        secrets.analytics.push_back(*secret);
    }

    if (Status s = write_file_atomically(plan.broker_dir + "/mosquitto.conf",
                                         render_mosquitto_conf(cloud_broker_settings(plan, *auth_secret)), 0600);
        !s) {
        return s;
    }
    if (Status s = write_file_atomically(plan.options.dir + "/cloud-setup.sh", render_cloud_setup(plan), 0700); !s) {
        return s;
    }
    // The operator's options for mosquitto_sub and mosquitto_pub (their own config
    // files, read through XDG_CONFIG_HOME), so the password never sits in a command line.
    std::string operator_cli = render_operator_cli_options(plan, secrets.operator_password);
    for (const char* tool : {"mosquitto_sub", "mosquitto_pub"}) {
        if (Status s = write_file_atomically(plan.cli_dir + "/" + tool, operator_cli, 0600); !s) return s;
    }
    return secrets;
}

// A lamp host trusts the cloud's CA and nothing else: its own copy, so the
// stack keeps working whatever happens to the file it was given.
Status copy_cloud_ca(const StackPlan& plan) {
    std::ifstream in(plan.options.cloud_ca_file);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
        return Status::error(fmt::format("cannot read --cloud-ca-file {}", plan.options.cloud_ca_file));
    }
    if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return Status::error(fmt::format("--cloud-ca-file {} holds no PEM certificate", plan.options.cloud_ca_file));
    }
    if (Status s = make_dir(plan.pki_dir); !s) return s;
    return write_file_atomically(plan.ca_file, pem);
}

Status write_lamps(const StackPlan& plan) {
    if (!plan.runs_cloud) {
        if (Status s = copy_cloud_ca(plan); !s) return s;
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
        broker.bridge = BridgeSettings{lamp.device_id, plan.cloud.host, plan.cloud.lamp_mqtt_port,
                                       BridgeTls{plan.ca_file, lamp.dir + "/lamp.pem", lamp.dir + "/lamp.key"}};
        if (Status s = write_file_atomically(lamp.dir + "/mosquitto.conf", render_mosquitto_conf(broker)); !s) return s;
    }
    if (!plan.private_bus_conf.empty()) {
        if (Status s = write_file_atomically(plan.private_bus_conf, render_private_bus_conf(plan)); !s) return s;
    }
    return Status::ok();
}

}  // namespace

Status write_stack(const StackPlan& plan) {
    for (const std::string& dir : {plan.options.dir, plan.options.dir + "/logs"}) {
        if (Status s = make_dir(dir); !s) return s;
    }
    for (const std::string& dir : {plan.secrets_dir, plan.run_dir}) {
        if (Status s = make_dir(dir, fs::perms(0700)); !s) return s;
    }
    CloudSecrets secrets;
    if (plan.runs_cloud) {
        auto written = write_cloud(plan);
        if (!written) return written.status();
        secrets = std::move(written).value();
    }
    // The lamps of a cloud host are only registered there (cloud-setup.sh): their
    // brokers and lampid run on the lamp hosts.
    if (plan.runs_lamps) {
        if (Status s = write_lamps(plan); !s) return s;
    }
    if (Status s = write_file_atomically(plan.supervisord_conf, render_supervisord_conf(plan)); !s) return s;
    if (Status s = write_file_atomically(options_file(plan.options.dir), render_options(plan.options)); !s) return s;
    return write_file_atomically(plan.options.dir + "/endpoints.json",
                                 render_endpoints_json(plan, secrets.operator_password, secrets.demo_password,
                                                       secrets.second_password, secrets.analytics),
                                 0600);
}

}  // namespace lampi::stack
