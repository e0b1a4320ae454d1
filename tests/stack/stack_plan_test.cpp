#include "stack_plan.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>

#include "process.h"

namespace lampi::stack {
namespace {

Result<StackPlan> plan_with_ports_from(int port_base, int lamps) {
    StackOptions options;
    options.port_base = port_base;
    options.lamps = lamps;
    return plan_stack(options);
}

TEST(StackPlan, ListenersSitAtFixedOffsetsFromThePortBase) {
    auto plan = plan_with_ports_from(20000, 3);
    ASSERT_TRUE(plan) << plan.status().message();
    EXPECT_EQ(plan->lamp_mqtt_port, 20000);
    EXPECT_EQ(plan->https_port, 20002);
    EXPECT_EQ(plan->client_mqtt_port, 20003);
    ASSERT_EQ(plan->lamps.size(), 3u);
    EXPECT_EQ(plan->lamps[0].broker_port, 20010);
    EXPECT_EQ(plan->lamps[2].broker_port, 20012);
    EXPECT_EQ(plan->lamps[0].device_id, "020000000001");
    EXPECT_EQ(plan->lamps[2].device_id, "020000000003");
}

TEST(StackPlan, RefusesPortsAndCountsOutOfRangeAndSaysWhatFits) {
    StackOptions options;
    options.port_base = 65530;
    auto plan = plan_stack(options);
    ASSERT_FALSE(plan);
    EXPECT_NE(plan.status().message().find("pick a base between 1024 and"), std::string::npos);
    options.port_base = 20000;
    options.lamps = -1;
    EXPECT_FALSE(plan_stack(options));
}

TEST(StackPlan, EveryPortIsListedTheLampsIncluded) {
    auto plan = plan_with_ports_from(20000, 2);
    ASSERT_TRUE(plan) << plan.status().message();
    // Nothing at +1 any more: browsers reach MQTT through lampi-cloud's relay.
    EXPECT_EQ(all_ports(*plan), (std::vector<int>{20000, 20002, 20003, 20004, 20010, 20011}));
}

TEST(StackPlan, EveryProgramRunsWithItsOwnPidFile) {
    StackOptions options;
    options.dir = "/srv/lampi";
    options.build_dir = "/opt/lampi/build";
    options.lamps = 2;
    options.xvfb = "/bin/sh";  // stands in for Xvfb, installed or not here
    options.dbus_daemon = "/bin/sh";  // and for dbus-daemon, with no system bus
    options.system_bus_socket = "/nonexistent/system_bus_socket";
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    auto processes = plan_processes(*plan);
    // The lamps' bus; per lamp: broker, lampid, lampi-ble, Xvfb, lampi-ui.
    ASSERT_EQ(processes.size(), 2u + 1u + 2u * 5u);
    std::string conf = render_supervisord_conf(*plan);
    for (const ProcessPlan& p : processes) {
        EXPECT_EQ(p.pid_file, "/srv/lampi/run/" + p.name + ".pid");
        EXPECT_NE(conf.find("command=/opt/lampi/build/src/stack/lampi-stack run --pid-file " + p.pid_file + " -- " +
                            p.command + "\n"),
                  std::string::npos)
            << p.name;
    }
}

TEST(StackPlan, EachLampGetsAScreenOnItsOwnDisplayUnlessToldNotToOrXvfbIsMissing) {
    StackOptions options;
    options.port_base = 20000;
    options.lamps = 2;
    options.ble = false;
    options.xvfb = "/bin/sh";  // stands in for Xvfb, installed or not here
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->lamps[0].display, 100);
    EXPECT_EQ(plan->lamps[1].display, 101);
    std::vector<ProcessPlan> screens;
    for (const ProcessPlan& p : plan_processes(*plan)) {
        if (p.name.rfind("lampi-ui-", 0) == 0) screens.push_back(p);
    }
    ASSERT_EQ(screens.size(), 2u);
    EXPECT_EQ(screens[0].name, "lampi-ui-" + plan->lamps[0].device_id);
    EXPECT_NE(screens[0].command.find("--port 20010 --device-id " + plan->lamps[0].device_id), std::string::npos);
    EXPECT_NE(screens[0].command.find("--password-file " + plan->lamps[0].broker_password_file), std::string::npos)
        << "the screen logs in as lampid does, with the password in a file";
    EXPECT_EQ(screens[0].environment, "DISPLAY=\":100\",SDL_VIDEODRIVER=\"x11\"");

