// The screen's rules without a display: echoes, pacing, taps and drags.
#include "screen_model.h"

#include <gtest/gtest.h>

#include "bitmap_font.h"
#include "lamp_states.h"
#include "layout.h"
#include "touch_controller.h"

namespace lampi::ui {
namespace {

using namespace std::chrono_literals;

LampState lamp(double hue, std::uint64_t version, std::string client = "page") {
    return testing::lamp_state(true, hue, 1.0, 1.0, std::move(client), version);
}

// A screen on a lamp at hue 0.2 whose user dragged the hue to `released` and let go at `t0`.
ScreenModel after_hue_drag(double released, SteadyTime t0) {
    ScreenModel model("lamp_ui");
    model.on_changed(lamp(0.2, 1));
    model.begin_drag(Slider::hue, 0.5);
    model.drag_to(released);
    model.end_drag(t0);
    return model;
}

TEST(ScreenModel, DropsAnnouncementsThatAreNotNewer) {
    ScreenModel model("lamp_ui");
    EXPECT_TRUE(model.on_changed(lamp(0.2, 5)));
    EXPECT_FALSE(model.on_changed(lamp(0.9, 4)));
    EXPECT_FALSE(model.on_changed(lamp(0.9, 5)));
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.2);
}

TEST(ScreenModel, ADraggedSliderShowsTheFingerNotTheLamp) {
    ScreenModel model("lamp_ui");
    model.on_changed(lamp(0.2, 1));
    model.begin_drag(Slider::hue, 0.5);
    model.on_changed(lamp(0.3, 2, "lamp_ui"));
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.5);
    model.drag_to(0.6);
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.6);
}

TEST(ScreenModel, AfterReleaseOlderEchoesDoNotPullTheSliderBack) {
    ScreenModel model = after_hue_drag(0.7, SteadyTime{});
    model.on_changed(lamp(0.5, 2, "lamp_ui"));  // the echo of an earlier step
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.7);
    model.on_changed(lamp(0.7, 3, "lamp_ui"));  // the echo of the last one
    EXPECT_FALSE(model.hold_deadline());
    model.on_changed(lamp(0.1, 4, "web"));
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.1);
}

TEST(ScreenModel, AnotherClientsChangeEndsTheHold) {
    ScreenModel model = after_hue_drag(0.5, SteadyTime{});
    model.on_changed(lamp(0.9, 2, "page"));
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.9);
}

TEST(ScreenModel, AHoldWhoseEchoNeverCameExpires) {
    const SteadyTime t0{};
    ScreenModel model = after_hue_drag(0.5, t0);
    EXPECT_FALSE(model.expire_hold(t0 + kEchoHold - 1ms));
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.5);
    EXPECT_TRUE(model.expire_hold(t0 + kEchoHold));
    EXPECT_DOUBLE_EQ(model.view().lamp->hue, 0.2);
}

TEST(CommandPacer, LetsOneCommandGoPerGap) {
    CommandPacer pacer(34ms);
    const SteadyTime t0{};
    EXPECT_EQ(pacer.wait(t0), 0ms);
    pacer.sent(t0);
    EXPECT_EQ(pacer.wait(t0 + 10ms), 24ms);
    EXPECT_EQ(pacer.wait(t0 + 34ms), 0ms);
}

struct Recorder {
    std::vector<LampUpdate> sent;
    std::vector<std::chrono::milliseconds> timers;
    std::vector<PairingAnswer> answers;
    TouchController::Hooks hooks() {
        return {[this](const LampUpdate& u) { sent.push_back(u); },
                [this](std::chrono::milliseconds d) { timers.push_back(d); },
                [this](const PairingAnswer& a) { answers.push_back(a); }};
    }
};

TEST(TouchController, ATapOnTheSwitchTogglesTheLamp) {
    ScreenModel model("lamp_ui");
    const Layout layout = compute_layout(800, 480);
    Recorder rec;
    TouchController touch(model, layout, "lamp_ui", rec.hooks());
    touch.press(layout.power.center_x(), layout.power.center_y(), SteadyTime{});
    EXPECT_TRUE(rec.sent.empty()) << "nothing to toggle before the lamp has spoken";
    model.on_changed(lamp(0.2, 1));
    touch.press(layout.power.center_x(), layout.power.center_y(), SteadyTime{});
    ASSERT_EQ(rec.sent.size(), 1U);
    EXPECT_EQ(rec.sent[0].on, false);
    EXPECT_EQ(rec.sent[0].client, "lamp_ui");
}

TEST(TouchController, AFastDragSendsAboutThirtyCommandsASecondAndEndsOnTheLastPosition) {
    ScreenModel model("lamp_ui");
    const Layout layout = compute_layout(800, 480);
    const Rect& track = layout.slider(Slider::brightness).track;
    Recorder rec;
    TouchController touch(model, layout, "lamp_ui", rec.hooks());
    model.on_changed(lamp(0.2, 1));
    SteadyTime now{};
    touch.press(track.x, track.center_y(), now);
    // 200 motion events a second for one second.
    for (int i = 1; i <= 200; ++i) {
        now += 5ms;
        touch.move(track.x + i * (track.w - 1) / 200, track.center_y(), now);
        if (!rec.timers.empty() && i % 7 == 0) {  // the loop's timer fires
            rec.timers.clear();
            touch.timer(now);
        }
    }
    touch.release(track.right() - 1, track.center_y(), now);
    EXPECT_GE(rec.sent.size(), 25U);
    EXPECT_LE(rec.sent.size(), 32U);
    ASSERT_TRUE(rec.sent.back().brightness);
    EXPECT_DOUBLE_EQ(*rec.sent.back().brightness, 1.0);
    EXPECT_DOUBLE_EQ(model.view().lamp->brightness, 1.0);
}

