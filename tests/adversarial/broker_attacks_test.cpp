// Attacks on the cloud broker's identities, sizes, retained state and
// revocation, and the reliability the plugin owes every client (wills, queues
// for absent lamps). The platform is `./lampi up`'s (tests/support/platform.h).
// Lamp identities for attacks are extra device certificates issued by the
// platform's CA for ids no running lamp uses, so no attack disturbs a real
// bridge. Each test first shows the rightful path working, so a refusal is never
// a broken set-up.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "attack_platform.h"
#include "certificate_authority.h"

namespace lampi::testing {
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class BrokerAttacks : public PlatformSuite<2> {
protected:

    static int lamp_port() { return platform_->lamp_mqtt_port(); }
    static int client_port() { return platform_->client_mqtt_port(); }
    static std::string lamp(int i) { return platform_->lamp_id(i); }
    static std::string topic(const std::string& device, std::string_view local) { return topics::cloud(device, local); }

    static TlsIdentity extra_lamp(const std::string& device_id) { return extra_lamp_identity(*platform_, device_id); }

    struct Credential {
        std::string username;
        std::string password;
    };
    // What the control page gets for `who` after logging in on the web.
    static std::optional<Credential> credential(const char* who) {
        auto pair = platform_->broker_credential(platform_->login(who, "username"), platform_->login(who, "password"));
        if (!pair) return std::nullopt;
        return Credential{pair->first, pair->second};
    }
    // What the pages of demo and of the second user get, the two users most
    // attacks set against each other.
    static std::pair<std::optional<Credential>, std::optional<Credential>> demo_and_guest() {
        return {credential("demo"), credential("second_user")};
    }
    static MqttConnect with(const Credential& c, std::string client_id) {
        return MqttConnect{std::move(client_id), c.username, c.password};
    }
    // The control page of `who` on the client listener, with a client id of the
    // family the page derives: <username>-<suffix>.
    static MqttAttempt connect_page(const Credential& who, const std::string& suffix) {
        return mqtt_connect(client_port(), server_verified(*platform_), with(who, who.username + "-" + suffix));
    }
    static std::string operator_password() { return platform_->login("operator", "password"); }
    static std::string service_password() {
        std::string text = read_file(platform_->stack_dir() + "/secrets/lampi-cloud-password");
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        return text;
    }

    std::unique_ptr<MqttProbe> observer(std::vector<std::string> subscriptions) {
        auto probe = std::make_unique<MqttProbe>(platform_->password_client("operator", operator_password()),
                                                 std::move(subscriptions));
        EXPECT_TRUE(probe->wait_connected()) << "the operator could not connect";
        return probe;
    }

    // A lamp whose session the broker keeps while it is away (clean_session off),
    // so commands for it wait for its return.
    static MqttConnect lamp_kept_while_away(const std::string& device) {
        MqttConnect connect = as_lamp(device);
        connect.clean_session = false;
        return connect;
    }

    // The lamp connects with `connect`, subscribes to its commands and drops its
    // link; its session stays with the broker.
    static void subscribe_to_commands_and_leave(const std::string& device, const MqttConnect& connect) {
        MqttAttempt first = mqtt_connect(lamp_port(), extra_lamp(device), connect);
        ASSERT_TRUE(first.accepted) << first.observed;
        std::string observed;
        ASSERT_TRUE(subscription_granted(mqtt_subscribe(*first.session, topic(device, topics::kSetConfig), observed)))
            << observed;
    }

    // A QoS 1 command from `client`, acknowledged by the broker while the lamp is
    // away; then the lamp comes back with `connect`. `delivered` says whether the
    // command reached it, `observed` what came instead. The set-up steps assert,
    // so a broken set-up never reads as a refused attack.
    void command_the_lamp_while_away(const std::string& device, const MqttConnect& connect, const std::string& client,
                                     bool& delivered, std::string& observed) {
        const std::string set_config = topic(device, topics::kSetConfig);
        auto commander = observer({});
        ASSERT_TRUE(commander->publish_acknowledged(set_config, R"({"on":true,"client":")" + client + R"("})"));
        MqttAttempt back = mqtt_connect(lamp_port(), extra_lamp(device), connect);
        ASSERT_TRUE(back.accepted) << back.observed;
        delivered = mqtt_wait_publish(*back.session, set_config, client, 5s, observed).has_value();
    }
};


// ---- issue 9: wills and queues ------------------------------------------------

TEST_F(BrokerAttacks, ADeadLampsWillReachesItsWatchers) {
    const std::string device = "0300000000a1";
    const std::string state = topic(device, "lamp/connection/bridge/state");
    auto watcher = observer({state});
    MqttConnect connect = as_lamp(device);
    connect.will = MqttWill{state, "0", 1, true};
    MqttAttempt lamp_link = mqtt_connect(lamp_port(), extra_lamp(device), connect);
    ASSERT_TRUE(lamp_link.accepted) << lamp_link.observed;
    std::string error;
    ASSERT_TRUE(lamp_link.session->send(mqtt_publish_packet(state, "1", 1, 1, true), error));
    ASSERT_TRUE(watcher->wait_for(state, [](const MqttMessage& m) { return m.payload == "1"; }))
        << "the lamp's own online state did not arrive";
    lamp_link.session.reset();  // the link dies: no DISCONNECT
    auto will = watcher->wait_for(state, [](const MqttMessage& m) { return m.payload == "0"; }, 5s);
    EXPECT_TRUE(refused_now("a lamp's link dies: its Last Will (\"0\") is dropped, it stays online",
                            "will delivered", will.has_value(), will ? "\"0\" delivered" : "no will within 5 s"));
}

TEST_F(BrokerAttacks, AFrozenLampsBridgeReadsOfflineWithinOneAndAHalfKeepalives) {
    // A frozen process is a power cut as the cloud sees it: the TCP connection
    // stays open and silent, so only the bridge's keepalive can end it.
    const std::string state = topic(lamp(1), "lamp/connection/bridge/state");
    auto watcher = observer({state});
    ASSERT_TRUE(watcher->wait_for(state, [](const MqttMessage& m) { return m.payload == "1"; }))
        << "lamp 1's bridge was not online to begin with";
    watcher->clear();
    auto frozen = std::chrono::steady_clock::now();
    platform_->supervisorctl("signal STOP lamp-broker-" + lamp(1));
    auto offline = watcher->wait_for(state, [](const MqttMessage& m) { return m.payload == "0"; }, 35s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - frozen);
    platform_->supervisorctl("signal CONT lamp-broker-" + lamp(1));
    // Keepalive 15 s: the broker gives up 22.5 s after the last packet it got
    // (its check runs once a second), well inside the 30 s the contract allows.
    EXPECT_TRUE(refused_now("a lamp loses power (silent link): it stays online in the cloud", "offline < 30 s",
                            offline && took < 30s,
                            offline ? "offline after " + std::to_string(took.count()) + " ms" : "still online after 35 s"));
    EXPECT_TRUE(watcher->wait_for(state, [](const MqttMessage& m) { return m.payload == "1"; }, 30s))
        << "lamp 1's bridge did not come back after the freeze";
}

TEST_F(BrokerAttacks, AnOperatorsWillIsDeliveredToo) {
    const std::string will_topic = "ops/console/state";
    auto watcher = observer({will_topic});
    MqttConnect connect{"operator-will", "operator", operator_password()};
    connect.will = MqttWill{will_topic, "gone", 1, false};
    MqttAttempt console = mqtt_connect(client_port(), server_verified(*platform_), connect);
    ASSERT_TRUE(console.accepted) << console.observed;
    console.session.reset();
    auto will = watcher->wait_for(will_topic, nullptr, 5s);
    EXPECT_TRUE(refused_now("an operator console dies: its Last Will is dropped", "will delivered", will.has_value(),
                            will ? "delivered" : "no will within 5 s"));
}

TEST_F(BrokerAttacks, AWillOutsideTheClientsRightsIsNotPublished) {
    const std::string device = "0300000000a2";
    const std::string rightful_device = "0300000000a3";
    const std::string forged = topic(lamp(0), topics::kChanged);
    const std::string control_topic = topic(rightful_device, "lamp/connection/bridge/state");
    auto watcher = observer({forged, control_topic});
    MqttConnect connect = as_lamp(device);
    connect.will = MqttWill{forged, R"({"on":false,"client":"forged-will"})", 1, false};
    MqttAttempt attacker = mqtt_connect(lamp_port(), extra_lamp(device), connect);
    ASSERT_TRUE(attacker.accepted) << attacker.observed;
    attacker.session.reset();
    // Control: a lamp with a will on its own topic, dropped after the attacker.
    MqttConnect rightful = as_lamp(rightful_device);
    rightful.will = MqttWill{control_topic, "0", 1, false};
    MqttAttempt control = mqtt_connect(lamp_port(), extra_lamp(rightful_device), rightful);
    ASSERT_TRUE(control.accepted) << control.observed;
    control.session.reset();
    ASSERT_TRUE(watcher->wait_for(control_topic, nullptr, 5s)) << "the rightful will did not arrive";
    auto leaked = watcher->wait_for(
        forged, [](const MqttMessage& m) { return m.payload.find("forged-will") != std::string::npos; }, 0ms);
    EXPECT_TRUE(refused("a lamp's will on another lamp's lamp/changed", "not published", !leaked,
                        leaked ? "published" : "not published (the rightful will was)"));
}

TEST_F(BrokerAttacks, ARetainedWillOnAnUnknownConnectionTopicIsNotKept) {
    const std::string device = "0300000000a4";
    const std::string junk = topic(device, "lamp/connection/zz81/state");
    MqttConnect connect = as_lamp(device);
    connect.will = MqttWill{junk, "0", 1, true};
    MqttAttempt attacker = mqtt_connect(lamp_port(), extra_lamp(device), connect);
    ASSERT_TRUE(attacker.accepted) << attacker.observed;
    std::string error;
    const std::string known = topic(device, "lamp/connection/bridge/state");
    ASSERT_TRUE(attacker.session->send(mqtt_publish_packet(known, "1", 1, 1, true), error));
    std::string observed;
    // A PUBACK on the same connection after the retained state means the broker
    // has handled that state (the topic of this one does not matter; it is refused).
    ASSERT_TRUE(mqtt_publish_acknowledged(*attacker.session, "lampi-test/ack", "", observed))
        << observed;
    attacker.session.reset();
    // The broker sends the will when it handles the dropped connection; a new
    // connection with the same client id is accepted only after that.
    MqttAttempt again = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(again.accepted) << again.observed;
    again.session.reset();
    auto late = observer({topic(device, "lamp/connection/+/state")});
    ASSERT_TRUE(late->wait_for(known, nullptr, 5s)) << "the lamp's own retained state was not kept";
    bool kept = !late->messages(junk).empty();
    EXPECT_TRUE(refused("a lamp's retained will on lamp/connection/<random>/state", "not retained", !kept,
                        kept ? "retained" : "not retained (bridge's state was)"));
}

TEST_F(BrokerAttacks, ACommandForAnAbsentLampIsQueuedAndDeliveredWhenItReturns) {
    const std::string device = "0300000000b1";
    const MqttConnect connect = lamp_kept_while_away(device);
    // The will says when the broker has seen the lamp go.
    const std::string presence = topic(device, "lamp/connection/bridge/state");
    auto watcher = observer({presence});
    MqttConnect with_will = connect;
    with_will.will = MqttWill{presence, "0", 1, false};
    ASSERT_NO_FATAL_FAILURE(subscribe_to_commands_and_leave(device, with_will));
    ASSERT_TRUE(watcher->wait_for(
        presence, [](const MqttMessage& m) { return m.payload == "0"; }, 20s))
        << "the broker never noticed the lamp leave";
    bool delivered = false;
    std::string observed;
    ASSERT_NO_FATAL_FAILURE(command_the_lamp_while_away(device, connect, "queued-while-away", delivered, observed));
    EXPECT_TRUE(refused_now("a QoS 1 command acknowledged while the lamp is away is dropped", "delivered on return",
                            delivered, observed));
}

// ---- issue 8 item 1: client ids bound to identities ---------------------------

TEST_F(BrokerAttacks, AWebCredentialCannotTakeAnotherClientsId) {
    auto [demo, guest] = demo_and_guest();
    ASSERT_TRUE(guest && demo);
    // Control: its own id, as the page derives it.
    MqttAttempt own = connect_page(*guest, "1");
    ASSERT_TRUE(own.accepted) << own.observed;
    struct Target {
        std::string id;
        std::string who;
    };
    for (const Target& target : {Target{"lampi-cloud", "lampi-cloud's"}, Target{"lamp-" + lamp(0), "lamp 0's bridge"},
                                 Target{demo->username + "-1", "another user's page"},
                                 Target{"operator", "the operator's"}}) {
        MqttAttempt takeover = mqtt_connect(client_port(), server_verified(*platform_), with(*guest, target.id));
        EXPECT_TRUE(refused_now("a guest's web credential connects with " + target.who + " client id",
                                "CONNACK refused", !takeover.accepted, takeover.observed));
    }
}

TEST_F(BrokerAttacks, ALampCertificateMayUseOnlyLampDashItsId) {
    const std::string device = "0300000000c1";
    MqttAttempt own = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(own.accepted) << own.observed;
    own.session.reset();
    for (const std::string& id : {"lamp-" + lamp(0), std::string("lampi-cloud"), std::string("operator")}) {
        MqttConnect connect = as_lamp(device);
        connect.client_id = id;
        MqttAttempt takeover = mqtt_connect(lamp_port(), extra_lamp(device), connect);
        EXPECT_TRUE(refused_now("a lamp certificate connects with client id " + id, "CONNACK refused",
                                !takeover.accepted, takeover.observed));
    }
    MqttConnect other_name = as_lamp(device);
    other_name.username = lamp(0);
    MqttAttempt borrowed = mqtt_connect(lamp_port(), extra_lamp(device), other_name);
    EXPECT_TRUE(refused("a lamp certificate claims another lamp's id as username", "CONNACK refused",
                        !borrowed.accepted, borrowed.observed));
}

TEST_F(BrokerAttacks, AnOperatorCannotTakeAServicesOrALampsId) {
    MqttAttempt own = mqtt_connect(client_port(), server_verified(*platform_),
                                   MqttConnect{"operator-console", "operator", operator_password()});
    ASSERT_TRUE(own.accepted) << own.observed;
    for (const std::string& id : {std::string("lampi-cloud"), "lamp-" + lamp(0)}) {
        MqttAttempt takeover = mqtt_connect(client_port(), server_verified(*platform_),
                                            MqttConnect{id, "operator", operator_password()});
        EXPECT_TRUE(refused_now("the operator's login connects with client id " + id, "CONNACK refused",
                                !takeover.accepted, takeover.observed));
    }
}

// ---- issue 8 item 2: no network call on connect ---------------------------------

TEST_F(BrokerAttacks, JunkConnectsAreRefusedAtOnceAndNeverReachTheCloud) {
    auto demo = credential("demo");
    ASSERT_TRUE(demo);
    ASSERT_NE(platform_->supervisorctl("stop lampi-cloud").find("stopped"), std::string::npos);
    // A valid signed credential still opens the broker with the cloud down: the
    // plugin needs no call to decide.
    MqttAttempt page = connect_page(*demo, "1");
    auto worst = std::chrono::milliseconds(0);
    std::string last;
    bool all_refused = true;
    for (int i = 0; i < 30; ++i) {
        auto start = std::chrono::steady_clock::now();
        MqttAttempt junk = mqtt_connect(client_port(), server_verified(*platform_),
                                        MqttConnect{"junk-" + std::to_string(i), "junk" + std::to_string(i * 7919), "x"});
        worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start));
        all_refused = all_refused && !junk.accepted;
        last = junk.observed;
    }
    platform_->supervisorctl("start lampi-cloud");
    ASSERT_TRUE(wait_for_port(platform_->port_base + stack::kHttpsOffset, 20s)) << "lampi-cloud did not come back";
    EXPECT_TRUE(page.accepted) << "a signed credential was refused while the cloud was down: " << page.observed;
    EXPECT_TRUE(refused_now("30 CONNECTs with random usernames stall the broker on calls to the cloud",
                            "refused locally, each < 1 s with the cloud down", all_refused && worst < 1000ms,
                            last + ", slowest " + std::to_string(worst.count()) + " ms"));
}

