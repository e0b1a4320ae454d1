// The two roles of lampi-stack, cloud and lamp, that the demo (role all) is made of.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>

#include "process.h"
#include "stack_plan.h"
#include "summary.h"

namespace lampi::stack {
namespace {

// Both hosts of a test share the port base, as two machines may.
StackOptions host_options(Role role, const std::string& dir) {
    StackOptions options;
    options.role = role;
    options.dir = dir;
    options.build_dir = "/opt/lampi/build";
    options.port_base = 21000;
    return options;
}

StackOptions cloud_options(const testing::TempDir& dir) {
    StackOptions options = host_options(Role::cloud, dir / "cloud");
    options.lamps = 2;
    options.listen_address = "10.77.0.1";
    options.public_name = "cloud.lampi.test";
    return options;
}

StackOptions lamp_options(const testing::TempDir& dir, const std::string& ca_file) {
    StackOptions options = host_options(Role::lamp, dir / "lamp");
    options.lamps = 1;
    options.first_lamp = 1;
    options.cloud_host = "cloud.lampi.test";
    options.cloud_ca_file = ca_file;
    options.screens = false;
    options.ble = false;
    return options;
}

std::vector<std::string> names_of(const std::vector<ProcessPlan>& processes) {
    std::vector<std::string> names;
    names.reserve(processes.size());
    for (const ProcessPlan& p : processes) names.push_back(p.name);
    return names;
}

// The subject alternative names of a PEM certificate, as "DNS:x" and "IP:a.b.c.d".
std::vector<std::string> subject_alt_names(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     X509_free);
    std::vector<std::string> names;
    if (!cert) return names;
    auto* alt = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt, i);
        if (name->type == GEN_DNS) {
            names.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                                                 static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName))));
        } else if (name->type == GEN_IPADD && ASN1_STRING_length(name->d.iPAddress) == 4) {
            const unsigned char* a = ASN1_STRING_get0_data(name->d.iPAddress);
            names.push_back("IP:" + std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) +
                            "." + std::to_string(a[3]));
        }
    }
    GENERAL_NAMES_free(alt);
    return names;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(StackRoles, TheDemoIsBothRolesOnLoopbackAsBefore) {
    StackOptions options;
    options.lamps = 1;
    options.screens = false;
    options.ble = false;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan) << plan.status().message();
    EXPECT_EQ(options.role, Role::all);
    EXPECT_EQ(names_of(plan_processes(*plan)),
              (std::vector<std::string>{"cloud-broker", "lampi-cloud", "lamp-broker-020000000001",
                                        "lampid-020000000001"}));
    EXPECT_EQ(plan->cloud.host, "127.0.0.1");
    EXPECT_EQ(plan->server_dns_names, std::vector<std::string>{"localhost"});
    EXPECT_EQ(plan->server_ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
    // The demo's lamps are its demo user's from the start.
    EXPECT_NE(render_cloud_setup(*plan).find("--name \"Lamp 1\" --owner demo 020000000001"), std::string::npos);
}

TEST(StackRoles, ACloudHostRunsTheBrokerAndLampiCloudOnItsAddressUnderItsName) {
    testing::TempDir dir;
    auto plan = plan_stack(cloud_options(dir));
    ASSERT_TRUE(plan) << plan.status().message();
    EXPECT_EQ(names_of(plan_processes(*plan)), (std::vector<std::string>{"cloud-broker", "lampi-cloud"}));
    EXPECT_EQ(all_ports(*plan), (std::vector<int>{21000, 21002, 21003, 21004}));
    ASSERT_TRUE(write_stack(*plan));

    std::string broker = testing::read_file(dir / "cloud/cloud-broker/mosquitto.conf");
    EXPECT_NE(broker.find("\nlistener 21000 10.77.0.1\n"), std::string::npos);
    EXPECT_NE(broker.find("\nlistener 21003 10.77.0.1\n"), std::string::npos);
    EXPECT_NE(broker.find("plugin_opt_auth_url https://10.77.0.1:21002/auth/v1/user"), std::string::npos);
    std::string cloud = plan_processes(*plan)[1].command;
    EXPECT_NE(cloud.find("--listen 10.77.0.1:21002 "), std::string::npos) << cloud;
    EXPECT_NE(cloud.find("--redirect-listen 10.77.0.1:21004 "), std::string::npos) << cloud;
    EXPECT_NE(cloud.find("--mqtt-host 10.77.0.1 "), std::string::npos) << cloud;
    EXPECT_NE(cloud.find("--public-origin https://cloud.lampi.test:21002 "), std::string::npos) << cloud;

    // The certificate lampi-ca issued carries the name and the address.
    auto names = subject_alt_names(testing::read_file(dir / "cloud/pki/server.pem"));
    EXPECT_TRUE(contains(names, "DNS:cloud.lampi.test")) << testing::read_file(dir / "cloud/pki/server.names");
    EXPECT_TRUE(contains(names, "IP:10.77.0.1"));
    EXPECT_TRUE(contains(names, "IP:127.0.0.1"));

    // Its lamps are registered with a token each, for their hosts; nobody owns them
    // until someone claims one with its code.
    std::string setup = testing::read_file(dir / "cloud/cloud-setup.sh");
    EXPECT_NE(setup.find("--name \"Lamp 2\" 020000000002 >/dev/null"), std::string::npos) << setup;
    EXPECT_EQ(setup.find("--owner"), std::string::npos);
    EXPECT_NE(setup.find("if [ ! -s " + (dir / "cloud/secrets/lamp-020000000002-enroll-token") + " ]"),
              std::string::npos);
    // It holds no lamp: no lamp's files, no revocation of a lamp's certificate on render.
    EXPECT_FALSE(std::filesystem::exists(dir / "cloud/lamps"));

    auto endpoints = boost::json::parse(testing::read_file(dir / "cloud/endpoints.json"));
    EXPECT_EQ(endpoints.at("cloud").at("http").at("url").as_string(), "https://cloud.lampi.test:21002");
    EXPECT_EQ(endpoints.at("role").as_string(), "cloud");
}

