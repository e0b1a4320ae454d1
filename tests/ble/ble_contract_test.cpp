// lampi-ble against the BlueZ stand-in on a private D-Bus, a real Mosquitto and
// a real lampid: what a phone's requests do to the lamp, and what the lamp's
// changes send to the phone. No radio is involved (this machine has none).
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <chrono>
#include <future>

#include "bluez_stand_in.h"
#include "gatt_codec.h"
#include "lampi/lamp_codec.h"
#include "lampi/pairing_codec.h"
#include "lampi/topics.h"
#include "mqtt_harness.h"
#include "process.h"

namespace lampi::ble {
namespace {

using namespace std::chrono_literals;
using namespace lampi::testing;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

const std::string kDevice = "b827eb74663e";
// Short, so an unanswered prompt is refused quickly; long enough for the test to answer on a loaded machine.
constexpr auto kPairingTimeout = 2000ms;
const std::string kPhone = "/org/bluez/hci0/dev_00_11_22_33_44_55";

std::string uuid(Characteristic c) { return std::string(uuid_of(c)); }

std::optional<LampState> as_state(const MqttMessage& m) {
    Result<LampState> s = decode_changed(m.payload);
    return s ? std::optional<LampState>(*s) : std::nullopt;
}

class BleContract : public ::testing::Test {
protected:
    void SetUp() override {
        bus_ = std::make_unique<PrivateBus>(dir_);
        ASSERT_TRUE(bus_->ready()) << "dbus-daemon did not start\n" << bus_->log();
        bluez_ = std::make_unique<BluezStandIn>(bus_->address());
        broker_ = std::make_unique<TestBroker>(dir_.path(), "lamp");
        probe_ = std::make_unique<MqttProbe>(broker_->port(), std::vector<std::string>{"lamp/#"});
        ASSERT_TRUE(probe_->wait_connected());
        lampid_ = std::make_unique<Process>(std::vector<std::string>{LAMPID_BINARY, "--port",
                                                                     std::to_string(broker_->port()), "--device-id",
                                                                     kDevice, "--state-file", dir_ / "lamp-state.json",
                                                                     "--simulated-output", dir_ / "led"},
                                            dir_ / "lampid.log");
        lampid_->start();
        ASSERT_TRUE(probe_->wait_for(std::string(topics::kChanged))) << lampid_->log();
        ble_ = std::make_unique<Process>(std::vector<std::string>{LAMPI_BLE_BINARY, "--port",
                                                                  std::to_string(broker_->port()), "--device-id",
                                                                  kDevice, "--bus", bus_->address(), "--log-level",
                                                                  "debug", "--pairing-timeout-ms",
                                                                  std::to_string(kPairingTimeout.count())},
                                         dir_ / "ble.log");
        ble_->start();
        ASSERT_TRUE(bluez_->wait_registered(10s)) << ble_->log();
        ASSERT_TRUE(probe_->wait_for(topics::connection_state(topics::kBleClient), [](const MqttMessage& m) {
            return m.payload == "1";
        })) << ble_->log();
        // It serves the lamp's state once the retained lamp/changed is in.
        for (auto until = Clock::now() + 5s; Clock::now() < until && !bluez_->read(uuid(Characteristic::power)).ok();)
            std::this_thread::sleep_for(10ms);
    }

    void TearDown() override {
        if (HasFailure() && ble_)
            std::cerr << "--- lampi-ble ---\n" << ble_->log() << "--- lampid ---\n" << lampid_->log();
    }

    // The first lamp/changed caused by lampi-ble that satisfies `match`.
    std::optional<LampState> changed_by_ble(const std::function<bool(const LampState&)>& match) {
        std::optional<LampState> found;
        probe_->wait_for(std::string(topics::kChanged), [&](const MqttMessage& m) {
            auto s = as_state(m);
            if (s && s->client == topics::kBleClient && match(*s)) found = s;
            return found.has_value();
        });
        return found;
    }

    void send_set_config(const std::string& json) {
        ASSERT_TRUE(probe_->publish_acknowledged(std::string(topics::kSetConfig), json));
    }