// ---- issue 8 item 4: lockout as a weapon ----------------------------------------

TEST_F(BrokerAttacks, WrongBrokerLoginsNeverLockTheOperatorOutOfTheWebOrTheBroker) {
    MqttAttempt live = mqtt_connect(client_port(), server_verified(*platform_),
                                    MqttConnect{"operator-live", "operator", operator_password()});
    ASSERT_TRUE(live.accepted) << live.observed;
    for (int i = 0; i < 8; ++i) {
        MqttAttempt guess = mqtt_connect(client_port(), server_verified(*platform_),
                                         MqttConnect{"operator-guess", "operator", "guess-" + std::to_string(i)});
        ASSERT_FALSE(guess.accepted) << "a wrong password was accepted";
    }
    BrowserSession web = BrowserSession::at(platform_->https_url(), platform_->ca_file());
    bool web_ok = web.login(platform_->login("operator", "username"), operator_password());
    EXPECT_TRUE(refused_now("8 wrong broker logins as operator lock the operator out of the web", "web login works",
                            web_ok, web_ok ? "web login succeeded" : "web login refused"));
    MqttAttempt right = mqtt_connect(client_port(), server_verified(*platform_),
                                     MqttConnect{"operator-after", "operator", operator_password()});
    EXPECT_TRUE(refused_now("8 wrong broker logins as operator lock the operator out of the broker",
                            "right password still accepted", right.accepted, right.observed));
    bool kicked = live.session->closed_by_peer(300ms);
    EXPECT_TRUE(refused_now("8 wrong broker logins as operator kick its live connection", "stays connected", !kicked,
                            kicked ? "disconnected" : "still connected"));
}

