// Attacks on the way browsers reach the cloud broker: MQTT over WebSocket
// through lampi-cloud's relay at /mqtt (HTTPS port, +2), to the broker's
// unix-socket listener. Each test first shows the page's own path working (a
// web credential publishing and receiving through the relay), so a refusal is
// never a broken relay.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "attack_platform.h"
#include "ws_client.h"

namespace lampi::testing {
namespace {

constexpr int kConnack = 2, kPublish = 3, kPuback = 4, kSuback = 9;
constexpr std::size_t kRelayMaxMessage = 8 * 1024;  // lampi-cloud's default --relay-max-message

class RelayAttacks : public PlatformSuite<1> {
protected:

    static int https_port() { return platform_->port_base + stack::kHttpsOffset; }
    static std::string origin() { return "https://127.0.0.1:" + std::to_string(https_port()); }
    static std::string relay_socket() { return platform_->stack_dir() + "/run/cloud-broker.sock"; }

    static WsOptions page_like(std::optional<std::string> from = origin()) {
        WsOptions options;
        options.port = https_port();
        options.ca_file = platform_->ca_file();
        options.origin = std::move(from);
        return options;
    }

    struct Opened {
        std::unique_ptr<WsClient> ws;
        int status = 0;
        std::string error;
        std::string describe() const { return ws ? "HTTP 101 (WebSocket open)" : error; }
    };
    static Opened open(const WsOptions& options) {
        Opened out;
        out.ws = WsClient::connect(options, out.error, out.status);
        return out;
    }

    // The control page's broker login for `who`, and a client id of its own.
    struct Web {
        std::string username, password, client_id;
    };
    static std::optional<Web> web_login(const char* who) {
        auto credential = platform_->broker_credential(platform_->login(who, "username"), platform_->login(who, "password"));
        if (!credential) return std::nullopt;
        return Web{credential->first, credential->second, credential->first};
    }

    // CONNECT over an open relay; the CONNACK's return code, or -1 with `observed` saying why.
    static int mqtt_login(WsClient& ws, MqttOverWs& mqtt, const Web& who, std::string& observed) {
        std::string error;
        if (!ws.send_binary(ws_mqtt_connect(who.client_id, who.username, who.password), error)) {
            observed = "send: " + error;
            return -1;
        }
        auto connack = mqtt.wait_for(kConnack, 10s, error);
        if (!connack) {
            observed = "no CONNACK: " + error;
            return -1;
        }
        observed = "CONNACK " + std::to_string(connack->return_code);
        return connack->return_code;
    }

