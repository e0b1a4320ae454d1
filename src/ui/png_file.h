// PNG files of the screen: written by --screenshot, read by the tests and the
// benchmark. libpng's simplified API (png_image), 8-bit RGBA.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lampi/status.h"

namespace lampi::ui {

struct RgbaImage {
    int width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // row after row, 4 bytes a pixel: R G B A

    const std::uint8_t* at(int x, int y) const { return &pixels[(static_cast<std::size_t>(y) * width + x) * 4]; }
};

Status write_png(const std::string& path, const RgbaImage& image);
Result<RgbaImage> read_png(const std::string& path);

}  // namespace lampi::ui