// ---- issue 8 item 3: sizes, retained state, connections -----------------------

TEST_F(BrokerAttacks, AnOversizedConnectIsCutOffBeforeTheBrokerReadsIt) {
    std::string error;
    auto connection = WireConnection::open(client_port(), server_verified(*platform_), error);
    ASSERT_TRUE(connection) << error;
    // A CONNECT announcing 200 MB; the broker must not wait for (or allocate) it.
    std::string header = "\x10";
    std::size_t length = 200u * 1024 * 1024;
    do {
        unsigned char byte = length % 128;
        length /= 128;
        if (length > 0) byte |= 0x80;
        header += static_cast<char>(byte);
    } while (length > 0);
    ASSERT_TRUE(connection->send(header + std::string(16 * 1024, 'A'), error)) << error;
    bool closed = connection->closed_by_peer(3s);
    EXPECT_TRUE(refused_now("unauthenticated CONNECT announcing 200 MB", "connection closed at the header", closed,
                            closed ? "closed by the broker" : "the broker kept reading"));
}

TEST_F(BrokerAttacks, AnOversizedPublishFromALampIsNotStored) {
    const std::string device = "0300000000d1";
    const std::string changed = topic(device, topics::kChanged);
    auto watcher = observer({changed});
    MqttAttempt attacker = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(attacker.accepted) << attacker.observed;
    std::string error;
    attacker.session->send(mqtt_publish_packet(changed, std::string(1024 * 1024, 'x'), 1, 1, true), error);
    // Control on a fresh connection (the broker may close the one that sent too much).
    MqttAttempt control = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(control.accepted) << control.observed;
    ASSERT_TRUE(control.session->send(mqtt_publish_packet(changed, R"({"client":"size-control"})", 1, 1, false), error));
    ASSERT_TRUE(watcher->wait_for(changed, [](const MqttMessage& m) { return m.payload.find("size-control") != std::string::npos; }));
    bool big = false;
    for (const MqttMessage& m : watcher->messages(changed)) big = big || m.payload.size() > 64 * 1024;
    EXPECT_TRUE(refused_now("a lamp certificate publishes a retained 1 MiB lamp/changed", "dropped", !big,
                            big ? "delivered" : "not delivered (a small one was)"));
}

