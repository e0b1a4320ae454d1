// lampi-ui --screenshot against a real broker: the frame it draws for a given
// lamp state, checked pixel by pixel where the layout puts each control.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <cmath>

#include "bitmap_font.h"
#include "lamp_states.h"
#include "lampi/color.h"
#include "lampi/pairing_codec.h"
#include "ui_fixture.h"

namespace lampi::ui::test {
namespace {

class Screenshot : public ::testing::TestWithParam<std::pair<int, int>> {
protected:
    void SetUp() override { lamp_ = std::make_unique<RetainedLamp>(dir_); }

    RgbaImage shoot(const std::string& name, std::vector<std::string> extra = {}) {
        auto [w, h] = GetParam();
        const std::string file = dir_ / name;
        std::vector<std::string> argv{LAMPI_UI_BINARY,
                                      "--port",
                                      std::to_string(lamp_->port()),
                                      "--width",
                                      std::to_string(w),
                                      "--height",
                                      std::to_string(h),
                                      "--screenshot",
                                      file,
                                      "--device-id",
                                      kDevice};
        argv.insert(argv.end(), extra.begin(), extra.end());
        Process ui(argv, dir_ / (name + ".log"));
        ui.start();
        const int status = ui.wait(std::chrono::seconds(20));
        EXPECT_EQ(status, 0) << ui.log();
        Result<RgbaImage> image = read_png(file);
        EXPECT_TRUE(image) << image.status().message();
        if (!image) return {};
        EXPECT_EQ(image->width, w);
        EXPECT_EQ(image->height, h);
        return *image;
    }
    Layout layout() const { return compute_layout(GetParam().first, GetParam().second); }

    // Every pixel of `text` where place_text puts it: lit ones in `ink`, the
    // rest in `paper`. So the frame holds exactly these characters there.
    ::testing::AssertionResult shows_text(const RgbaImage& image, const Rect& box, const std::string& text, Align align,
                                          Rgb ink, Rgb paper, int max_scale = 64) {
        const TextPlacement at = place_text(box, text, align, max_scale);
        if (at.scale == 0) return ::testing::AssertionFailure() << "\"" << text << "\" does not fit";
        for (std::size_t i = 0; i < text.size(); ++i) {
            for (int row = 0; row < kGlyphHeight; ++row) {
                for (int column = 0; column < kGlyphWidth; ++column) {
                    const int x = at.x + (static_cast<int>(i) * kGlyphAdvance + column) * at.scale + at.scale / 2;
                    const int y = at.y + row * at.scale + at.scale / 2;
                    auto ok = pixel_is(image, x, y, glyph_pixel(glyph(text[i]), column, row) ? ink : paper);
                    if (!ok) return ok << " in '" << text[i] << "' row " << row << " column " << column;
                }
            }
        }
        return ::testing::AssertionSuccess();
    }