    TempDir dir_;
    std::unique_ptr<PrivateBus> bus_;
    std::unique_ptr<BluezStandIn> bluez_;
    std::unique_ptr<TestBroker> broker_;
    std::unique_ptr<MqttProbe> probe_;
    std::unique_ptr<Process> lampid_, ble_;
};

TEST_F(BleContract, RegistersItsServiceAndAdvertisementAsBluezExpects) {
    ManagedObjects tree = bluez_->application_tree();
    std::string service_path;
    for (const auto& [path, interfaces] : tree) {
        auto service = interfaces.find("org.bluez.GattService1");
        if (service == interfaces.end()) continue;
        service_path = path;
        EXPECT_EQ(service->second.at("UUID").get<std::string>(), kServiceUuid);
        EXPECT_TRUE(service->second.at("Primary").get<bool>());
    }
    ASSERT_FALSE(service_path.empty()) << "no org.bluez.GattService1 in the tree";
    for (Characteristic c : kCharacteristics) {
        std::string path = bluez_->characteristic(uuid(c));
        ASSERT_FALSE(path.empty()) << name_of(c) << " is not in the tree";
        const auto& chrc = tree.at(sdbus::ObjectPath(path)).at("org.bluez.GattCharacteristic1");
        EXPECT_EQ(chrc.at("Service").get<sdbus::ObjectPath>(), service_path) << name_of(c);
        auto flags = chrc.at("Flags").get<std::vector<std::string>>();
        auto has = [&](const char* f) { return std::find(flags.begin(), flags.end(), f) != flags.end(); };
        if (writable(c)) {
            EXPECT_TRUE(has("encrypt-write") && has("encrypt-read") && has("notify")) << name_of(c);
            EXPECT_FALSE(has("write") || has("read")) << name_of(c) << ": the lamp's state needs a paired link";
        } else {
            EXPECT_TRUE(has("read")) << name_of(c);
            EXPECT_FALSE(has("write") || has("encrypt-write")) << name_of(c);
        }
    }
    auto advert = bluez_->advertisement();
    EXPECT_EQ(advert.at("Type").get<std::string>(), "peripheral");
    EXPECT_EQ(advert.at("LocalName").get<std::string>(), "LAMPi " + kDevice);
    EXPECT_EQ(advert.at("ServiceUUIDs").get<std::vector<std::string>>(),
              std::vector<std::string>{std::string(kServiceUuid)});
    EXPECT_EQ(bluez_->read(uuid(Characteristic::device_id)).value, Bytes(kDevice.begin(), kDevice.end()));
}

TEST_F(BleContract, AWriteBecomesASetConfigFromLampBleAndChangesTheLamp) {
    auto sent = Clock::now();
    GattAnswer w = bluez_->write(uuid(Characteristic::brightness), Bytes{0x00, 0x40});
    ASSERT_TRUE(w.ok()) << w.error_name << ": " << w.error_message;
    auto changed = changed_by_ble([](const LampState& s) { return std::abs(s.brightness - 0.25) < 1e-4; });
    ASSERT_TRUE(changed) << "no lamp/changed from lamp_ble with brightness 0.25";
    auto latency = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
    std::cout << fmt::format("write -> lamp/changed: {:.1f} ms\n", latency);

    GattAnswer colour = bluez_->write(uuid(Characteristic::colour), Bytes{0x00, 0x80, 0xff, 0xff});
    ASSERT_TRUE(colour.ok()) << colour.error_name;
    ASSERT_TRUE(changed_by_ble([](const LampState& s) { return std::abs(s.hue - 0.5) < 1e-4 && s.saturation == 1.0; }));
    ASSERT_TRUE(bluez_->write(uuid(Characteristic::power), Bytes{0x01}).ok());
    ASSERT_TRUE(changed_by_ble([](const LampState& s) { return s.on; }));
    // Reads show the lamp's state, not what was written: lampid's answer came back.
    // The service takes the same lamp/changed the test saw, maybe a moment later.
    auto reads = [&](Characteristic c, const Bytes& expected) {
        return lampi::testing::eventually([&] { return bluez_->read(uuid(c)).value == expected; },
                                          std::chrono::seconds(5));
    };
    EXPECT_TRUE(reads(Characteristic::colour, Bytes{0x00, 0x80, 0xff, 0xff}));
    EXPECT_TRUE(reads(Characteristic::brightness, Bytes{0x00, 0x40}));
    EXPECT_TRUE(reads(Characteristic::power, Bytes{0x01}));
    EXPECT_EQ(bluez_->read(uuid(Characteristic::brightness), 1).value, Bytes{0x40}) << "a long read from offset 1";
}

TEST_F(BleContract, EveryLampChangeNotifiesSubscribedCharacteristicsOnly) {
    ASSERT_TRUE(bluez_->start_notify(uuid(Characteristic::brightness)).ok());
    send_set_config(R"({"brightness": 0.5, "client": "test"})");
    ASSERT_TRUE(bluez_->wait_notification(
        uuid(Characteristic::brightness),
        [](const Bytes& v) {
            return v == Bytes{0x00, 0x80};
        },
        5s))
        << "no notification of brightness 0.5";
    // The colour was not subscribed: a change of it and of the brightness
    // notifies only the brightness (the marker that the change was handled).
    send_set_config(R"({"color": {"h": 0.25, "s": 0.5}, "brightness": 1.0, "client": "test"})");
    ASSERT_TRUE(bluez_->wait_notification(
        uuid(Characteristic::brightness),
        [](const Bytes& v) {
            return v == Bytes{0xff, 0xff};
        },
        5s));
    EXPECT_TRUE(bluez_->notifications(uuid(Characteristic::colour)).empty());
    EXPECT_TRUE(bluez_->notifications(uuid(Characteristic::power)).empty());
    EXPECT_EQ(bluez_->start_notify(uuid(Characteristic::device_id)).error_name, "org.bluez.Error.NotSupported");
}

TEST_F(BleContract, BadWritesAreRefusedWithTheProperErrorAndReachNoLamp) {
    struct Case {
        const char* what;
        Characteristic c;
        Bytes value;
        std::uint16_t offset;
        std::string error;
        std::string message;  // checked when not empty
    };
    const Case cases[] = {
        {"colour of 3 bytes", Characteristic::colour, {1, 2, 3}, 0, std::string(kInvalidValueLength), ""},
        {"power of 2", Characteristic::power, {2}, 0, std::string(kFailed), std::string(kOutOfRangeCode)},
        {"the device id", Characteristic::device_id, Bytes(12, 'f'), 0, std::string(kNotPermitted), ""},
        {"brightness at offset 1", Characteristic::brightness, {0, 0}, 1, std::string(kInvalidOffset), ""},
        {"nothing at all", Characteristic::power, {}, 0, std::string(kInvalidValueLength), ""},
    };
    for (const Case& c : cases) {
        GattAnswer a = bluez_->write(uuid(c.c), c.value, c.offset);
        EXPECT_EQ(a.error_name, c.error) << c.what;
        if (!c.message.empty()) {
            EXPECT_EQ(a.error_message, c.message) << c.what;
        }
    }
    std::map<std::string, sdbus::Variant> bad_offset{{"offset", sdbus::Variant(std::string("zero"))}};
    EXPECT_EQ(bluez_->write_with_options(uuid(Characteristic::power), Bytes{1}, bad_offset).error_name,
              std::string(kInvalidOffset));
    // A good write after them is the only change lampi-ble caused.
    ASSERT_TRUE(bluez_->write(uuid(Characteristic::brightness), Bytes{0x34, 0x12}).ok());
    ASSERT_TRUE(changed_by_ble([](const LampState& s) { return std::abs(s.brightness - 0x1234 / 65535.0) < 1e-4; }));
    int from_ble = 0;
    for (const MqttMessage& m : probe_->messages(std::string(topics::kChanged))) {
        auto s = as_state(m);
        if (s && s->client == topics::kBleClient) ++from_ble;
    }
    EXPECT_EQ(from_ble, 1) << "a refused write reached the lamp";
}

TEST_F(BleContract, ACentralLeavingMidNotifyStopsItsNotificationsAndNothingBreaks) {
    ASSERT_TRUE(bluez_->start_notify(uuid(Characteristic::brightness)).ok());
    for (int i = 1; i <= 20; ++i) {
        send_set_config(fmt::format(R"({{"brightness": {:.3f}, "client": "test"}})", i / 100.0));
        if (i == 10) {
            ASSERT_TRUE(bluez_->stop_notify(uuid(Characteristic::brightness)).ok());
        }
    }
    // Marker: subscribe to the colour and change colour and brightness at once.
    ASSERT_TRUE(bluez_->start_notify(uuid(Characteristic::colour)).ok());
    send_set_config(R"({"color": {"h": 0.75, "s": 0.75}, "brightness": 0.9, "client": "test"})");
    ASSERT_TRUE(bluez_->wait_notification(
        uuid(Characteristic::colour),
        [](const Bytes& v) {
            return v == Bytes{0xff, 0xbf, 0xff, 0xbf};
        },
        5s));
    auto brightness = bluez_->notifications(uuid(Characteristic::brightness));
    EXPECT_LE(brightness.size(), 11u) << "notifications went on after StopNotify";
    LampState marker;
    marker.brightness = 0.9;
    for (const Bytes& v : brightness) {
        EXPECT_NE(v, encode(Characteristic::brightness, marker, "")) << "the brightness notified after StopNotify";
    }
    EXPECT_TRUE(bluez_->read(uuid(Characteristic::power)).ok()) << "lampi-ble stopped answering";
}

TEST_F(BleContract, RegistersAgainWhenBluetoothdComesBack) {
    ASSERT_EQ(bluez_->application_registrations(), 1);
    bluez_->leave();
    bluez_->come_back();
    for (auto until = Clock::now() + 10s; Clock::now() < until && bluez_->application_registrations() < 2;)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(bluez_->application_registrations(), 2) << "lampi-ble did not register with the new bluetoothd";
    EXPECT_TRUE(bluez_->read(uuid(Characteristic::power)).ok());
}

TEST_F(BleContract, AnnouncesItselfAndItsLastWillSaysOffline) {
    ble_->kill9();
    EXPECT_TRUE(probe_->wait_for(
        topics::connection_state(topics::kBleClient), [](const MqttMessage& m) { return m.payload == "0"; }, 30s))
        << "no Last Will after kill -9";
}

// The stack starts the bus and lampi-ble at once, and a Pi starts dbus.service
// at boot: lampi-ble waits for a bus that is not there yet instead of exiting.
TEST(BleStartup, ABusThatComesLaterIsWaitedFor) {
    TempDir dir;
    TestBroker broker(dir.path(), "lamp");
    Process ble({LAMPI_BLE_BINARY, "--port", std::to_string(broker.port()), "--device-id", kDevice, "--bus",
                 "unix:path=" + (dir / "bus.socket")},
                dir / "ble.log");
    ble.start();
    MqttProbe probe(broker.port(), {"lamp/#"});
    ASSERT_TRUE(probe.wait_connected());
    // Running and waiting: its broker link is up before any bus exists.
    ASSERT_TRUE(probe.wait_for(topics::connection_state(topics::kBleClient), [](const MqttMessage& m) {
        return m.payload == "1";
    })) << ble.log();
    PrivateBus bus(dir);  // listens on dir/bus.socket
    ASSERT_TRUE(bus.ready()) << bus.log();
    BluezStandIn bluez(bus.address());
    EXPECT_TRUE(bluez.wait_registered(15s)) << ble.log();
    EXPECT_TRUE(ble.running()) << ble.log();
}

// Pairing: lampi-ble is bluetoothd's default agent, and a phone's numeric
// comparison is confirmed on the lamp's screen over the lamp's broker.
class BlePairing : public BleContract {
protected:
    void SetUp() override {
        BleContract::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_TRUE(bluez_->wait_default_agent(10s)) << ble_->log();
    }

