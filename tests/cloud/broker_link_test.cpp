// lampi-cloud and its broker link on a real Mosquitto that goes away: it
// reconnects for ever, says 503 (never 202 "sent") while it has no broker, shows
// the link on /healthz, starts before its broker, and stops within a second.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <thread>

#include "cloud_server.h"
#include "http_client.h"
#include "mqtt_harness.h"
#include "proc_stats.h"
#include "process.h"

namespace lampi::cloud {
namespace {

// The same names as the other cloud tests on purpose (api_test.cpp): each file
// says what it uses; a shared header of using-declarations would hide where they come from.
using namespace std::chrono_literals;
namespace json = boost::json;
using testing::BrowserSession;
using testing::CloudServer;
using testing::HttpClient;
using testing::HttpReply;

const std::string kLamp = "b827eb74663e";

// The waits here default to 15s.
bool eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout = 15s) {
    return lampi::testing::eventually(check, timeout);
}

json::value health(int port) {
    auto r = HttpClient(port).request("GET", "/healthz");
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) return json::object{};
    v.as_object()["http_status"] = r.status;
    return v;
}

bool broker_connected(int port) {
    json::value v = health(port);
    return v.as_object().contains("broker") && v.at("broker").at("connected").as_bool() &&
           v.at("http_status").as_int64() == 200;
}

testing::HttpReply set_state(BrowserSession& s) {
    return s.send("POST", "/api/v1/lamps/" + kLamp + "/state", R"({"on":true})",
                  {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
}

class BrokerLinkTest : public ::testing::Test {
protected:
    // A cloud on a broker that is stopped when the cloud starts.
    void start_cloud_before_broker() {
        broker_ = std::make_unique<lampi::testing::TestBroker>(dir_.path(), "cloud");
        broker_->stop();
        server_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / "db.sqlite3"),
                                                testing::on_broker(broker_->port(), "lampi-cloud"));
        auto alice = server_->add_user("alice");
        server_->add_lamp(kLamp, alice.id);
        session_ = std::make_unique<BrowserSession>(server_->port());
        ASSERT_TRUE(session_->login("alice", CloudServer::kPassword));
    }

    // A lamp's view of set_config; true once one command has arrived.
    bool command_arrives() {
        lampi::testing::MqttProbe lamp(broker_->port(), {"devices/" + kLamp + "/lamp/set_config"}, "lamp-probe");
        if (!lamp.wait_connected()) return false;
        // The subscription is in place once a message of our own comes back.
        lampi::testing::MqttProbe marker(broker_->port(), {}, "marker");
        if (!marker.wait_connected()) return false;
        for (int i = 0; i < 100 && lamp.messages("devices/" + kLamp + "/lamp/set_config").empty(); ++i) {
            (void)marker.publish("devices/" + kLamp + "/lamp/set_config", "{}", 1);
            std::this_thread::sleep_for(20ms);
        }
        lamp.clear();
        auto r = set_state(*session_);
        if (r.status != 202) return false;
        return lamp.wait_for("devices/" + kLamp + "/lamp/set_config", [](const MqttMessage& m) {
                   return m.payload.find("lampi-cloud") != std::string::npos;
               }).has_value();
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<lampi::testing::TestBroker> broker_;
    std::unique_ptr<CloudServer> server_;
    std::unique_ptr<BrowserSession> session_;
};

TEST_F(BrokerLinkTest, StartedBeforeItsBrokerItAnswers503AndConnectsWhenTheBrokerComes) {
    start_cloud_before_broker();
    auto r = set_state(*session_);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("no connection to the cloud broker"), std::string::npos) << r.body;
    json::value h = health(server_->port());
    EXPECT_EQ(h.at("http_status").as_int64(), 503);
    EXPECT_FALSE(h.at("broker").at("connected").as_bool());
    EXPECT_TRUE(h.at("database").at("ok").as_bool());
    EXPECT_EQ(h.at("status").as_string(), "degraded");

    // The broker arrives several seconds later (past the first backoff steps).
    std::this_thread::sleep_for(2s);
    broker_->start();
    ASSERT_TRUE(eventually([&] { return broker_connected(server_->port()); }, 10s)) << json::serialize(health(server_->port()));
    EXPECT_TRUE(command_arrives());
}