TEST_F(BrokerAttacks, OnlyALampsOwnContractTopicsKeepRetainedState) {
    const std::string device = "0300000000e1";
    MqttAttempt lamp_link = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(lamp_link.accepted) << lamp_link.observed;
    const std::string junk = topic(device, "lamp/connection/x9f3k2/state");
    const std::string known = topic(device, "lamp/connection/lamp_service/state");
    std::string error;
    ASSERT_TRUE(lamp_link.session->send(mqtt_publish_packet(junk, "1", 1, 1, true), error));
    ASSERT_TRUE(lamp_link.session->send(mqtt_publish_packet(known, "1", 1, 2, true), error));
    std::string observed;
    ASSERT_TRUE(mqtt_wait_ack(*lamp_link.session, 0x40, 2, observed)) << observed;  // both handled, in order
    // A new subscriber sees what was retained; the known client's state is the control.
    auto late = observer({topic(device, "lamp/connection/+/state")});
    ASSERT_TRUE(late->wait_for(known, nullptr, 5s)) << "the lamp's own retained state was not kept";
    bool kept = !late->messages(junk).empty();
    EXPECT_TRUE(refused_now("a lamp retains lamp/connection/<random>/state (junk on every owner's page)",
                            "not retained", !kept, kept ? "retained" : "not retained (lamp_service's was)"));

    auto demo = credential("demo");
    ASSERT_TRUE(demo);
    MqttAttempt page = connect_page(*demo, "r");
    ASSERT_TRUE(page.accepted) << page.observed;
    const std::string command = topic(lamp(0), topics::kSetConfig);
    ASSERT_TRUE(page.session->send(mqtt_publish_packet(command, R"({"client":"retained-command"})", 1, 3, true), error));
    ASSERT_TRUE(mqtt_wait_ack(*page.session, 0x40, 3, observed)) << observed;
    // A retained message comes right behind the SUBACK, before the PUBACK that
    // observer() waits for (MqttProbe::wait_connected): it is here already, or never.
    auto later = observer({command});
    auto replayed = later->wait_for(command, [](const MqttMessage& m) { return m.retain; }, 0ms);
    EXPECT_TRUE(refused_now("a person retains a set_config (replayed to the lamp on every reconnect)",
                            "not retained", !replayed, replayed ? "retained" : "not retained"));
}

