// lampi-ui on a virtual X display, driven by real pointer input (xdotool),
// against a real Mosquitto and a real lampid: what a finger does on the screen
// must come back on lamp/changed.
#include <gtest/gtest.h>

#include <regex>

#include <fmt/core.h>

#include <thread>

#include "lampi/pairing_codec.h"
#include "ui_fixture.h"
#include "virtual_display.h"

namespace lampi::ui::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kWidth = 800, kHeight = 480;

class Touch : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string missing = missing_display_tools();
        LAMPI_UI_REQUIRE(missing.empty(), missing);
        display_ = std::make_unique<VirtualDisplay>(dir_ / "xvfb.log", kWidth, kHeight);
        ASSERT_TRUE(display_->ready()) << "Xvfb did not start\n" << display_->log();
        lamp_ = std::make_unique<RetainedLamp>(dir_);
        lampid_ =
            std::make_unique<Process>(std::vector<std::string>{LAMPID_BINARY, "--port", std::to_string(lamp_->port()),
                                                               "--device-id", kDevice, "--state-file",
                                                               dir_ / "lamp-state.json", "--simulated-output",
                                                               dir_ / "led", "--log-level", "debug"},
                                      dir_ / "lampid.log");
        lampid_->start();
        ASSERT_TRUE(lamp_->probe().wait_for(std::string(topics::kChanged)));
        lamp_->set_cloud(true);

        ::setenv("DISPLAY", display_->name().c_str(), 1);
        ::setenv("SDL_VIDEODRIVER", "x11", 1);
        ui_ = std::make_unique<Process>(std::vector<std::string>{LAMPI_UI_BINARY, "--port",
                                                                 std::to_string(lamp_->port()), "--device-id", kDevice,
                                                                 "--width", std::to_string(kWidth), "--height",
                                                                 std::to_string(kHeight), "--log-level", "debug"},
                                        dir_ / "ui.log");
        ui_->start();
        const std::string ui_state = topics::connection_state(topics::kScreenClient);
        ASSERT_TRUE(lamp_->probe().wait_for(ui_state, [](const MqttMessage& m) { return m.payload == "1"; }))
            << ui_->log();
        RunResult window = run_shell("timeout 10 " + display_->xdotool("search --sync --onlyvisible --name LAMPi"));
        ASSERT_EQ(window.exit_code, 0) << window.output << ui_->log();
        window_ = window.output.substr(0, window.output.find('\n'));
        // The screen takes input once it has drawn the lamp's state and its window
        // gets X's pointer events; a press on the empty corner shows both (the screen
        // logs each press), sent again until one arrives.
        static const std::regex kStateDrawn("frame: version [0-9]+ at");
        ASSERT_TRUE(lampi::testing::eventually([&] { return std::regex_search(ui_->log(), kStateDrawn); },
                                               std::chrono::seconds(10)))
            << "the screen never drew the lamp's state\n"
            << ui_->log();
        ASSERT_TRUE(lampi::testing::eventually(
            [&] {
                if (ui_->log().find("press at") != std::string::npos) return true;
                RunResult r = run_shell(display_->xdotool(at(1, 1) + " click 1"));
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                return r.exit_code == 0 && ui_->log().find("press at") != std::string::npos;
            },
            std::chrono::seconds(15)))
            << "the screen never received a press\n"
            << ui_->log();
    }

    void TearDown() override {
        if (HasFailure() && ui_)
            std::cerr << "--- lampi-ui ---\n" << ui_->log() << "--- lampid ---\n" << lampid_->log();
    }

    void xdotool(const std::string& args) {
        RunResult r = run_shell(display_->xdotool(args));
        ASSERT_EQ(r.exit_code, 0) << r.output;
    }
    std::string at(int x, int y) const { return fmt::format("mousemove --window {} {} {}", window_, x, y); }

    // The first lamp/changed from the screen that satisfies `match`.
    std::optional<LampState> changed_by_screen(const std::function<bool(const LampState&)>& match) {
        std::optional<LampState> found;
        lamp_->probe().wait_for(std::string(topics::kChanged), [&](const MqttMessage& m) {
            Result<LampState> s = decode_changed(m.payload);
            if (s && s->client == topics::kScreenClient && match(*s)) found = *s;
            return found.has_value();
        });
        return found;
    }

    TempDir dir_;
    std::unique_ptr<VirtualDisplay> display_;
    std::unique_ptr<RetainedLamp> lamp_;
    std::unique_ptr<Process> lampid_, ui_;
    std::string window_;
    const Layout layout_ = compute_layout(kWidth, kHeight);
};

