#include "png_file.h"

#include <fmt/core.h>
#include <png.h>

namespace lampi::ui {

Status write_png(const std::string& path, const RgbaImage& image) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = static_cast<png_uint_32>(image.width);
    png.height = static_cast<png_uint_32>(image.height);
    png.format = PNG_FORMAT_RGBA;
    if (!png_image_write_to_file(&png, path.c_str(), 0, image.pixels.data(), 0, nullptr)) {
        return Status::error(fmt::format("cannot write {}: {}", path, png.message));
    }
    return Status::ok();
}

Result<RgbaImage> read_png(const std::string& path) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&png, path.c_str())) {
        return Status::error(fmt::format("cannot read {}: {}", path, png.message));
    }
    png.format = PNG_FORMAT_RGBA;
    RgbaImage image;
    image.width = static_cast<int>(png.width);
    image.height = static_cast<int>(png.height);
    image.pixels.resize(PNG_IMAGE_SIZE(png));
    if (!png_image_finish_read(&png, nullptr, image.pixels.data(), 0, nullptr)) {
        std::string message = png.message;
        png_image_free(&png);
        return Status::error(fmt::format("cannot decode {}: {}", path, message));
    }
    return image;
}

}  // namespace lampi::ui