TEST_F(BrokerLinkTest, AfterKill9OfTheBrokerItAnswers503ThenReconnectsForEver) {
    start_cloud_before_broker();
    broker_->start();
    ASSERT_TRUE(eventually([&] { return broker_connected(server_->port()); }));
    for (int round = 0; round < 3; ++round) {
        broker_->kill9();
        ASSERT_TRUE(eventually([&] { return !broker_connected(server_->port()); })) << "round " << round;
        auto r = set_state(*session_);
        EXPECT_EQ(r.status, 503) << "round " << round << ": " << r.body;
        json::value h = health(server_->port());
        EXPECT_FALSE(h.at("broker").at("error").as_string().empty());
        broker_->start();
        ASSERT_TRUE(eventually([&] { return broker_connected(server_->port()); })) << "round " << round;
        EXPECT_TRUE(command_arrives()) << "round " << round;
    }
}

// A broker that holds the connection open but does not answer (frozen,
// swapped out, overloaded): the command is not acknowledged with 202 until the
// broker has it, because a command queued only inside lampi-cloud dies with it.
TEST_F(BrokerLinkTest, ACommandTheBrokerHasNotAcknowledgedIsNeverAnswered202) {
    start_cloud_before_broker();
    broker_->start();
    ASSERT_TRUE(eventually([&] { return broker_connected(server_->port()); }));
    ASSERT_TRUE(command_arrives());

    ASSERT_EQ(::kill(broker_->pid(), SIGSTOP), 0);
    auto begin = std::chrono::steady_clock::now();
    auto r = set_state(*session_);
    auto took = std::chrono::steady_clock::now() - begin;
    ::kill(broker_->pid(), SIGCONT);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_NE(r.body.find("did not acknowledge"), std::string::npos) << r.body;
    EXPECT_GE(took, 1500ms);
    EXPECT_LT(took, 5s);

    // Once the broker answers again, so does the API.
    EXPECT_TRUE(command_arrives());
}

// Commands waiting for a frozen broker's acknowledgement hold none of the
// server's two threads: everything else is still answered at once.
TEST_F(BrokerLinkTest, CommandsWaitingForAFrozenBrokerLeaveTheServerFreeForOtherRequests) {
    start_cloud_before_broker();
    broker_->start();
    ASSERT_TRUE(eventually([&] { return broker_connected(server_->port()); }));
    ASSERT_TRUE(command_arrives());
    constexpr int kCommands = 4;  // twice the server's threads
    std::vector<std::unique_ptr<BrowserSession>> sessions;
    for (int i = 0; i < kCommands; ++i) {
        sessions.push_back(std::make_unique<BrowserSession>(server_->port()));
        ASSERT_TRUE(sessions.back()->login("alice", CloudServer::kPassword));
    }
    std::size_t published_before = server_->published().size();

    ASSERT_EQ(::kill(broker_->pid(), SIGSTOP), 0);
    std::vector<int> statuses(kCommands, 0);
    std::vector<std::thread> commands;
    commands.reserve(kCommands);
    for (int i = 0; i < kCommands; ++i) commands.emplace_back([&, i] { statuses[i] = set_state(*sessions[i]).status; });
    // Every command is now waiting for the broker (its publish is under way).
    bool all_waiting = eventually([&] { return server_->published().size() >= published_before + kCommands; }, 1500ms);
    std::size_t waiting = server_->published().size() - published_before;
    auto begin = std::chrono::steady_clock::now();
    auto list = session_->send("GET", "/api/v1/lamps", "");
    auto took = std::chrono::steady_clock::now() - begin;
    for (auto& t : commands) t.join();
    ::kill(broker_->pid(), SIGCONT);

    EXPECT_TRUE(all_waiting) << "only " << waiting << " of " << kCommands
                             << " commands reached the broker link within 1.5 s: the others waited for a server thread";
    EXPECT_EQ(list.status, 200) << list.body;
    EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms for a lamp list while commands waited for the broker";
    for (int status : statuses) EXPECT_EQ(status, 503);  // each waited its 2 s, none answered 202
}