TEST_F(Touch, APairingPromptAnsweredWithAllowPublishesTheAnswerAndGoesAway) {
    PairingPrompt prompt;
    prompt.id = "prompt-1";
    prompt.passkey = 123456;
    prompt.label = "device 44:55";
    prompt.expires_in = std::chrono::milliseconds(30'000);
    auto frames = [&] {
        const std::string log = ui_->log();
        std::size_t n = 0;
        for (std::size_t at = log.find("frame:"); at != std::string::npos; at = log.find("frame:", at + 1)) ++n;
        return n;
    };
    const std::size_t before = frames();
    ASSERT_TRUE(lamp_->probe().publish(std::string(topics::kBlePairing), encode_pairing_prompt(prompt)));
    // The screen draws only on a change: a new frame means the prompt is showing.
    ASSERT_TRUE(lampi::testing::eventually([&] { return frames() > before; }, std::chrono::seconds(5))) << ui_->log();
    std::optional<MqttMessage> answer;
    ASSERT_TRUE(lampi::testing::eventually(
        [&] {
            xdotool(at(layout_.allow.center_x(), layout_.allow.center_y()) + " click 1");
            answer = lamp_->probe().wait_for(std::string(topics::kBlePairingAnswer), nullptr,
                                             std::chrono::milliseconds(500));
            return answer.has_value();
        },
        std::chrono::seconds(10)))
        << ui_->log();
    Result<PairingAnswer> decoded = decode_pairing_answer(answer->payload);
    ASSERT_TRUE(decoded) << answer->payload;
    EXPECT_EQ(decoded->id, "prompt-1");
    EXPECT_TRUE(decoded->allow);
    // Gone: a tap where Allow was reaches the lamp's controls again, not another answer.
    lamp_->probe().clear();
    xdotool(at(layout_.power.center_x(), layout_.power.center_y()) + " click 1");
    EXPECT_TRUE(changed_by_screen([](const LampState&) { return true; }));
    EXPECT_TRUE(lamp_->probe().messages(std::string(topics::kBlePairingAnswer)).empty());
}

TEST_F(Touch, ATapOnThePowerSwitchTurnsTheLampOnAndAnotherOff) {
    lamp_->probe().clear();
    xdotool(at(layout_.power.center_x(), layout_.power.center_y()) + " click 1");
    ASSERT_TRUE(changed_by_screen([](const LampState& s) { return s.on; }));
    lamp_->probe().clear();
    xdotool(at(layout_.power.center_x(), layout_.power.center_y()) + " click 1");
    ASSERT_TRUE(changed_by_screen([](const LampState& s) { return !s.on; }));
}

TEST_F(Touch, DraggingEachSliderSetsTheLampWhereTheFingerLiftsAtAboutThirtyCommandsASecond) {
    for (Slider slider : kSliders) {
        const Rect& track = layout_.slider(slider).track;
        const int y = track.center_y();
        const int from = track_x(track, 0.1), to = track_x(track, 0.8);
        constexpr int kSteps = 60;
        std::string drag = at(from, y) + " mousedown 1";
        for (int i = 1; i <= kSteps; ++i) drag += " " + at(from + (to - from) * i / kSteps, y) + " sleep 0.005";
        drag += " mouseup 1";
        lamp_->probe().clear();
        const auto start = Clock::now();
        xdotool(drag);
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const double expected = track_value(track, to);
        std::optional<LampState> last =
            changed_by_screen([&](const LampState& s) { return std::abs(setting(s, slider) - expected) < 1e-9; });
        ASSERT_TRUE(last) << slider_label(slider);
        int commands = 0;
        for (const MqttMessage& m : lamp_->probe().messages(std::string(topics::kSetConfig))) {
            Result<DecodedUpdate> u = decode_set_config(m.payload);
            ASSERT_TRUE(u);
            EXPECT_EQ(u->update.client, topics::kScreenClient);
            ++commands;
        }
        RecordProperty(std::string(slider_label(slider)) + "_commands", commands);
        std::printf("%s: %d commands for %d motion events in %.2f s\n", slider_label(slider), commands, kSteps,
                    seconds);
        // 60 motion events; at ~30 a second the screen sends about half as many.
        EXPECT_GE(commands, 5) << slider_label(slider);
        EXPECT_LE(commands, static_cast<int>(seconds * 30) + 3)
            << slider_label(slider) << ": " << commands << " commands in " << seconds << " s";
    }
}

TEST_F(Touch, AKilledScreenReadsAsOfflineThroughItsLastWill) {
    lamp_->probe().clear();
    ui_->kill9();
    EXPECT_TRUE(lamp_->probe().wait_for(
        topics::connection_state(topics::kScreenClient), [](const MqttMessage& m) { return m.payload == "0"; },
        std::chrono::seconds(60)));
}

}  // namespace
}  // namespace lampi::ui::test
