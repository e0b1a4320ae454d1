// A 5x7 bitmap font for the screen's few words and the association code.
//
// Digits, upper-case letters and a little punctuation are all the screen says,
// so 40 glyphs in a table beat a font library and a font file on the lamp
// (README, "Text"). Lower-case letters are drawn as upper-case; anything else
// as '?'.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace lampi::ui {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 7;
// One column of space after each glyph.
inline constexpr int kGlyphAdvance = kGlyphWidth + 1;

// Row r of a glyph: bit 4 is the leftmost column.
using Glyph = std::array<std::uint8_t, kGlyphHeight>;
const Glyph& glyph(char c);

inline bool glyph_pixel(const Glyph& g, int column, int row) { return (g[row] >> (kGlyphWidth - 1 - column)) & 1U; }

// Width in font pixels (before scaling) of `text` on one line.
inline int text_width(std::string_view text) {
    return text.empty() ? 0 : static_cast<int>(text.size()) * kGlyphAdvance - 1;
}

}  // namespace lampi::ui