// The deployed binary: SIGTERM ends it within a second whether or not its
// broker is there, and its /healthz follows the link.
TEST(BrokerLinkBinary, HealthFollowsTheLinkAndSigtermStopsItWithinASecond) {
    lampi::testing::TempDir dir;
    lampi::testing::TestBroker broker(dir.path(), "cloud");
    broker.stop();
    int port = lampi::testing::free_port();
    lampi::testing::Process cloud({LAMPI_CLOUD_BINARY, "serve", "--db", "sqlite://" + (dir / "cloud.sqlite3"),
                                   "--listen", "127.0.0.1:" + std::to_string(port), "--mqtt-port",
                                   std::to_string(broker.port()), "--argon2-ops", "1", "--argon2-memory-kib", "8"},
                                  dir / "cloud.log");
    cloud.start();
    ASSERT_TRUE(lampi::testing::wait_for_port(port, 10s)) << cloud.log();
    EXPECT_EQ(health(port).at("http_status").as_int64(), 503);

    // Without its broker, and with a keep-alive connection open.
    HttpClient idle(port);
    ASSERT_EQ(idle.request("GET", "/healthz").status, 503);
    auto begin = std::chrono::steady_clock::now();
    ASSERT_EQ(cloud.stop(SIGTERM, 5s), 0) << cloud.log();
    auto took = std::chrono::steady_clock::now() - begin;
    EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";

    // With its broker, after a kill -9 and a restart of that broker.
    cloud.start();
    ASSERT_TRUE(lampi::testing::wait_for_port(port, 10s)) << cloud.log();
    broker.start();
    ASSERT_TRUE(eventually([&] { return broker_connected(port); })) << cloud.log();
    broker.kill9();
    ASSERT_TRUE(eventually([&] { return !broker_connected(port); })) << cloud.log();
    broker.start();
    ASSERT_TRUE(eventually([&] { return broker_connected(port); })) << cloud.log();
    begin = std::chrono::steady_clock::now();
    ASSERT_EQ(cloud.stop(SIGTERM, 5s), 0) << cloud.log();
    took = std::chrono::steady_clock::now() - begin;
    EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

// SIGTERM while a request is half sent: lampi-cloud takes no new connection but
// waits for that request, answers it, and only then exits.
TEST(BrokerLinkBinary, SigtermLetsARequestInFlightFinish) {
    lampi::testing::TempDir dir;
    int port = lampi::testing::free_port();
    lampi::testing::Process cloud({LAMPI_CLOUD_BINARY, "serve", "--db", "sqlite://" + (dir / "cloud.sqlite3"),
                                   "--listen", "127.0.0.1:" + std::to_string(port), "--mqtt-port",
                                   std::to_string(lampi::testing::free_port()), "--argon2-ops", "1",
                                   "--argon2-memory-kib", "8"},
                                  dir / "cloud.log");
    cloud.start();
    ASSERT_TRUE(lampi::testing::wait_for_port(port, 10s)) << cloud.log();
    HttpClient in_flight(port);
    // A whole request and the start of the next in one write: once the first is
    // answered, the server holds the second's first bytes, so it is in flight.
    const std::string body = "username=alice&password=correct-horse";
    const std::string second = "POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n";
    const std::string first = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + second + body.substr(0, 10);
    ASSERT_TRUE(in_flight.send_raw(first));
    ASSERT_NE(in_flight.receive().status, 0) << "no answer to the first request";
    // The stop must find the second request waiting for its body, not between steps
    // where cutting the connection would have nothing to cut.
    ASSERT_TRUE(eventually([&] { return lampi::testing::is_quiescent(cloud.pid()); }, 10s))
        << "lampi-cloud never settled into reading the second request's body";
    ASSERT_EQ(::kill(cloud.pid(), SIGTERM), 0);
    // Stopping: no new connection is taken.
    EXPECT_TRUE(eventually([&] { return HttpClient(port).request("GET", "/healthz").status == 0; }, 3s))
        << "lampi-cloud kept answering new connections after SIGTERM";
    EXPECT_TRUE(cloud.running()) << "lampi-cloud exited with a request in flight\n" << cloud.log();

    const std::string rest = body.substr(10);
    ASSERT_TRUE(in_flight.send_raw(rest));
    HttpReply answer = in_flight.receive();
    EXPECT_NE(answer.status, 0) << "the request in flight got no answer: " << answer.describe() << "\n" << cloud.log();
    int status = cloud.wait(3s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status << "\n" << cloud.log();
}

}  // namespace
}  // namespace lampi::cloud