    // The screen says it is there, as lampi-ui does (retained), and lampi-ble has heard it.
    void connect_screen() {
        ASSERT_TRUE(probe_->publish(topics::connection_state(topics::kScreenClient), "1", 1, true));
        ASSERT_TRUE(
            eventually([&] { return ble_->log().find("the lamp's screen is connected") != std::string::npos; }, 10s))
            << ble_->log();
    }

    // bluetoothd's RequestConfirmation, on a thread: it waits on the screen.
    std::future<GattAnswer> confirm(std::uint32_t passkey) {
        return std::async(std::launch::async,
                          [this, passkey] { return bluez_->request_confirmation(kPhone, passkey, 20s); });
    }

    // The prompt (not a withdrawal) lampi-ble showed.
    std::optional<PairingPrompt> prompt_shown() {
        std::optional<PairingPrompt> shown;
        probe_->wait_for(std::string(topics::kBlePairing), [&](const MqttMessage& m) {
            Result<PairingPrompt> p = decode_pairing_prompt(m.payload);
            if (p && !p->withdrawn) shown = *p;
            return shown.has_value();
        });
        return shown;
    }

    bool withdrawn(const std::string& id) {
        return probe_
            ->wait_for(std::string(topics::kBlePairing),
                       [&](const MqttMessage& m) {
                           Result<PairingPrompt> p = decode_pairing_prompt(m.payload);
                           return p && p->withdrawn && p->id == id;
                       })
            .has_value();
    }