TEST(StackRoles, ANewPublicNameGetsACertificateOfItsOwnAndTheSameNameKeepsIt) {
    testing::TempDir dir;
    StackOptions options = cloud_options(dir);
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan && write_stack(*plan));
    std::string first = testing::read_file(dir / "cloud/pki/server.pem");
    ASSERT_TRUE(write_stack(*plan));
    EXPECT_EQ(testing::read_file(dir / "cloud/pki/server.pem"), first);

    options.public_name = "lampi.example.org";
    auto renamed = plan_stack(options);
    ASSERT_TRUE(renamed && write_stack(*renamed));
    auto names = subject_alt_names(testing::read_file(dir / "cloud/pki/server.pem"));
    EXPECT_TRUE(contains(names, "DNS:lampi.example.org"));
    EXPECT_FALSE(contains(names, "DNS:cloud.lampi.test"));
}

TEST(StackRoles, ALampHostBridgesToTheCloudByNameAndTrustsOnlyItsCa) {
    testing::TempDir dir;
    auto cloud = plan_stack(cloud_options(dir));
    ASSERT_TRUE(cloud && write_stack(*cloud));
    auto plan = plan_stack(lamp_options(dir, cloud->ca_file));
    ASSERT_TRUE(plan) << plan.status().message();
    EXPECT_EQ(names_of(plan_processes(*plan)),
              (std::vector<std::string>{"lamp-broker-020000000002", "lampid-020000000002"}));
    EXPECT_EQ(all_ports(*plan), std::vector<int>{21010});
    ASSERT_TRUE(write_stack(*plan));

    std::string broker = testing::read_file(dir / "lamp/lamps/020000000002/mosquitto.conf");
    EXPECT_NE(broker.find("\naddress cloud.lampi.test:21000\n"), std::string::npos) << broker;
    EXPECT_NE(broker.find("\nbridge_cafile " + (dir / "lamp/pki/cloud-ca.pem") + "\n"), std::string::npos);
    EXPECT_EQ(testing::read_file(dir / "lamp/pki/cloud-ca.pem"), testing::read_file(cloud->ca_file));
    std::string lampid = plan_processes(*plan)[1].command;
    EXPECT_NE(lampid.find("--cloud-url https://cloud.lampi.test:21002 --cloud-ca-file " +
                          (dir / "lamp/pki/cloud-ca.pem")),
              std::string::npos)
        << lampid;
    EXPECT_NE(lampid.find("--enroll-token-file " + (dir / "lamp/secrets/lamp-020000000002-enroll-token")),
              std::string::npos);
    // No CA, no cloud secrets, no cloud set-up on a lamp host.
    EXPECT_FALSE(std::filesystem::exists(dir / "lamp/pki/ca"));
    EXPECT_FALSE(std::filesystem::exists(dir / "lamp/secrets/auth-secret"));
    EXPECT_FALSE(std::filesystem::exists(dir / "lamp/cloud-setup.sh"));
    auto endpoints = boost::json::parse(testing::read_file(dir / "lamp/endpoints.json"));
    EXPECT_FALSE(endpoints.as_object().contains("demo"));
    EXPECT_FALSE(endpoints.at("cloud").as_object().contains("operator"));

    // The other subcommands plan the same lamp host from stack.json.
    auto saved = load_options(dir / "lamp");
    ASSERT_TRUE(saved) << saved.status().message();
    EXPECT_EQ(saved->role, Role::lamp);
    auto replanned = plan_stack(*saved);
    ASSERT_TRUE(replanned);
    EXPECT_EQ(render_supervisord_conf(*replanned), render_supervisord_conf(*plan));
}