    options.screens = false;
    plan = plan_stack(options);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->lamps[0].display, 0);
    EXPECT_EQ(plan_processes(*plan).size(), 2u + 2u * 2u);
    options.screens = true;
    options.xvfb = "/nonexistent/Xvfb";
    EXPECT_EQ(plan_processes(*plan_stack(options)).size(), 2u + 2u * 2u) << "headless without Xvfb";
}

TEST(StackPlan, EachLampGetsABluetoothServiceOnTheSystemBusOrTheStacksOwn) {
    StackOptions options;
    options.port_base = 20000;
    options.lamps = 2;
    options.screens = false;
    options.dbus_daemon = "/bin/sh";  // stands in for dbus-daemon, installed or not here
    options.system_bus_socket = "/nonexistent/system_bus_socket";
    auto ble_processes = [](const StackPlan& plan) {
        std::vector<ProcessPlan> found;
        for (const ProcessPlan& p : plan_processes(plan))
            if (p.name == "lamp-bus" || p.name.rfind("lampi-ble-", 0) == 0) found.push_back(p);
        return found;
    };
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    auto found = ble_processes(*plan);
    ASSERT_EQ(found.size(), 3u) << "without a system bus: the stack's own bus, then one lampi-ble per lamp";
    EXPECT_EQ(found[0].name, "lamp-bus");
    EXPECT_NE(found[0].command.find("--config-file=" + plan->private_bus_conf), std::string::npos);
    EXPECT_EQ(found[1].name, "lampi-ble-" + plan->lamps[0].device_id);
    EXPECT_NE(found[1].command.find("--port 20010 --device-id " + plan->lamps[0].device_id +
                                    " --bus unix:path=" + plan->private_bus_socket),
              std::string::npos)
        << found[1].command;
    EXPECT_NE(found[1].command.find("--password-file " + plan->lamps[0].broker_password_file), std::string::npos)
        << "it logs in as lampid does, with the password in a file";

    options.system_bus_socket = "/bin/sh";  // stands in for a system bus socket
    plan = plan_stack(options);
    ASSERT_TRUE(plan);
    found = ble_processes(*plan);
    ASSERT_EQ(found.size(), 2u) << "with a system bus: no bus of the stack's own";
    EXPECT_NE(found[0].command.find("--bus system"), std::string::npos) << found[0].command;

    options.ble = false;
    EXPECT_TRUE(ble_processes(*plan_stack(options)).empty()) << "--no-ble";
}

TEST(StackPlan, TheLogFormatReachesEveryLampiServiceAndIsKeptForTheOtherSubcommands) {
    testing::TempDir dir;
    StackOptions options;
    options.dir = dir / "stack";
    options.lamps = 1;
    options.xvfb = "/bin/sh";  // stands in for Xvfb, installed or not here
    options.dbus_daemon = "/bin/sh";  // and for dbus-daemon
    options.log_format = "json";
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    int services = 0;
    for (const ProcessPlan& p : plan_processes(*plan)) {
        bool ours = p.name == "lampi-cloud" || p.name.rfind("lampid-", 0) == 0 || p.name.rfind("lampi-ui-", 0) == 0 ||
                    p.name.rfind("lampi-ble-", 0) == 0;
        if (!ours) continue;
        ++services;
        EXPECT_NE(p.command.find(" --log-format json"), std::string::npos) << p.name << ": " << p.command;
    }
    EXPECT_EQ(services, 4);
    ASSERT_TRUE(write_stack(*plan));
    auto saved = load_options(dir / "stack");
    ASSERT_TRUE(saved) << saved.status().message();
    EXPECT_EQ(saved->log_format, "json");
}

// A test platform raises lampi-cloud's sign-up limit; a plain one keeps lampi-cloud's own.
// One lamp under `dir`, its screen and Bluetooth programs present (any program will do).
StackOptions one_lamp_under(const std::string& dir) {
    StackOptions options;
    options.dir = dir;
    options.lamps = 1;
    options.xvfb = "/bin/sh";
    options.dbus_daemon = "/bin/sh";
    return options;
}

std::string cloud_command(const StackPlan& plan) {
    for (const ProcessPlan& p : plan_processes(plan))
        if (p.name == "lampi-cloud") return p.command;
    return {};
}

