#include "layout.h"

#include <algorithm>
#include <cmath>

#include "bitmap_font.h"

namespace lampi::ui {

Layout compute_layout(int width, int height) {
    Layout l;
    l.width = width;
    l.height = height;
    const int margin = std::max(4, height / 40);
    const int status_h = height / 10;
    l.cloud_text = {margin, margin / 2, width / 2 - margin, status_h - margin};
    l.claim_text = {width / 2, margin / 2, width / 2 - margin, status_h - margin};

    const int upper_y = status_h + margin / 2;
    const int upper_h = height * 38 / 100;
    l.swatch = {margin, upper_y, width * 28 / 100, upper_h};
    l.power = {l.swatch.right() + 2 * margin, upper_y + upper_h / 4, width * 17 / 100, upper_h / 2};
    const int panel_x = l.power.right() + 2 * margin;
    l.panel = {panel_x, upper_y, width - panel_x - margin, upper_h};
    l.code_text = {l.panel.x + margin, l.panel.y + margin, l.panel.w - 2 * margin, l.panel.h * 60 / 100};
    l.instruction = {l.panel.x + margin, l.code_text.bottom() + margin, l.panel.w - 2 * margin,
                     l.panel.bottom() - l.code_text.bottom() - 2 * margin};

    const int rows_y = upper_y + upper_h + margin;
    const int row_h = (height - rows_y - margin / 2) / 3;
    const int label_w = width * 17 / 100;
    for (int i = 0; i < 3; ++i) {
        const int y = rows_y + i * row_h;
        SliderLayout& s = l.sliders[i];
        s.label = {margin, y, label_w, row_h - margin};
        // The thumb overhangs the track by half its width at either end.
        const int track_x0 = s.label.right() + 2 * margin;
        s.track = {track_x0, y + margin / 2, width - track_x0 - 2 * margin, row_h - 2 * margin};
    }

    // The prompt: buttons a thumb's width apart so a finger cannot hit both.
    l.pairing_panel = {margin, margin, width - 2 * margin, height - 2 * margin};
    const int inner_x = l.pairing_panel.x + 2 * margin;
    const int inner_w = l.pairing_panel.w - 4 * margin;
    const int line_h = height / 10;
    l.pairing_question = {inner_x, l.pairing_panel.y + margin, inner_w, line_h};
    l.pairing_check = {inner_x, l.pairing_question.bottom() + margin, inner_w, line_h * 7 / 10};
    l.pairing_passkey = {inner_x, l.pairing_check.bottom() + margin, inner_w, height * 30 / 100};
    const int button_y = l.pairing_passkey.bottom() + 2 * margin;
    const int button_h = l.pairing_panel.bottom() - margin - button_y;
    const int gap = width / 10;
    const int button_w = (inner_w - gap) / 2;
    l.deny = {inner_x, button_y, button_w, button_h};
    l.allow = {inner_x + button_w + gap, button_y, button_w, button_h};
    return l;
}

int track_x(const Rect& track, double value) {
    return track.x + static_cast<int>(std::lround(std::clamp(value, 0.0, 1.0) * (track.w - 1)));
}

double track_value(const Rect& track, int x) {
    if (track.w <= 1) return 0.0;
    return std::clamp(static_cast<double>(x - track.x) / (track.w - 1), 0.0, 1.0);
}

TextPlacement place_text(const Rect& box, std::string_view text, Align align, int max_scale) {
    const int width = text_width(text);
    if (width == 0) return {};
    const int scale = std::min({max_scale, box.w / width, box.h / kGlyphHeight});
    if (scale < 1) return {};
    TextPlacement p;
    p.scale = scale;
    const int drawn_w = width * scale;
    p.x = align == Align::left ? box.x : align == Align::right ? box.right() - drawn_w : box.x + (box.w - drawn_w) / 2;
    p.y = box.y + (box.h - kGlyphHeight * scale) / 2;
    return p;
}

}  // namespace lampi::ui