    // A second lampi-cloud relaying to the platform's broker with `relay_args`
    // (its own database, the platform's certificate), on `port`.
    static std::unique_ptr<Process> relay_cloud(int port, const std::string& name, std::vector<std::string> relay_args) {
        const std::string pki = platform_->stack_dir() + "/pki";
        std::vector<std::string> argv{LAMPI_CLOUD_BINARY, "serve", "--db", "sqlite://" + (platform_->dir / (name + ".sqlite3")),
                                      "--listen", "127.0.0.1:" + std::to_string(port), "--tls-cert", pki + "/server.pem",
                                      "--tls-key", pki + "/server.key", "--mqtt-host", "", "--relay-broker",
                                      "unix:" + relay_socket(), "--log-level", "warn"};
        argv.insert(argv.end(), relay_args.begin(), relay_args.end());
        auto cloud = std::make_unique<Process>(argv, platform_->dir / (name + ".log"));
        cloud->start();
        return cloud;
    }
    // A relay cloud listening on a free port: `port` is set to it. Another test running
    // beside may take the port between free_port() and the bind (the cloud then exits, and
    // the port answers, but not in TLS): then again on another one.
    static std::unique_ptr<Process> relay_cloud_on_free_port(int& port, const std::string& name,
                                                             const std::vector<std::string>& relay_args) {
        std::unique_ptr<Process> cloud;
        for (int attempt = 0; attempt < 5; ++attempt) {
            port = free_port();
            cloud = relay_cloud(port, name, relay_args);
            if (wait_for_port(port, std::chrono::seconds(20))) {
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                if (cloud->running()) return cloud;
            }
            cloud->stop(SIGKILL);
        }
        return cloud;
    }
    static WsOptions to(int port) {
        WsOptions options = page_like("https://127.0.0.1:" + std::to_string(port));
        options.port = port;
        return options;
    }
    // The operator's login, with a client id in the operator's own family
    // (`<name>-…`: the broker binds client ids to identities).
    static Web operator_login(const std::string& suffix) {
        std::string name = platform_->login("operator", "username");
        return Web{name, platform_->login("operator", "password"), name + "-" + suffix};
    }
    static long rss_kib(pid_t pid) {
        std::istringstream status(read_file("/proc/" + std::to_string(pid) + "/status"));
        for (std::string line; std::getline(status, line);)
            if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
        return -1;
    }

};


TEST_F(RelayAttacks, AWebCredentialPublishesAndReceivesThroughTheRelay) {
    auto demo = web_login("demo");
    ASSERT_TRUE(demo);
    Opened relay = open(page_like());
    ASSERT_TRUE(relay.ws) << relay.describe();
    EXPECT_EQ(relay.ws->subprotocol(), "mqtt");
    MqttOverWs mqtt(*relay.ws);
    std::string observed, error;
    ASSERT_EQ(mqtt_login(*relay.ws, mqtt, *demo, observed), 0) << observed;

    const std::string lamp = platform_->lamp_id(0);
    ASSERT_TRUE(relay.ws->send_binary(ws_mqtt_subscribe(1, topics::cloud(lamp, topics::kChanged), 0), error)) << error;
    auto suback = mqtt.wait_for(kSuback, 10s, error);
    ASSERT_TRUE(suback) << error;
    ASSERT_EQ(suback->granted.size(), 1u);
    EXPECT_EQ(suback->granted[0], 0) << "the owner may subscribe to their lamp";

    // The owner's command crosses relay, broker, bridge and lamp, and the lamp's
    // answer comes back the same way.
    std::string command = R"({"brightness": 0.37, "client": "relay-test"})";
    ASSERT_TRUE(relay.ws->send_binary(ws_mqtt_publish(topics::cloud(lamp, topics::kSetConfig), command, 1, 7), error));
    ASSERT_TRUE(mqtt.wait_for(kPuback, 10s, error)) << error;
    bool seen = false;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
        auto publish = mqtt.wait_for(kPublish, 15s, error);
        ASSERT_TRUE(publish) << error;
        auto state = boost::json::parse(publish->payload);
        seen = publish->topic == topics::cloud(lamp, topics::kChanged) &&
               state.at("client").as_string() == "relay-test" &&
               std::abs(state.at("brightness").to_number<double>() - 0.37) < 0.01;
    }
    EXPECT_TRUE(seen) << "the lamp's lamp/changed with the new brightness never came back through the relay";
}

TEST_F(RelayAttacks, EveryTcpListenerOfThePlatformIsOnLoopbackOnly) {
    // Every process the platform runs: supervisord's descendants.
    std::set<std::string> pids{std::to_string(platform_->supervisord->pid())};
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
            std::string stat = read_file(entry.path() / "stat");
            std::size_t close = stat.rfind(')');
            if (close == std::string::npos) continue;
            std::istringstream rest(stat.substr(close + 2));
            std::string state, parent;
            rest >> state >> parent;
            std::string pid = entry.path().filename();
            if (pids.count(parent) && !pids.count(pid)) grew = pids.insert(pid).second;
        }
    }
    RunResult listening = run({"/usr/bin/ss", "-ltnpH"});
    ASSERT_EQ(listening.exit_code, 0) << listening.output;
    std::istringstream lines(listening.output);
    std::vector<std::string> ours, beyond;
    std::set<int> ports;
    for (std::string line; std::getline(lines, line);) {
        bool mine = false;
        for (const std::string& pid : pids) mine = mine || line.find("pid=" + pid + ",") != std::string::npos;
        if (!mine) continue;
        std::istringstream fields(line);
        std::string state, recv_q, send_q, local;
        fields >> state >> recv_q >> send_q >> local;
        ours.push_back(local);
        ports.insert(std::stoi(local.substr(local.rfind(':') + 1)));
        if (local.rfind("127.0.0.1:", 0) != 0) beyond.push_back(line);
    }
    // Positive markers: the listeners that must be there are found, so an empty
    // or unreadable `ss` cannot pass.
    const int base = platform_->port_base;
    for (int port : {base + stack::kLampMqttOffset, base + stack::kHttpsOffset, base + stack::kClientMqttOffset,
                     base + stack::kHttpRedirectOffset, base + stack::kFirstLampOffset}) {
        EXPECT_TRUE(ports.count(port)) << "nothing of the platform listens on " << port << ":\n" << listening.output;
    }
    std::string observed = std::to_string(ours.size()) + " TCP listeners: ";
    for (const std::string& l : ours) observed += l + " ";
    if (!beyond.empty()) observed += "; beyond loopback: " + beyond.front();
    EXPECT_TRUE(refused_now("a listener on every interface (Mosquitto 2.0.11's websockets listener, *:+1)",
                            "every TCP listener of the platform on 127.0.0.1", beyond.empty() && !ours.empty(),
                            observed));
    EXPECT_FALSE(ports.count(base + 1)) << "+1 was the broker's WebSocket port; nothing should listen there";

    // The broker's relay socket: reachable only by the platform's own user.
    struct stat st {};
    ASSERT_EQ(::stat(std::filesystem::path(relay_socket()).parent_path().c_str(), &st), 0);
    ASSERT_TRUE(std::filesystem::is_socket(relay_socket()));
    int mode = st.st_mode & 0777;
    char octal[8];
    std::snprintf(octal, sizeof octal, "%03o", mode);
    EXPECT_TRUE(refused("another local user connects to the broker's relay socket", "its directory is mode 0700",
                        mode == 0700, std::string("directory mode ") + octal));
}