TEST(Layout, EveryControlFitsOnBothScreens) {
    for (auto [w, h] : {std::pair{800, 480}, std::pair{480, 320}}) {
        const Layout l = compute_layout(w, h);
        const Rect screen{0, 0, w, h};
        for (const Rect& r : {l.swatch, l.power, l.panel, l.code_text, l.instruction}) {
            EXPECT_TRUE(screen.contains(r.x, r.y) && screen.contains(r.right() - 1, r.bottom() - 1)) << w;
        }
        for (const SliderLayout& s : l.sliders) {
            EXPECT_GE(s.track.h, 30) << "a finger needs room, at " << w << "x" << h;
            EXPECT_LE(s.track.right(), w);
        }
        EXPECT_GT(place_text(l.instruction, "ENTER IT ON THE LAMPI WEB PAGE", Align::center).scale, 0);
    }
}

TEST(BitmapFont, DigitsAndLettersHaveTheirOwnShapesAndOthersAQuestionMark) {
    EXPECT_NE(glyph('0'), glyph('8'));
    EXPECT_EQ(glyph('a'), glyph('A'));
    EXPECT_EQ(glyph('#'), glyph('?'));
    EXPECT_NE(glyph('Z'), glyph('?'));
}

PairingPrompt prompt_for(const std::string& id) {
    PairingPrompt p;
    p.id = id;
    p.passkey = 4321;
    p.label = "device 44:55";
    p.expires_in = std::chrono::milliseconds(30'000);
    return p;
}

TEST(PairingPromptOnScreen, ShowsUntilWithdrawnOrExpiredAndIgnoresOtherWithdrawals) {
    ScreenModel model("lamp_ui");
    const SteadyTime t0{};
    EXPECT_TRUE(model.on_pairing(prompt_for("a"), t0));
    ASSERT_TRUE(model.view().pairing);
    EXPECT_EQ(model.view().pairing->passkey, "004321");
    PairingPrompt other;
    other.id = "b";
    other.withdrawn = true;
    EXPECT_FALSE(model.on_pairing(other, t0)) << "a withdrawal of another prompt";
    EXPECT_FALSE(model.expire_pairing(t0 + std::chrono::milliseconds(29'999)));
    EXPECT_TRUE(model.expire_pairing(t0 + std::chrono::milliseconds(30'000)));
    EXPECT_FALSE(model.view().pairing);
    model.on_pairing(prompt_for("c"), t0);
    PairingPrompt withdrawal;
    withdrawal.id = "c";
    withdrawal.withdrawn = true;
    EXPECT_TRUE(model.on_pairing(withdrawal, t0));
    EXPECT_FALSE(model.view().pairing);
}

TEST(PairingPromptOnScreen, AllowAndDenyAnswerItAndNothingElseTakesAPress) {
    ScreenModel model("lamp_ui");
    model.on_changed(testing::lamp_state(true, 0.5, 0.5, 0.5, "lampd", 1));
    const Layout layout = compute_layout(800, 480);
    Recorder rec;
    TouchController touch(model, layout, "lamp_ui", rec.hooks());
    const SteadyTime t0{};
    model.on_pairing(prompt_for("a"), t0);
    EXPECT_FALSE(touch.press(layout.power.center_x(), layout.pairing_passkey.center_y(), t0));
    EXPECT_TRUE(rec.sent.empty() && rec.answers.empty()) << "a press outside the buttons";
    EXPECT_TRUE(touch.press(layout.allow.center_x(), layout.allow.center_y(), t0));
    ASSERT_EQ(rec.answers.size(), 1u);
    EXPECT_EQ(rec.answers[0].id, "a");
    EXPECT_TRUE(rec.answers[0].allow);
    EXPECT_FALSE(model.view().pairing);
    model.on_pairing(prompt_for("b"), t0);
    EXPECT_TRUE(touch.press(layout.deny.center_x(), layout.deny.center_y(), t0));
    ASSERT_EQ(rec.answers.size(), 2u);
    EXPECT_FALSE(rec.answers[1].allow);
    EXPECT_TRUE(rec.sent.empty());
}

TEST(PairingPromptOnScreen, TheButtonsAreApartAndInsideTheScreenAtEverySize) {
    for (auto [w, h] : {std::pair{800, 480}, std::pair{480, 320}, std::pair{160, 120}}) {
        const Layout l = compute_layout(w, h);
        EXPECT_GT(l.allow.x, l.deny.right()) << w << "x" << h;
        EXPECT_LE(l.allow.right(), w);
        EXPECT_LE(l.allow.bottom(), h);
        EXPECT_GT(l.allow.h, 0);
        EXPECT_GE(l.allow.y, l.pairing_passkey.bottom());
    }
}

}  // namespace
}  // namespace lampi::ui