TEST_F(BrokerAttacks, OneCredentialCannotHoldAnUnboundedNumberOfConnections) {
    std::vector<MqttAttempt> consoles;
    std::string last;
    int accepted = 0;
    for (int i = 0; i < 40; ++i) {
        MqttAttempt a = mqtt_connect(client_port(), server_verified(*platform_),
                                     MqttConnect{"operator-flood-" + std::to_string(i), "operator", operator_password()});
        if (a.accepted) ++accepted;
        last = a.observed;
        consoles.push_back(std::move(a));
    }
    EXPECT_GT(accepted, 0) << "the operator could not connect at all";
    EXPECT_TRUE(refused_now("one operator login opens 40 connections", "capped at 16", accepted <= 16,
                            std::to_string(accepted) + " accepted, then " + last));
}

TEST_F(BrokerAttacks, AClientAskingForNoKeepaliveIsRefused) {
    MqttConnect idler{"operator-idle", "operator", operator_password()};
    idler.keepalive = 0;
    MqttAttempt attempt = mqtt_connect(client_port(), server_verified(*platform_), idler);
    EXPECT_TRUE(refused_now("a client asks for keepalive 0 (an idle socket for ever)", "CONNACK refused",
                            !attempt.accepted, attempt.observed));
}

TEST_F(BrokerAttacks, WildcardSysQos2AndControlTricksStayRefused) {
    const std::string device = "0300000000c2";
    MqttAttempt lamp_link = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(lamp_link.accepted) << lamp_link.observed;
    auto [demo, guest] = demo_and_guest();
    ASSERT_TRUE(guest && demo);
    MqttAttempt guest_page = connect_page(*guest, "t");
    MqttAttempt demo_page = connect_page(*demo, "t");
    ASSERT_TRUE(guest_page.accepted && demo_page.accepted) << guest_page.observed << " / " << demo_page.observed;
    std::string observed;
    // Controls: each reaches its own topic.
    ASSERT_TRUE(subscription_granted(mqtt_subscribe(*lamp_link.session, topic(device, topics::kSetConfig), observed)))
        << observed;
    ASSERT_TRUE(subscription_granted(mqtt_subscribe(*demo_page.session, topic(lamp(0), topics::kChanged), observed)))
        << observed;
    struct Try {
        WireConnection* session;
        std::string who;
        std::string filter;
    };
    for (const Try& t : {Try{lamp_link.session.get(), "a lamp", topic(device, "lamp/+")},
                         Try{lamp_link.session.get(), "a lamp", "$SYS/broker/connection/#"},
                         Try{lamp_link.session.get(), "a lamp", "+/" + device + "/lamp/set_config"},
                         Try{demo_page.session.get(), "a lamp owner", topic(lamp(0), "#")},
                         Try{demo_page.session.get(), "a lamp owner", topic(lamp(0), "lamp/set_config")},
                         Try{demo_page.session.get(), "a lamp owner", "devices/" + lamp(0) + "/+/changed"},
                         Try{guest_page.session.get(), "a guest", "lampi/#"}}) {
        int code = mqtt_subscribe(*t.session, t.filter, observed);
        EXPECT_TRUE(refused(t.who + " subscribes to " + t.filter, "SUBACK 0x80", subscription_refused(code), observed));
    }
    // QoS 2 into another user's lamp, and a lamp forging a revocation: neither
    // reaches anyone; the owner's own command (QoS 2 too) is the control.
    auto watcher = observer({topic(lamp(0), topics::kSetConfig)});
    std::string error;
    // QoS 2 is released to subscribers by PUBREL, sent right behind the PUBLISH.
    auto pubrel = [](std::uint16_t id) {
        return std::string{'\x62', '\x02', static_cast<char>(id >> 8), static_cast<char>(id & 0xff)};
    };
    ASSERT_TRUE(guest_page.session->send(
        mqtt_publish_packet(topic(lamp(0), topics::kSetConfig), R"({"client":"guest-qos2"})", 2, 11) + pubrel(11),
        error));
    // PUBCOMP: the broker is done with the guest's message before the owner's is
    // sent, so had it gone through it would reach the watcher first.
    ASSERT_TRUE(mqtt_wait_ack(*guest_page.session, 0x70, 11, observed)) << observed;
    ASSERT_TRUE(lamp_link.session->send(
        mqtt_publish_packet("lampi/control/revoke", R"({"device":")" + lamp(0) + "\"}", 1, 12), error));
    ASSERT_TRUE(demo_page.session->send(
        mqtt_publish_packet(topic(lamp(0), topics::kSetConfig), R"({"client":"owner-qos2"})", 2, 13) + pubrel(13),
        error));
    ASSERT_TRUE(watcher->wait_for(topic(lamp(0), topics::kSetConfig),
                                  [](const MqttMessage& m) { return m.payload.find("owner-qos2") != std::string::npos; }))
        << "the owner's QoS 2 command did not arrive";
    auto leaked = watcher->wait_for(
        topic(lamp(0), topics::kSetConfig),
        [](const MqttMessage& m) { return m.payload.find("guest-qos2") != std::string::npos; }, 0ms);
    EXPECT_TRUE(refused("a guest publishes QoS 2 into another user's lamp", "dropped", !leaked,
                        leaked ? "delivered" : "not delivered (the owner's was)"));
    auto bridge_state = observer({topic(lamp(0), "lamp/connection/bridge/state")});
    auto online = bridge_state->wait_for(topic(lamp(0), "lamp/connection/bridge/state"), nullptr, 5s);
    bool still_online = online && online->payload == "1";
    EXPECT_TRUE(refused("a lamp publishes a forged revocation of another lamp", "ignored", still_online,
                        still_online ? "lamp 0 still online" : "lamp 0 was cut"));
}