TEST_F(RelayAttacks, ACrossSitePageCannotOpenTheRelay) {
    Opened own = open(page_like());
    ASSERT_TRUE(own.ws) << "the page's own origin: " << own.describe();
    own.ws->close();
    Opened no_origin = open(page_like(std::nullopt));
    ASSERT_TRUE(no_origin.ws) << "a program without Origin (it still needs a broker credential): " << no_origin.describe();

    for (const std::string& from : {std::string("https://evil.example"), std::string("null"),
                                    "http://127.0.0.1:" + std::to_string(https_port()),
                                    origin() + ".evil.example"}) {
        Opened attack = open(page_like(from));
        EXPECT_TRUE(refused("WebSocket to /mqtt from a page at Origin " + from, "HTTP 403",
                            !attack.ws && attack.status == 403, attack.describe()));
    }
}

TEST_F(RelayAttacks, OversizedAndTextMessagesCloseTheConnection) {
    auto demo = web_login("demo");
    ASSERT_TRUE(demo);
    std::string observed, error;
    {
        Opened relay = open(page_like());
        ASSERT_TRUE(relay.ws) << relay.describe();
        MqttOverWs mqtt(*relay.ws);
        ASSERT_EQ(mqtt_login(*relay.ws, mqtt, *demo, observed), 0) << observed;
        // The largest message allowed still goes through (the broker answers a
        // PUBLISH to a topic it refuses silently, so a PUBACK is the marker).
        std::string topic = topics::cloud(platform_->lamp_id(0), topics::kSetConfig);
        std::string largest = ws_mqtt_publish(topic, "", 1, 3);
        largest = ws_mqtt_publish(topic, std::string(kRelayMaxMessage - largest.size() - 2, ' '), 1, 3);
        ASSERT_LE(largest.size(), kRelayMaxMessage);
        ASSERT_TRUE(relay.ws->send_binary(largest, error)) << error;
        ASSERT_TRUE(mqtt.wait_for(kPuback, 10s, error)) << "a message of the largest size: " << error;
        relay.ws->send_binary(std::string(kRelayMaxMessage + 1, '\0'), error);
        auto after = relay.ws->receive(10s, error);
        EXPECT_TRUE(refused("a WebSocket message of max + 1 bytes (8193) to the relay",
                            "connection closed with code 1009", !after && relay.ws->close_code() == 1009,
                            after ? "a message came back" : error));
    }
    {
        Opened relay = open(page_like());
        ASSERT_TRUE(relay.ws) << relay.describe();
        MqttOverWs mqtt(*relay.ws);
        ASSERT_EQ(mqtt_login(*relay.ws, mqtt, *demo, observed), 0) << observed;
        relay.ws->send_text(ws_mqtt_publish("a", "hi", 0, 0), error);
        auto after = relay.ws->receive(10s, error);
        EXPECT_TRUE(refused("a text WebSocket message to the relay (MQTT is binary only)",
                            "connection closed with code 1003", !after && relay.ws->close_code() == 1003,
                            after ? "a message came back" : error));
    }
}

