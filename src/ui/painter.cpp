#include "painter.h"

#include <SDL.h>

#include <cmath>

#include "bitmap_font.h"
#include "lampi/color.h"

namespace lampi::ui {
namespace {

std::uint8_t to_byte(double channel) { return static_cast<std::uint8_t>(std::lround(channel * 255.0)); }

Rgb to_rgb(const RgbDuty& c) { return {to_byte(c.red), to_byte(c.green), to_byte(c.blue)}; }

void set_colour(SDL_Renderer* r, Rgb c) { SDL_SetRenderDrawColor(r, c.r, c.g, c.b, 255); }

void fill(SDL_Renderer* r, const Rect& rect, Rgb c) {
    set_colour(r, c);
    SDL_Rect sdl{rect.x, rect.y, rect.w, rect.h};
    SDL_RenderFillRect(r, &sdl);
}

void outline(SDL_Renderer* r, const Rect& rect, Rgb c) {
    set_colour(r, c);
    SDL_Rect sdl{rect.x, rect.y, rect.w, rect.h};
    SDL_RenderDrawRect(r, &sdl);
}

void draw_text(SDL_Renderer* r, const Rect& box, std::string_view text, Align align, Rgb c, int max_scale = 64) {
    const TextPlacement at = place_text(box, text, align, max_scale);
    if (at.scale == 0) return;
    set_colour(r, c);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const Glyph& g = glyph(text[i]);
        const int x0 = at.x + static_cast<int>(i) * kGlyphAdvance * at.scale;
        for (int row = 0; row < kGlyphHeight; ++row) {
            for (int column = 0; column < kGlyphWidth; ++column) {
                if (!glyph_pixel(g, column, row)) continue;
                SDL_Rect dot{x0 + column * at.scale, at.y + row * at.scale, at.scale, at.scale};
                SDL_RenderFillRect(r, &dot);
            }
        }
    }
}

void paint_switch(SDL_Renderer* r, const Rect& box, bool on) {
    fill(r, box, on ? kOnline : kSwitchOff);
    const int pad = std::max(3, box.h / 10);
    const int knob_w = box.w / 2 - pad;
    const Rect knob{on ? box.right() - pad - knob_w : box.x + pad, box.y + pad, knob_w, box.h - 2 * pad};
    fill(r, knob, kThumb);
    const Rect label{on ? box.x + pad : knob.right() + pad, box.y + pad, knob_w - pad, box.h - 2 * pad};
    draw_text(r, label, on ? "ON" : "OFF", Align::center, on ? kThumb : kText, 4);
}

void paint_slider(SDL_Renderer* r, const SliderLayout& s, Slider slider, const LampState& lamp) {
    // Every label at the size the longest one fits.
    const int label_scale = std::min(3, place_text(s.label, slider_label(Slider::saturation), Align::left).scale);
    draw_text(r, s.label, slider_label(slider), Align::left, kText, std::max(1, label_scale));
    const Rect& t = s.track;
    for (int x = 0; x < t.w; ++x) {
        set_colour(r, track_colour(lamp, slider, track_value(t, t.x + x)));
        SDL_RenderDrawLine(r, t.x + x, t.y, t.x + x, t.bottom() - 1);
    }
    const int thumb_w = std::max(8, t.h / 3);
    const Rect thumb{track_x(t, setting(lamp, slider)) - thumb_w / 2, t.y - 3, thumb_w, t.h + 6};
    fill(r, thumb, kThumb);
    outline(r, thumb, kBackground);
}

void paint_panel(SDL_Renderer* r, const Layout& l, const ScreenView& view) {
    fill(r, l.panel, kPanel);
    if (!view.association) return;
    if (view.association->claimed) {
        draw_text(r, l.code_text, kClaimedMessage, Align::center, kText, 4);
    } else if (view.association->code) {
        draw_text(r, l.code_text, *view.association->code, Align::center, kText);
        draw_text(r, l.instruction, kInstruction, Align::center, kText, 3);
    }
}

void paint_pairing(SDL_Renderer* r, const Layout& l, const PairingRequest& request) {
    fill(r, l.pairing_panel, kPanel);
    outline(r, l.pairing_panel, kText);
    draw_text(r, l.pairing_question, pairing_question(request), Align::center, kText, 5);
    draw_text(r, l.pairing_check, kPairingCheck, Align::center, kText, 3);
    draw_text(r, l.pairing_passkey, request.passkey, Align::center, kText);
    fill(r, l.deny, kDeny);
    draw_text(r, l.deny, kDenyLabel, Align::center, kThumb, 5);
    fill(r, l.allow, kAllow);
    draw_text(r, l.allow, kAllowLabel, Align::center, kThumb, 5);
}

}  // namespace

std::string pairing_question(const PairingRequest& request) { return "PAIR WITH " + request.label + "?"; }

Rgb lamp_colour(const LampState& lamp) {
    if (!lamp.on) return {0, 0, 0};
    return to_rgb(hsv_to_rgb(lamp.hue, lamp.saturation, lamp.brightness));
}

Rgb track_colour(const LampState& lamp, Slider slider, double position) {
    switch (slider) {
        case Slider::hue: return to_rgb(hsv_to_rgb(position, lamp.saturation, 1.0));
        case Slider::saturation: return to_rgb(hsv_to_rgb(lamp.hue, position, 1.0));
        case Slider::brightness: return to_rgb(hsv_to_rgb(lamp.hue, lamp.saturation, position));
    }
    return {};
}

const char* slider_label(Slider slider) {
    switch (slider) {
        case Slider::hue: return "HUE";
        case Slider::saturation: return "SATURATION";
        case Slider::brightness: return "BRIGHTNESS";
    }
    return "";
}

std::string cloud_text(const ScreenView& view) {
    if (!view.connected) return "NO LAMP BROKER";
    if (!view.cloud_online) return "CLOUD: UNKNOWN";
    return *view.cloud_online ? "CLOUD: ONLINE" : "CLOUD: OFFLINE";
}

std::string claim_text(const ScreenView& view) {
    if (!view.association) return "";
    return view.association->claimed ? "CLAIMED" : "NOT CLAIMED";
}

void paint(SDL_Renderer* r, const Layout& l, const ScreenView& view) {
    set_colour(r, kBackground);
    SDL_RenderClear(r);
    const bool online = view.connected && view.cloud_online.value_or(false);
    draw_text(r, l.cloud_text, cloud_text(view), Align::left, online ? kOnline : kOffline, 3);
    draw_text(r, l.claim_text, claim_text(view), Align::right, kText, 3);
    paint_panel(r, l, view);
    if (!view.lamp) {
        fill(r, l.swatch, kPanel);
        draw_text(r, l.swatch, "WAITING", Align::center, kText, 3);
    } else {
        fill(r, l.swatch, lamp_colour(*view.lamp));
        outline(r, l.swatch, kPanel);
        paint_switch(r, l.power, view.lamp->on);
        for (Slider slider : kSliders) paint_slider(r, l.slider(slider), slider, *view.lamp);
    }
    if (view.pairing) paint_pairing(r, l, *view.pairing);
}

}  // namespace lampi::ui