    void answer(const std::string& payload) {
        ASSERT_TRUE(probe_->publish_acknowledged(std::string(topics::kBlePairingAnswer), payload));
    }
};

TEST_F(BlePairing, RegistersAsTheDefaultAgentThatCanShowAndAskYesOrNo) {
    EXPECT_EQ(bluez_->agent_capability(), "DisplayYesNo");
}

TEST_F(BlePairing, AllowOnTheScreenConfirmsThePairing) {
    connect_screen();
    auto started = Clock::now();
    auto pending = confirm(4321);
    std::optional<PairingPrompt> prompt = prompt_shown();
    ASSERT_TRUE(prompt) << ble_->log();
    EXPECT_EQ(passkey_digits(prompt->passkey), "004321");
    EXPECT_EQ(prompt->label, "device 44:55");
    EXPECT_EQ(prompt->expires_in, kPairingTimeout);
    answer(encode_pairing_answer({prompt->id, true}));
    GattAnswer reply = pending.get();
    EXPECT_TRUE(reply.ok()) << reply.error_name << ": " << reply.error_message << "\n" << ble_->log();
    fmt::print("RequestConfirmation -> prompt -> allow -> reply: {} ms\n",
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
}

TEST_F(BlePairing, DenyOnTheScreenRejectsThePairing) {
    connect_screen();
    auto pending = confirm(999999);
    std::optional<PairingPrompt> prompt = prompt_shown();
    ASSERT_TRUE(prompt) << ble_->log();
    EXPECT_EQ(passkey_digits(prompt->passkey), "999999");
    answer(encode_pairing_answer({prompt->id, false}));
    EXPECT_EQ(pending.get().error_name, "org.bluez.Error.Rejected");
}

// Opens step by step like the two tests above: the clock starts between the
// screen's connection and the request, so the wait measured is the pairing's own.
TEST_F(BlePairing, NoAnswerRejectsThePairingAfterTheTimeoutAndWithdrawsThePrompt) {
    connect_screen();
    auto started = Clock::now();
    auto pending = confirm(123456);
    std::optional<PairingPrompt> prompt = prompt_shown();
    ASSERT_TRUE(prompt) << ble_->log();
    GattAnswer reply = pending.get();
    auto waited = Clock::now() - started;
    EXPECT_EQ(reply.error_name, "org.bluez.Error.Rejected");
    EXPECT_GE(waited, kPairingTimeout);
    EXPECT_LT(waited, kPairingTimeout + 5s);
    EXPECT_TRUE(withdrawn(prompt->id));
}

TEST_F(BlePairing, MalformedOrMismatchedAnswersAreIgnored) {
    connect_screen();
    auto pending = confirm(123456);
    std::optional<PairingPrompt> prompt = prompt_shown();
    ASSERT_TRUE(prompt) << ble_->log();
    for (const std::string& bad :
         {std::string("not json"), std::string("[]"), std::string("{}"), std::string(R"({"id":"x","answer":"allow"})"),
          fmt::format(R"({{"id":"{}","answer":"yes"}})", prompt->id),
          fmt::format(R"({{"id":"{}","answer":true}})", prompt->id), fmt::format(R"({{"id":{},"answer":"allow"}})", 7),
          std::string(2'000, '['), std::string("")})
        answer(bad);
    // None of them answered it: the right answer still does.
    EXPECT_EQ(pending.wait_for(300ms), std::future_status::timeout) << "a bad answer ended the prompt";
    answer(encode_pairing_answer({prompt->id, true}));
    EXPECT_TRUE(pending.get().ok()) << ble_->log();
    EXPECT_TRUE(ble_->running());
}

TEST_F(BlePairing, WithoutTheScreenPairingIsRejectedAtOnce) {
    auto started = Clock::now();
    GattAnswer reply = confirm(123456).get();
    EXPECT_EQ(reply.error_name, "org.bluez.Error.Rejected");
    EXPECT_LT(Clock::now() - started, kPairingTimeout);
    EXPECT_TRUE(probe_->messages(std::string(topics::kBlePairing)).empty()) << "a prompt nobody can see";
}

TEST_F(BlePairing, CancelWithdrawsThePromptAndRejectsThePairing) {
    connect_screen();
    auto pending = confirm(123456);
    std::optional<PairingPrompt> prompt = prompt_shown();
    ASSERT_TRUE(prompt) << ble_->log();
    EXPECT_TRUE(bluez_->call_agent("Cancel", [](sdbus::MethodCall&) {}).ok());
    EXPECT_TRUE(withdrawn(prompt->id));
    EXPECT_EQ(pending.get().error_name, "org.bluez.Error.Rejected");
}

TEST_F(BlePairing, PairingWithoutAPasskeyOrWithAPinIsRejected) {
    connect_screen();
    auto phone = [](sdbus::MethodCall& c) { c << sdbus::ObjectPath(kPhone); };
    for (const char* method : {"RequestAuthorization", "RequestPinCode", "RequestPasskey"})
        EXPECT_EQ(bluez_->call_agent(method, phone).error_name, "org.bluez.Error.Rejected") << method;
    EXPECT_EQ(bluez_
                  ->call_agent("AuthorizeService",
                               [&](sdbus::MethodCall& c) {
                                   c << sdbus::ObjectPath(kPhone) << std::string(kServiceUuid);
                               })
                  .error_name,
              "org.bluez.Error.Rejected");
}

}  // namespace
}  // namespace lampi::ble