// ---- issue 8 item 6: in-band revocation ----------------------------------------

TEST_F(BrokerAttacks, NobodyButTheCloudUsesTheControlTopic) {
    auto [demo, guest] = demo_and_guest();
    ASSERT_TRUE(demo && guest);
    MqttAttempt victim = connect_page(*demo, "v");
    ASSERT_TRUE(victim.accepted) << victim.observed;
    MqttAttempt attacker = connect_page(*guest, "a");
    ASSERT_TRUE(attacker.accepted) << attacker.observed;
    std::string observed;
    int code = mqtt_subscribe(*attacker.session, "lampi/control/#", observed);
    EXPECT_TRUE(refused("a person subscribes to lampi/control/#", "SUBACK 0x80", subscription_refused(code), observed));
    MqttAttempt ops = mqtt_connect(client_port(), server_verified(*platform_),
                                   MqttConnect{"operator-control", "operator", operator_password()});
    ASSERT_TRUE(ops.accepted) << ops.observed;
    code = mqtt_subscribe(*ops.session, "lampi/control/revoke", observed);
    EXPECT_TRUE(refused_now("the operator subscribes to lampi/control/revoke", "SUBACK 0x80", subscription_refused(code), observed));
    std::string error;
    std::string forged = R"({"user":")" + platform_->login("demo", "username") + R"(","issued_before":)" +
                         std::to_string(unix_now() + 60) + "}";
    ASSERT_TRUE(attacker.session->send(mqtt_publish_packet("lampi/control/revoke", forged, 1, 7), error));
    ASSERT_TRUE(ops.session->send(mqtt_publish_packet("lampi/control/revoke", forged, 1, 8), error));
    bool cut = victim.session->closed_by_peer(1500ms);
    EXPECT_TRUE(refused("a person and the operator publish a revocation of another user", "ignored", !cut,
                        cut ? "the victim was disconnected" : "the victim stayed connected"));
}

// ---- issue 9 items 3 and 8: across a cloud broker restart ---------------------

// The steps of ACommandForAnAbsentLampIsQueuedAndDeliveredWhenItReturns on
// purpose: what this test adds is the broker restart while the lamp is away.
TEST_F(BrokerAttacks, ACommandForALampAwayAcrossABrokerRestartIsStillQueued) {
    const std::string device = "0300000000b2";
    const MqttConnect connect = lamp_kept_while_away(device);
    ASSERT_NO_FATAL_FAILURE(subscribe_to_commands_and_leave(device, connect));
    platform_->supervisorctl("restart cloud-broker");  // a clean stop saves the sessions
    ASSERT_TRUE(wait_for_port(client_port(), 20s) && wait_for_port(lamp_port(), 20s));
    bool delivered = false;
    std::string observed;
    ASSERT_NO_FATAL_FAILURE(command_the_lamp_while_away(device, connect, "queued-across-restart", delivered, observed));
    EXPECT_TRUE(refused_now("a command for a lamp away across a cloud broker restart is dropped", "delivered on return",
                            delivered, observed));
}