TEST(StackPlan, TheSignUpRateReachesLampiCloudOnlyWhenGivenAndIsKept) {
    testing::TempDir dir;
    StackOptions options = one_lamp_under(dir / "stack");
    auto plain = plan_stack(options);
    ASSERT_TRUE(plain);
    EXPECT_EQ(cloud_command(*plain).find("--signup-rate"), std::string::npos) << cloud_command(*plain);
    options.signup_rate = 1000;
    auto raised = plan_stack(options);
    ASSERT_TRUE(raised);
    EXPECT_NE(cloud_command(*raised).find(" --signup-rate 1000"), std::string::npos) << cloud_command(*raised);
    ASSERT_TRUE(write_stack(*raised));
    auto saved = load_options(dir / "stack");
    ASSERT_TRUE(saved) << saved.status().message();
    EXPECT_EQ(saved->signup_rate, 1000);
}

// --db: the cloud's database for lampi-cloud and the set-up, kept for the other
// subcommands; SQLite in DIR/cloud without it. Refused with the reason: a password
// in it (supervisord.conf and the process list would show it), characters the
// files cannot carry, something that is not a database URL, a lamp host.
TEST(StackPlan, TheCloudsDatabaseReachesLampiCloudAndItsSetUpAndIsKept) {
    testing::TempDir dir;
    StackOptions options = one_lamp_under(dir / "stack");
    auto plain = plan_stack(options);
    ASSERT_TRUE(plain);
    EXPECT_NE(cloud_command(*plain).find(" --db sqlite://" + dir / "stack/cloud/lampi.sqlite3 "), std::string::npos)
        << cloud_command(*plain);
    options.database = "postgresql://lampi@db.example:5432/lampi";
    auto postgres = plan_stack(options);
    ASSERT_TRUE(postgres) << postgres.status().message();
    EXPECT_NE(cloud_command(*postgres).find(" --db postgresql://lampi@db.example:5432/lampi "), std::string::npos)
        << cloud_command(*postgres);
    EXPECT_NE(render_cloud_setup(*postgres).find("db='postgresql://lampi@db.example:5432/lampi'\n"), std::string::npos)
        << render_cloud_setup(*postgres);
    ASSERT_TRUE(write_stack(*postgres));
    auto saved = load_options(dir / "stack");
    ASSERT_TRUE(saved) << saved.status().message();
    EXPECT_EQ(saved->database, options.database);

    for (auto [url, said] : {std::pair{"postgresql://lampi:secret@db/lampi", "holds a password"},
                             std::pair{"postgresql://lampi@db/lampi?x=%41", "characters"},
                             std::pair{"postgresql://lampi@db/it's", "characters"},
                             std::pair{"mysql://lampi@db/lampi", "not a database URL"}}) {
        options.database = url;
        auto refused = plan_stack(options);
        ASSERT_FALSE(refused) << url;
        EXPECT_NE(refused.status().message().find(said), std::string::npos) << refused.status().message();
    }
    options.database = "postgresql://lampi@db/lampi";
    options.role = Role::lamp;
    options.cloud_host = "cloud.example";
    options.cloud_ca_file = "/tmp/ca.pem";
    auto lamp = plan_stack(options);
    ASSERT_FALSE(lamp);
    EXPECT_NE(lamp.status().message().find("--db is for --role cloud or all"), std::string::npos)
        << lamp.status().message();
}

TEST(StackPlan, SetUpRunsEachStepOnceAndPassesPasswordsOnStandardInput) {
    StackOptions options;
    options.dir = "/srv/lampi";
    options.lamps = 1;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    std::string setup = render_cloud_setup(*plan);
    EXPECT_EQ(setup.find("--password "), std::string::npos);
    EXPECT_EQ(setup.find("LAMPI_PASSWORD"), std::string::npos);
    EXPECT_NE(setup.find("--password-stdin"), std::string::npos);
    EXPECT_NE(setup.find("done_file=/srv/lampi/cloud/setup.done"), std::string::npos);
    EXPECT_NE(setup.find("if pending \"lamp 020000000001\"; then"), std::string::npos);
    EXPECT_NE(setup.find("umask 077"), std::string::npos);
    EXPECT_NE(setup.find("if pending \"analytics keys\"; then"), std::string::npos);
    EXPECT_NE(setup.find("--master-key-file /srv/lampi/secrets/analytics-master-key"), std::string::npos);
}

int mode_of(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
}