TEST_F(RelayAttacks, TheRelayAsksForAWebSocketTheMqttSubprotocolAndACredential) {
    HttpReply plain = http_exchange(https_port(), server_verified(*platform_),
                                    http_request("GET", "/mqtt", https_port(), {"Connection: close"}));
    EXPECT_TRUE(refused("plain GET /mqtt without an upgrade", "HTTP 426", plain.status == 426, plain.describe()));

    WsOptions wrong = page_like();
    wrong.subprotocols = {"mqttv3.1", "chat"};
    Opened no_mqtt = open(wrong);
    EXPECT_TRUE(refused("WebSocket to /mqtt without subprotocol mqtt", "HTTP 400", !no_mqtt.ws && no_mqtt.status == 400,
                        no_mqtt.describe()));

    // Through the relay the broker still asks lampi-cloud: a made-up login and
    // another user's lamp are refused as on any listener.
    std::string observed, error;
    Opened relay = open(page_like());
    ASSERT_TRUE(relay.ws) << relay.describe();
    MqttOverWs mqtt(*relay.ws);
    int code = mqtt_login(*relay.ws, mqtt, Web{"web-forged", "not-a-credential", "web-forged"}, observed);
    EXPECT_TRUE(refused("MQTT CONNECT through the relay with a made-up web credential", "CONNACK 5",
                        code == 5 || code == 4, observed));

    auto guest = web_login("second_user");
    ASSERT_TRUE(guest);
    Opened other = open(page_like());
    ASSERT_TRUE(other.ws) << other.describe();
    MqttOverWs guest_mqtt(*other.ws);
    ASSERT_EQ(mqtt_login(*other.ws, guest_mqtt, *guest, observed), 0) << observed;
    ASSERT_TRUE(other.ws->send_binary(
        ws_mqtt_subscribe(2, topics::cloud(platform_->lamp_id(0), topics::kChanged), 0), error));
    auto suback = guest_mqtt.wait_for(kSuback, 10s, error);
    ASSERT_TRUE(suback) << error;
    int granted = suback->granted.size() == 1 ? static_cast<unsigned char>(suback->granted[0]) : -1;
    EXPECT_TRUE(refused("another user subscribes to the demo lamp through the relay", "SUBACK 128", granted == 0x80,
                        "SUBACK " + std::to_string(granted)));
}

// A second lampi-cloud with a relay cap of 3, relaying to the platform's broker.
TEST_F(RelayAttacks, TheRelayHoldsAtItsConnectionCap) {
    int port = 0;
    auto cloud = relay_cloud_on_free_port(port, "capped", {"--relay-max-connections", "3"});
    ASSERT_TRUE(cloud->running()) << cloud->log();
    WsOptions options = to(port);
    std::vector<Opened> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(open(options));
        ASSERT_TRUE(held.back().ws) << "connection " << i + 1 << " of 3: " << held.back().describe();
    }
    Opened fourth = open(options);
    EXPECT_TRUE(refused("a 4th relayed WebSocket over --relay-max-connections 3", "HTTP 503",
                        !fourth.ws && fourth.status == 503, fourth.describe()));
    // A slot frees when a connection ends.
    held.front().ws->close();
    Opened again;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!again.ws && std::chrono::steady_clock::now() < deadline) {
        again = open(options);
        if (!again.ws) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(again.ws) << "no slot came free after a connection closed: " << again.describe();
}

// A relay whose client is silent for --relay-idle-seconds is closed; one that
// pings (as MQTT keepalive does) stays; SIGTERM closes relayed connections and
// the server still stops within its drain time.
TEST_F(RelayAttacks, ASilentClientIsCutOffAndStopClosesRelayedConnections) {
    int port = 0;
    auto cloud = relay_cloud_on_free_port(port, "idle", {"--relay-idle-seconds", "2"});
    ASSERT_TRUE(cloud->running()) << cloud->log();
    std::string error, observed;

    Opened active = open(to(port));
    ASSERT_TRUE(active.ws) << active.describe();
    MqttOverWs active_mqtt(*active.ws);
    ASSERT_EQ(mqtt_login(*active.ws, active_mqtt, operator_login("relay-test-active"), observed), 0) << observed;
    Opened silent = open(to(port));
    ASSERT_TRUE(silent.ws) << silent.describe();

    // The active client pings every second for 4 s and gets every answer.
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(active.ws->send_binary(std::string("\xC0\x00", 2), error)) << error;
        ASSERT_TRUE(active_mqtt.wait_for(13, 5s, error)) << "PINGRESP " << i << ": " << error;  // 13: PINGRESP
        std::this_thread::sleep_for(1s);
    }
    auto after = silent.ws->receive(1ms, error);
    auto waited = std::chrono::steady_clock::now() - start;
    if (!after && error == "timed out") after = silent.ws->receive(10s, error);
    EXPECT_TRUE(refused("a relayed WebSocket that sends nothing (holding a slot)", "closed after --relay-idle-seconds 2",
                        !after && error != "timed out" && waited >= 2s, after ? "a message came" : error));

    int status = cloud->stop(SIGTERM, 10s);
    EXPECT_EQ(status, 0) << "lampi-cloud did not stop within 10 s with a relayed connection open:\n" << cloud->log();
    auto closed = active.ws->receive(5s, error);
    EXPECT_FALSE(closed) << "the relayed connection outlived the server";
    EXPECT_NE(error, "timed out");
}