TEST_F(BrokerAttacks, AfterAKill9TheCloudBrokerServesNoStateOlderThanItsSnapshotInterval) {
    const std::string device = "0300000000b3";
    const std::string changed = topic(device, topics::kChanged);
    MqttAttempt lamp_link = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(lamp_link.accepted) << lamp_link.observed;
    std::string error;
    ASSERT_TRUE(lamp_link.session->send(mqtt_publish_packet(changed, R"({"client":"old","version":1})", 1, 1, true), error));
    std::string acked;
    ASSERT_TRUE(mqtt_wait_ack(*lamp_link.session, 0x40, 1, acked)) << acked;
    ASSERT_TRUE(lamp_link.session->send(mqtt_publish_packet(changed, R"({"client":"new","version":2})", 1, 2, true), error));
    ASSERT_TRUE(mqtt_wait_ack(*lamp_link.session, 0x40, 2, acked)) << acked;
    // Mosquitto saves on its own loop, so a snapshot written after the second PUBACK
    // reached us holds the new state. Within 20 s: one snapshot interval (5 s, checked
    // once a second) and slack for a loaded machine, far shorter than the old 60 s.
    const auto acked_at = std::filesystem::file_time_type::clock::now();
    const std::string snapshot = platform_->stack_dir() + "/cloud-broker/mosquitto.db";
    ASSERT_TRUE(eventually(
        [&] {
            std::error_code ec;
            auto written = std::filesystem::last_write_time(snapshot, ec);
            return !ec && written > acked_at;
        },
        20s))
        << "the cloud broker wrote no snapshot of " << snapshot << " within 20 s";
    const std::string killed = platform_->supervisorctl("pid cloud-broker");
    platform_->supervisorctl("signal KILL cloud-broker");  // supervisord starts it again
    lamp_link.session.reset();
    ASSERT_TRUE(eventually([&] { return platform_->supervisorctl("pid cloud-broker") != killed; }, 20s))
        << "supervisord did not start the cloud broker again";
    ASSERT_TRUE(wait_for_port(client_port(), 20s)) << "the cloud broker did not come back";
    auto late = observer({changed});
    auto state = late->wait_for(changed, nullptr, 5s);
    bool current = state && state->payload.find("\"new\"") != std::string::npos;
    EXPECT_TRUE(refused_now("after a kill -9 the cloud broker serves a lamp state older than its last snapshot",
                            "the latest state", current, state ? "retained " + state->payload : "nothing retained"));
}

// Stops lampi-cloud for a moment to speak as its identity, so it runs last.
TEST_F(BrokerAttacks, ARevocationFromTheCloudEndsConnectionsWithinASecond) {
    auto [demo, guest] = demo_and_guest();
    ASSERT_TRUE(demo && guest);
    MqttAttempt page = connect_page(*demo, "1");
    MqttAttempt bystander = connect_page(*guest, "1");
    const std::string device = "0300000000f1";
    MqttAttempt lamp_link = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    ASSERT_TRUE(page.accepted && bystander.accepted && lamp_link.accepted)
        << page.observed << " / " << bystander.observed << " / " << lamp_link.observed;
    ASSERT_NE(platform_->supervisorctl("stop lampi-cloud").find("stopped"), std::string::npos);
    MqttAttempt cloud = mqtt_connect(client_port(), server_verified(*platform_),
                                     MqttConnect{"lampi-cloud", "lampi-cloud", service_password()});
    ASSERT_TRUE(cloud.accepted) << cloud.observed;
    std::string error;
    std::string revoke_user = R"({"user":")" + platform_->login("demo", "username") + R"(","issued_before":)" +
                              std::to_string(unix_now()) + "}";
    auto sent = std::chrono::steady_clock::now();
    ASSERT_TRUE(cloud.session->send(mqtt_publish_packet("lampi/control/revoke", revoke_user, 1, 1), error));
    bool cut = page.session->closed_by_peer(1000ms);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
    EXPECT_TRUE(refused_now("a web credential issued before logout keeps its broker connection",
                            "disconnected within 1 s", cut, cut ? "closed after " + std::to_string(took.count()) + " ms"
                                                                : "still connected after 1 s"));
    MqttAttempt again = connect_page(*demo, "2");
    EXPECT_TRUE(refused_now("a web credential issued before logout connects again", "CONNACK refused",
                            !again.accepted, again.observed));
    // The revocation was handled (the page was cut): a bystander still answered
    // now was not cut by it.
    std::string alive;
    EXPECT_TRUE(mqtt_publish_acknowledged(*bystander.session, "lampi-test/ack", "", alive))
        << "another user's page was cut too: " << alive;

    ASSERT_TRUE(cloud.session->send(mqtt_publish_packet("lampi/control/revoke", R"({"device":")" + device + "\"}", 1, 2),
                                    error));
    bool lamp_cut = lamp_link.session->closed_by_peer(1000ms);
    EXPECT_TRUE(refused_now("a revoked lamp's certificate keeps its connection", "disconnected within 1 s", lamp_cut,
                            lamp_cut ? "closed" : "still connected after 1 s"));
    MqttAttempt lamp_again = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    EXPECT_TRUE(refused_now("a revoked lamp's certificate connects again", "CONNACK refused", !lamp_again.accepted,
                            lamp_again.observed));
    cloud.session.reset();
    platform_->supervisorctl("start lampi-cloud");
}

// lampi-ca revokes a lamp's certificate (a new CRL on disk): its live connection
// ends within a second and it cannot come back, without reloading the broker.
TEST_F(BrokerAttacks, ALampRevokedWithLampiCaIsCutWithinASecond) {
    const std::string device = "0300000000f2";
    const std::string bystander_device = "0300000000f3";
    MqttAttempt lamp_link = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    MqttAttempt bystander = mqtt_connect(lamp_port(), extra_lamp(bystander_device), as_lamp(bystander_device));
    ASSERT_TRUE(lamp_link.accepted && bystander.accepted) << lamp_link.observed << " / " << bystander.observed;
    {
        auto authority = ca::CertificateAuthority::open(platform_->ca_dir());
        ASSERT_TRUE(authority) << authority.status().message();
        auto revoked = authority.value().revoke(device, "keyCompromise");
        ASSERT_TRUE(revoked) << revoked.status().message();
    }
    bool cut = lamp_link.session->closed_by_peer(1500ms);
    EXPECT_TRUE(refused_now("a lamp revoked with lampi-ca keeps its live connection", "disconnected within 1 s",
                            cut, cut ? "closed" : "still connected after 1.5 s"));
    MqttAttempt again = mqtt_connect(lamp_port(), extra_lamp(device), as_lamp(device));
    EXPECT_TRUE(refused_now("a lamp revoked with lampi-ca reconnects before the broker reloads its CRL",
                            "refused", !again.accepted, again.observed));
    std::string alive;  // the CRL was handled (the lamp was cut): a bystander still answered now was not cut
    EXPECT_TRUE(mqtt_publish_acknowledged(*bystander.session, "lampi-test/ack", "", alive))
        << "another lamp was cut too: " << alive;
}