// Plans `lamps` lamps under dir/stack, as if built in /opt/lampi/build, and
// writes every file of that plan.
Result<StackPlan> write_test_stack(const testing::TempDir& dir, int lamps) {
    StackOptions options;
    options.dir = dir / "stack";
    options.build_dir = "/opt/lampi/build";
    options.lamps = lamps;
    auto plan = plan_stack(options);
    if (!plan) return plan;
    if (Status written = write_stack(*plan); !written) return written;
    return plan;
}

TEST(StackPlan, WritesEveryFileSecretsAndCertificatesAndKeepsThemOnTheNextRun) {
    testing::TempDir dir;
    auto plan = write_test_stack(dir, 2);
    ASSERT_TRUE(plan) << plan.status().message();

    auto endpoints = boost::json::parse(testing::read_file(dir / "stack/endpoints.json"));
    EXPECT_EQ(endpoints.at("cloud").at("http").at("url").as_string(), "https://127.0.0.1:18832");
    EXPECT_EQ(endpoints.at("cloud").at("mqtt").at("port").as_int64(), 18833);
    EXPECT_EQ(endpoints.at("lamps").as_array().size(), 2u);
    EXPECT_EQ(endpoints.at("lamps").at(1).at("device_id").as_string(), "020000000002");
    std::string demo_password(endpoints.at("demo").at("password").as_string());
    EXPECT_EQ(mode_of(dir / "stack/endpoints.json"), 0600);
    // The analytics project: its keys are the ones cloud-setup.sh registers.
    EXPECT_EQ(endpoints.at("analytics").at("url").as_string(), "https://127.0.0.1:18832/3.0");
    EXPECT_EQ(endpoints.at("analytics").at("project_id").as_string(),
              testing::read_file(dir / "stack/secrets/analytics-project-id").substr(0, 24));
    EXPECT_EQ(endpoints.at("analytics").at("read_key").as_string().size(), 64u);
    EXPECT_EQ(mode_of(dir / "stack/secrets/analytics-master-key"), 0600);
    EXPECT_EQ(mode_of(dir / "stack/secrets"), 0700);
    EXPECT_EQ(mode_of(dir / "stack/secrets/auth-secret"), 0600);

    std::string supervisord = testing::read_file(dir / "stack/supervisord.conf");
    EXPECT_NE(supervisord.find("[program:lampi-cloud]"), std::string::npos);
    EXPECT_NE(supervisord.find("[program:lampid-020000000002]"), std::string::npos);
    EXPECT_NE(supervisord.find("command=/opt/lampi/build/src/stack/lampi-stack run --pid-file " + (dir / "stack/run/lampid-020000000002.pid") +
                               " -- /opt/lampi/build/src/lampid/lampid --host 127.0.0.1 --port 18841"),
              std::string::npos);
    std::string cloud = testing::read_file(dir / "stack/cloud-broker/mosquitto.conf");
    EXPECT_NE(cloud.find("allow_anonymous false"), std::string::npos);
    EXPECT_NE(cloud.find("plugin /opt/lampi/build/src/broker-plugin/lampi_auth_plugin.so"), std::string::npos);
    EXPECT_NE(cloud.find("listener 18830 127.0.0.1\ncafile"), std::string::npos);
    EXPECT_NE(cloud.find("require_certificate true\ncrlfile"), std::string::npos);
    // Browsers come through lampi-cloud's relay, to a unix socket only this user reaches.
    EXPECT_EQ(cloud.find("websockets"), std::string::npos) << "Mosquitto 2.0.11 binds those to every interface";
    EXPECT_EQ(cloud.find("listener 18831"), std::string::npos);
    EXPECT_NE(cloud.find("\nlistener 0 " + (dir / "stack/run/cloud-broker.sock") + "\n"), std::string::npos);
    EXPECT_EQ(mode_of(dir / "stack/run"), 0700);
    EXPECT_NE(supervisord.find("--relay-broker unix:" + (dir / "stack/run/cloud-broker.sock")), std::string::npos);
    EXPECT_NE(supervisord.find("--mqtt-ws-url /mqtt "), std::string::npos);
    EXPECT_EQ(endpoints.at("cloud").at("websocket").at("url").as_string(), "wss://127.0.0.1:18832/mqtt");
    EXPECT_EQ(mode_of(dir / "stack/cloud-broker/mosquitto.conf"), 0600);  // holds the auth secret
    std::string lamp = testing::read_file(dir / "stack/lamps/020000000001/mosquitto.conf");
    EXPECT_NE(lamp.find("address 127.0.0.1:18830"), std::string::npos);
    EXPECT_NE(lamp.find("bridge_certfile " + (dir / "stack/lamps/020000000001/lamp.pem")), std::string::npos);
    EXPECT_TRUE(std::filesystem::exists(dir / "stack/pki/ca/ca.pem"));
    EXPECT_TRUE(std::filesystem::exists(dir / "stack/pki/server.pem"));
    // The lamps enroll through lampi-cloud with a token, as real lamps do: render
    // issues no lamp certificate; cloud-setup.sh makes the tokens.
    EXPECT_FALSE(std::filesystem::exists(dir / "stack/lamps/020000000002/lamp.key"));
    EXPECT_NE(supervisord.find("--enroll-ca-dir " + (dir / "stack/pki/ca")), std::string::npos);
    EXPECT_NE(supervisord.find("--cloud-url https://127.0.0.1:18832 --cloud-ca-file " + (dir / "stack/pki/ca/ca.pem") +
                               " --key-file " + (dir / "stack/lamps/020000000002/lamp.key") + " --cert-file " +
                               (dir / "stack/lamps/020000000002/lamp.pem") + " --enroll-token-file " +
                               (dir / "stack/secrets/lamp-020000000002-enroll-token")),
              std::string::npos);
    std::string setup = testing::read_file(dir / "stack/cloud-setup.sh");
    EXPECT_NE(setup.find("enroll-token create --db \"$db\" --log-level warn --device 020000000002"), std::string::npos);
    ASSERT_TRUE(write_stack(*plan));
    auto again = boost::json::parse(testing::read_file(dir / "stack/endpoints.json"));
    EXPECT_EQ(again.at("demo").at("password").as_string(), demo_password);

    // The other subcommands work out the same plan from what render kept.
    auto saved = load_options(dir / "stack");
    ASSERT_TRUE(saved) << saved.status().message();
    auto replanned = plan_stack(*saved);
    ASSERT_TRUE(replanned);
    EXPECT_EQ(render_supervisord_conf(*replanned), render_supervisord_conf(*plan));
    EXPECT_EQ(mode_of(dir / "stack/cli/mosquitto_sub"), 0600);
    EXPECT_NE(testing::read_file(dir / "stack/cli/mosquitto_sub").find("-P " + std::string(again.at("cloud").at("operator").at("password").as_string())),
              std::string::npos);
}