    TempDir dir_;
    std::unique_ptr<RetainedLamp> lamp_;
};

LampState state(bool on, double h, double s, double b) { return testing::lamp_state(on, h, s, b, "page", 7); }

TEST_P(Screenshot, TheSwatchShowsTheLampsColourAndEachTrackTheColourItWouldGive) {
    const LampState lit = state(true, 0.6, 0.8, 0.9);
    lamp_->set_state(lit);
    lamp_->set_cloud(true);
    const RgbaImage image = shoot("lit.png");
    ASSERT_FALSE(image.pixels.empty());
    const Layout l = layout();
    const Rgb swatch = lamp_colour(lit);
    EXPECT_EQ(swatch, (Rgb{46, 119, 230}));  // HSV(216°, 80 %, 90 %)
    EXPECT_TRUE(pixel_is(image, l.swatch.center_x(), l.swatch.center_y(), swatch));
    EXPECT_TRUE(pixel_is(image, l.swatch.x + 5, l.swatch.bottom() - 5, swatch));
    EXPECT_TRUE(pixel_is(image, l.power.x + 4, l.power.y + 4, kOnline)) << "the switch reads on";
    for (Slider slider : kSliders) {
        const Rect& track = l.slider(slider).track;
        for (double position : {0.02, 0.15, 0.3, 0.45, 0.98}) {
            if (std::abs(position - setting(lit, slider)) < 0.08) continue;  // under the thumb
            const int x = track_x(track, position);
            EXPECT_TRUE(pixel_is(image, x, track.center_y(), track_colour(lit, slider, track_value(track, x))))
                << slider_label(slider) << " at " << position;
        }
    }
    // The gradients themselves, independent of the painter's own functions.
    const Rect& hue = l.slider(Slider::hue).track;
    EXPECT_TRUE(pixel_is(image, hue.x, hue.center_y(), {255, 51, 51}, 2)) << "red at hue 0 (saturation 0.8)";
    EXPECT_TRUE(pixel_is(image, track_x(hue, 1.0 / 3), hue.center_y(), {51, 255, 51}, 8)) << "green at hue 1/3";
    const Rect& brightness = l.slider(Slider::brightness).track;
    EXPECT_TRUE(pixel_is(image, brightness.x, brightness.center_y(), {0, 0, 0})) << "black at brightness 0";
    const Rect& saturation = l.slider(Slider::saturation).track;
    EXPECT_TRUE(pixel_is(image, saturation.x, saturation.center_y(), {255, 255, 255})) << "white at saturation 0";
    // The thumbs sit at the lamp's values.
    for (Slider slider : kSliders) {
        const Rect& track = l.slider(slider).track;
        EXPECT_TRUE(pixel_is(image, track_x(track, setting(lit, slider)), track.center_y(), kThumb));
    }
    EXPECT_TRUE(shows_text(image, l.cloud_text, "CLOUD: ONLINE", Align::left, kOnline, kBackground, 3));
}

TEST_P(Screenshot, AnOffLampHasABlackSwatchAndTheSwitchOff) {
    lamp_->set_state(state(false, 0.3, 1.0, 1.0));
    lamp_->set_cloud(false);
    const RgbaImage image = shoot("off.png");
    ASSERT_FALSE(image.pixels.empty());
    const Layout l = layout();
    EXPECT_TRUE(pixel_is(image, l.swatch.center_x(), l.swatch.center_y(), {0, 0, 0}));
    EXPECT_TRUE(pixel_is(image, l.power.right() - 4, l.power.y + 4, kSwitchOff));
    EXPECT_TRUE(shows_text(image, l.cloud_text, "CLOUD: OFFLINE", Align::left, kOffline, kBackground, 3));
}

TEST_P(Screenshot, AnUnclaimedLampShowsItsCodeLargeWithOneLineOfInstructions) {
    lamp_->set_state(state(true, 0.0, 1.0, 1.0));
    lamp_->set(std::string(topics::kAssociated), encode_association_offer("482913", 600));
    const RgbaImage image = shoot("code.png");
    ASSERT_FALSE(image.pixels.empty());
    const Layout l = layout();
    EXPECT_TRUE(shows_text(image, l.code_text, "482913", Align::center, kText, kPanel));
    EXPECT_GE(place_text(l.code_text, "482913", Align::center).scale * kGlyphHeight, GetParam().second / 10)
        << "the code is large: at least a tenth of the screen's height";
    EXPECT_TRUE(shows_text(image, l.instruction, kInstruction, Align::center, kText, kPanel, 3));
    EXPECT_TRUE(shows_text(image, l.claim_text, "NOT CLAIMED", Align::right, kText, kBackground, 3));

    lamp_->set(std::string(topics::kAssociated), encode_association_answer(true));
    const RgbaImage claimed = shoot("claimed.png");
    ASSERT_FALSE(claimed.pixels.empty());
    EXPECT_FALSE(shows_text(claimed, l.code_text, "482913", Align::center, kText, kPanel));
    EXPECT_TRUE(shows_text(claimed, l.code_text, kClaimedMessage, Align::center, kText, kPanel, 4));
    EXPECT_TRUE(shows_text(claimed, l.claim_text, "CLAIMED", Align::right, kText, kBackground, 3));
}

TEST_P(Screenshot, WithoutAnyLampStateItGivesUpWithAReason) {
    const std::string file = dir_ / "none.png";
    Process ui({LAMPI_UI_BINARY, "--port", std::to_string(lamp_->port()), "--screenshot", file, "--screenshot-timeout",
                "1"},
               dir_ / "none.log");
    ui.start();
    const int status = ui.wait(std::chrono::seconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << ui.log();
    EXPECT_NE(ui.log().find("no lamp/changed"), std::string::npos) << ui.log();
}

TEST_P(Screenshot, EveryOptionCanComeFromAConfigFile) {
    lamp_->set_state(state(true, 0.5, 1.0, 1.0));
    auto [w, h] = GetParam();
    write_file(dir_ / "ui.ini", fmt::format("port = {}\nwidth = {}\nheight = {}\nscreenshot = {}\n", lamp_->port(), w,
                                            h, dir_ / "config.png"));
    Process ui({LAMPI_UI_BINARY, "--config", dir_ / "ui.ini"}, dir_ / "config.log");
    ui.start();
    EXPECT_EQ(ui.wait(std::chrono::seconds(20)), 0) << ui.log();
    Result<RgbaImage> image = read_png(dir_ / "config.png");
    ASSERT_TRUE(image) << image.status().message();
    EXPECT_EQ(image->width, w);
    const Layout l = layout();
    EXPECT_TRUE(pixel_is(*image, l.swatch.center_x(), l.swatch.center_y(), {0, 255, 255}));
}

TEST_P(Screenshot, APairingPromptShowsThePasskeyLargeWithDenyAndAllowOverEverything) {
    lamp_->set_state(state(true, 0.6, 0.8, 0.9));
    lamp_->set_cloud(true);
    PairingPrompt prompt;
    prompt.id = "p1";
    prompt.passkey = 42;
    prompt.label = "device 44:55";
    prompt.expires_in = std::chrono::milliseconds(30'000);
    const RgbaImage image = shoot("pairing.png", {"--screenshot-pairing", encode_pairing_prompt(prompt)});
    ASSERT_FALSE(image.pixels.empty());
    const Layout l = layout();
    EXPECT_TRUE(shows_text(image, l.pairing_passkey, "000042", Align::center, kText, kPanel));
    EXPECT_TRUE(shows_text(image, l.pairing_question, "PAIR WITH DEVICE 44:55?", Align::center, kText, kPanel, 5));
    EXPECT_TRUE(shows_text(image, l.pairing_check, kPairingCheck, Align::center, kText, kPanel, 3));
    EXPECT_TRUE(shows_text(image, l.allow, kAllowLabel, Align::center, kThumb, kAllow, 5));
    EXPECT_TRUE(shows_text(image, l.deny, kDenyLabel, Align::center, kThumb, kDeny, 5));
    EXPECT_TRUE(pixel_is(image, l.allow.x + 2, l.allow.y + 2, kAllow));
    EXPECT_TRUE(pixel_is(image, l.deny.x + 2, l.deny.y + 2, kDeny));
    // The lamp's controls are covered: the swatch's centre is the prompt's panel.
    EXPECT_FALSE(pixel_is(image, l.swatch.x + 2, l.swatch.y + 2, lamp_colour(state(true, 0.6, 0.8, 0.9))));
}

INSTANTIATE_TEST_SUITE_P(Sizes, Screenshot, ::testing::Values(std::pair{800, 480}, std::pair{480, 320}),
                         [](const auto& info) {
                             return std::to_string(info.param.first) + "x" + std::to_string(info.param.second);
                         });

}  // namespace
}  // namespace lampi::ui::test