// A client that subscribes to a flood and stops reading: the relay holds one
// message per direction, so lampi-cloud's memory stays flat, and the stuck write
// closes the connection after --relay-write-seconds.
TEST_F(RelayAttacks, AClientThatStopsReadingIsCutOffWithoutTheRelayBuffering) {
    int port = 0;
    // Started like the test above: each relay test runs a lampi-cloud with the one limit it tests.
    auto cloud = relay_cloud_on_free_port(port, "backpressure", {"--relay-write-seconds", "2"});
    ASSERT_TRUE(cloud->running()) << cloud->log();
    std::string error, observed;

    Opened reader = open(to(port));
    ASSERT_TRUE(reader.ws) << reader.describe();
    MqttOverWs mqtt(*reader.ws);
    ASSERT_EQ(mqtt_login(*reader.ws, mqtt, operator_login("relay-test-slow-reader"), observed), 0) << observed;
    ASSERT_TRUE(reader.ws->send_binary(ws_mqtt_subscribe(1, "relay-flood/#", 0), error)) << error;
    ASSERT_TRUE(mqtt.wait_for(kSuback, 10s, error)) << error;

    MqttAttempt flooder = mqtt_connect(platform_->client_mqtt_port(), server_verified(*platform_),
                                       MqttConnect{platform_->login("operator", "username") + "-relay-test-flooder",
                                                   platform_->login("operator", "username"),
                                                   platform_->login("operator", "password")});
    ASSERT_TRUE(flooder.accepted) << flooder.observed;
    // Positive marker: a message reaches the reader through the relay.
    ASSERT_TRUE(flooder.session->send(mqtt_publish_packet("relay-flood/marker", "marker"), error)) << error;
    ASSERT_TRUE(mqtt.wait_for(kPublish, 10s, error)) << error;

    long before = rss_kib(cloud->pid());
    // Messages under the brokers' 4 KiB message limit, or the broker itself
    // would cut the flooder off first.
    const std::string chunk = mqtt_publish_packet("relay-flood/x", std::string(3 * 1024, 'f'));
    std::size_t sent = 0;
    for (int i = 0; i < 16000 && flooder.session->send(chunk, error); ++i) sent += chunk.size();  // ~48 MB
    std::this_thread::sleep_for(3s);  // the relay's write is stuck now, for longer than 2 s
    long grown = rss_kib(cloud->pid()) - before;
    // Now read: the kernel's buffers drain, then the connection must be closed.
    std::string end;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!reader.ws->receive(5s, end)) break;
    }
    std::string observed_end = "after " + std::to_string(sent >> 20) + " MiB: " + end + ", lampi-cloud grew " +
                               std::to_string(grown / 1024) + " MiB";
    EXPECT_TRUE(refused("a relayed subscriber that stops reading during a 48 MB flood",
                        "closed after --relay-write-seconds 2, lampi-cloud grows < 16 MiB",
                        end != "timed out" && !end.empty() && before > 0 && grown < 16 * 1024, observed_end));
}

// Pages reconnecting together (after a restart) arrive faster than the broker
// accepts on its unix socket (Mosquitto listens there with a backlog of 10):
// every one of them still gets its MQTT session.
TEST_F(RelayAttacks, ABurstOfPagesConnectingAtOnceAllGetThrough) {
    // Above the socket's backlog of 10, below the operator's 16 connections.
    constexpr int kPages = 15;
    std::vector<std::string> outcome(kPages);
    std::vector<std::thread> pages;
    for (int i = 0; i < kPages; ++i) {
        pages.emplace_back([i, &outcome] {
            Opened relay = open(page_like());
            if (!relay.ws) {
                outcome[i] = relay.describe();
                return;
            }
            MqttOverWs mqtt(*relay.ws);
            std::string observed;
            int code = mqtt_login(*relay.ws, mqtt, operator_login("relay-test-burst-" + std::to_string(i)), observed);
            outcome[i] = code == 0 ? "" : observed;
            std::this_thread::sleep_for(500ms);  // hold it while the others connect
        });
    }
    for (auto& t : pages) t.join();
    int failed = 0;
    std::string first;
    for (const std::string& o : outcome) {
        if (o.empty()) continue;
        if (!failed++) first = o;
    }
    EXPECT_EQ(failed, 0) << failed << " of " << kPages << " pages got no session; the first: " << first;
}

}  // namespace
}  // namespace lampi::testing