TEST(StackPlan, ALampsBrokerAdmitsOnlyLampidWhosePasswordStaysInAFile) {
    testing::TempDir dir;
    auto plan = write_test_stack(dir, 1);
    ASSERT_TRUE(plan) << plan.status().message();

    std::string lamp_dir = dir / "stack/lamps/020000000001";
    std::string secret_file = dir / "stack/secrets/lamp-020000000001-broker";
    std::string password = testing::read_file(secret_file);
    password.pop_back();  // the line end
    EXPECT_GE(password.size(), 32u);
    EXPECT_EQ(mode_of(secret_file), 0600);
    std::string conf = testing::read_file(lamp_dir + "/mosquitto.conf");
    EXPECT_NE(conf.find("allow_anonymous false"), std::string::npos);
    EXPECT_NE(conf.find("password_file " + lamp_dir + "/broker-users"), std::string::npos);
    std::string users = testing::read_file(lamp_dir + "/broker-users");
    EXPECT_EQ(users.rfind("lampid:$7$101$", 0), 0u) << users;
    EXPECT_EQ(users.find(password), std::string::npos);
    EXPECT_EQ(mode_of(lamp_dir + "/broker-users"), 0600);

    std::string supervisord = testing::read_file(dir / "stack/supervisord.conf");
    EXPECT_NE(supervisord.find("--username lampid --password-file " + secret_file), std::string::npos);
    EXPECT_EQ(supervisord.find(password), std::string::npos) << "a secret in a command line";
    auto endpoints = boost::json::parse(testing::read_file(dir / "stack/endpoints.json"));
    const auto& local = endpoints.at("lamps").at(0).at("local_mqtt");
    EXPECT_EQ(local.at("username").as_string(), "lampid");
    EXPECT_EQ(local.at("password_file").as_string(), secret_file);

    // A second render keeps the password.
    ASSERT_TRUE(write_stack(*plan));
    EXPECT_EQ(testing::read_file(secret_file), password + "\n");
}

}  // namespace
}  // namespace lampi::stack