// A lamp renewed its certificate; the operator then revokes the one it replaced
// (lampi-ca revoke <serial>). A connection still on the old one is cut within 5 s
// and the old one stays out, but the renewed certificate of the same lamp gets in:
// the CRL names certificates, not lamps.
TEST_F(BrokerAttacks, RevokingALampsReplacedCertificateCutsItButLetsTheRenewedOneIn) {
    const std::string device = "0300000000f4";
    const std::string old_prefix = platform_->dir / ("renewed-" + device + "-old");
    const std::string new_prefix = platform_->dir / ("renewed-" + device + "-new");
    std::string old_serial;
    {
        auto authority = ca::CertificateAuthority::open(platform_->ca_dir());
        ASSERT_TRUE(authority) << authority.status().message();
        auto old_files = authority.value().issue_device(device, old_prefix);
        ASSERT_TRUE(old_files) << old_files.status().message();
        old_serial = old_files->entry.serial;
        ca::IssueOptions renewal;
        renewal.renewing_serial = old_serial;
        auto new_files = authority.value().issue_device(device, new_prefix, renewal);
        ASSERT_TRUE(new_files) << new_files.status().message();
    }
    const TlsIdentity old_certificate{platform_->ca_file(), old_prefix + ".pem", old_prefix + ".key"};
    const TlsIdentity new_certificate{platform_->ca_file(), new_prefix + ".pem", new_prefix + ".key"};
    MqttAttempt on_old = mqtt_connect(lamp_port(), old_certificate, as_lamp(device));
    ASSERT_TRUE(on_old.accepted) << on_old.observed;
    {
        auto authority = ca::CertificateAuthority::open(platform_->ca_dir());
        ASSERT_TRUE(authority) << authority.status().message();
        auto revoked = authority.value().revoke(old_serial, "superseded");
        ASSERT_TRUE(revoked) << revoked.status().message();
    }
    auto revoked_at = std::chrono::steady_clock::now();
    bool cut = on_old.session->closed_by_peer(5000ms);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - revoked_at);
    EXPECT_TRUE(
        refused_now("a lamp on a revoked certificate keeps its live connection", "disconnected within 5 s", cut,
                    cut ? "closed after " + std::to_string(took.count()) + " ms" : "still connected after 5 s"));
    MqttAttempt old_again = mqtt_connect(lamp_port(), old_certificate, as_lamp(device));
    EXPECT_TRUE(
        refused_now("a revoked certificate connects again", "refused", !old_again.accepted, old_again.observed));
    MqttAttempt renewed = mqtt_connect(lamp_port(), new_certificate, as_lamp(device));
    EXPECT_TRUE(renewed.accepted) << "the lamp's renewed certificate was refused with the old one: "
                                  << renewed.observed;
}

// The plugin asks lampi-cloud again about every connected web credential (every
// 30 s in the stack, every second here) and disconnects the clients of one the
// cloud no longer vouches for, with no revocation message.
class BrokerRefresh : public PlatformSuite<1, 0, 1> {};

TEST_F(BrokerRefresh, AWebCredentialTheCloudNoLongerVouchesForIsCutAtTheNextRefresh) {
    auto credential = platform_->broker_credential(platform_->login("demo", "username"), platform_->login("demo", "password"));
    ASSERT_TRUE(credential);
    const auto& [username, password] = *credential;
    MqttConnect as_page = client_id_only(username + "-1");
    as_page.username = username;
    as_page.password = password;
    MqttAttempt page = mqtt_connect(platform_->client_mqtt_port(), server_verified(*platform_), as_page);
    ASSERT_TRUE(page.accepted) << page.observed;
    EXPECT_FALSE(page.session->closed_by_peer(3000ms)) << "cut while the cloud still vouched for the credential";

    // The cloud forgets the credential (as an expiry or a deleted account would)
    // and tells the broker nothing: only the refresh can notice.
    std::string forget = "sqlite3 -cmd '.timeout 10000' " + platform_->stack_dir() +
                         "/cloud/lampi.sqlite3 \"DELETE FROM broker_credentials WHERE username = '" + username + "'\"";
    RunResult forgot = run_shell(forget, 30s);
    ASSERT_EQ(forgot.exit_code, 0) << forget << "\n" << forgot.output;
    auto forgotten = std::chrono::steady_clock::now();
    bool cut = page.session->closed_by_peer(10000ms);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - forgotten);
    EXPECT_TRUE(cut) << "a credential the cloud refuses kept its connection for 10 s (refresh every 1 s)";
    EXPECT_LT(took, 5000ms) << "refresh every 1 s, cut after " << took.count() << " ms";
}

}  // namespace
}  // namespace lampi::testing