TEST(StackRoles, EachHostsSummarySaysWhatTheOtherRoleNeeds) {
    testing::TempDir dir;
    auto cloud = plan_stack(cloud_options(dir));
    ASSERT_TRUE(cloud);
    std::string cloud_summary = render_summary(*cloud, true);
    EXPECT_NE(cloud_summary.find("https://cloud.lampi.test:21002/"), std::string::npos) << cloud_summary;
    EXPECT_NE(cloud_summary.find(cloud->ca_file + " (--cloud-ca-file)"), std::string::npos) << cloud_summary;
    EXPECT_NE(cloud_summary.find(cloud->lamps[1].enroll_token_file), std::string::npos) << cloud_summary;
    auto lamp = plan_stack(lamp_options(dir, cloud->ca_file));
    ASSERT_TRUE(lamp);
    std::string lamp_summary = render_summary(*lamp, true);
    EXPECT_NE(lamp_summary.find("bridged to cloud.lampi.test:21000"), std::string::npos) << lamp_summary;
    EXPECT_NE(lamp_summary.find("lamp 020000000002: local broker 127.0.0.1:21010"), std::string::npos) << lamp_summary;
    // Neither reads a demo login it does not have.
    EXPECT_EQ(lamp_summary.find("unreadable"), std::string::npos);
}

TEST(StackRoles, TheCloudHostsPortIsItsPortBase) {
    auto cloud = parse_cloud_host("cloud.lampi.test:30000", 21000);
    ASSERT_TRUE(cloud) << cloud.status().message();
    EXPECT_EQ(cloud->host, "cloud.lampi.test");
    EXPECT_EQ(cloud->lamp_mqtt_port, 30000);
    EXPECT_EQ(cloud->https_port, 30002);
    auto by_default = parse_cloud_host("cloud.lampi.test", 21000);
    ASSERT_TRUE(by_default);
    EXPECT_EQ(by_default->https_port, 21002);
    for (const char* bad : {"", "cloud:", "cloud:80", "cloud:99999", "cloud:x", "bad_name:30000", "a b"}) {
        EXPECT_FALSE(parse_cloud_host(bad, 21000)) << bad;
    }
}

TEST(StackRoles, EachRoleRefusesTheOtherRolesOptionsAndSaysWhatItNeeds) {
    testing::TempDir dir;
    StackOptions lamp = lamp_options(dir, dir / "ca.pem");
    lamp.cloud_host.clear();
    auto plan = plan_stack(lamp);
    ASSERT_FALSE(plan);
    EXPECT_NE(plan.status().message().find("--cloud-host"), std::string::npos);
    lamp = lamp_options(dir, "");
    EXPECT_FALSE(plan_stack(lamp));
    lamp = lamp_options(dir, dir / "ca.pem");
    lamp.public_name = "cloud.lampi.test";
    EXPECT_FALSE(plan_stack(lamp));

    StackOptions cloud = cloud_options(dir);
    cloud.cloud_host = "elsewhere";
    EXPECT_FALSE(plan_stack(cloud));
    cloud = cloud_options(dir);
    cloud.listen_address = "cloud.lampi.test";
    EXPECT_FALSE(plan_stack(cloud));
    cloud = cloud_options(dir);
    cloud.public_name = "10.77.0.1";
    EXPECT_FALSE(plan_stack(cloud));

    StackOptions demo;
    demo.listen_address = "0.0.0.0";
    EXPECT_FALSE(plan_stack(demo)) << "the demo stays on 127.0.0.1";
    // A lamp host's CA file must hold a certificate.
    testing::write_file(dir / "ca.pem", "not a certificate\n");
    auto empty_ca = plan_stack(lamp_options(dir, dir / "ca.pem"));
    ASSERT_TRUE(empty_ca);
    EXPECT_FALSE(write_stack(*empty_ca));
}

TEST(StackRoles, LampHostsSharingACloudNumberTheirLampsApart) {
    testing::TempDir dir;
    StackOptions options = lamp_options(dir, dir / "ca.pem");
    options.first_lamp = 4;
    options.lamps = 2;
    auto plan = plan_stack(options);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->lamps[0].device_id, "020000000005");
    EXPECT_EQ(plan->lamps[1].device_id, "020000000006");
    EXPECT_EQ(plan->lamps[0].broker_port, 21010);
    options.first_lamp = kMaxLamps;
    EXPECT_FALSE(plan_stack(options));
}

}  // namespace
}  // namespace lampi::stack
