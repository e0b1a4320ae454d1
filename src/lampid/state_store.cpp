#include "state_store.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <optional>

#include "lampi/errno_text.h"
#include "lampi/files.h"
#include "lampi/lamp_codec.h"

namespace lampi::lampid {
namespace {

// The whole file; nullopt when it does not exist.
Result<std::optional<std::string>> read_if_exists(const std::string& path) {
    return read_file_if_exists(path, 1'000'000);  // a state file is a few hundred bytes
}

std::optional<std::uint64_t> parse_floor(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// The largest number after a "version" key in text that no longer parses as
// JSON: a damaged file from before the floor existed still tells us roughly
// where the versions were.
std::uint64_t salvage_version(std::string_view text) {
    std::uint64_t best = 0;
    for (std::size_t at = text.find("\"version\""); at != std::string_view::npos;
         at = text.find("\"version\"", at + 1)) {
        std::size_t i = at + 9;
        while (i < text.size() && (text[i] == ' ' || text[i] == ':')) ++i;
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
        if (ec == std::errc() && end != text.data() + i && value > best) best = value;
    }
    return best;
}

std::string utc_stamp(std::int64_t wall_ms) {
    std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(wall_ms % 1000));
}

}  // namespace

StateStore::StateStore(std::string path, std::function<std::int64_t()> wall_ms, std::uint64_t floor_step)
    : path_(std::move(path)), wall_ms_(std::move(wall_ms)), floor_step_(floor_step) {}

Result<std::string> StateStore::keep_aside(const std::string& path) {
    std::string base = fmt::format("{}.corrupt-{}", path, utc_stamp(wall_ms_()));
    // link() refuses an existing name, so no earlier corrupt file is ever replaced.
    for (int n = 1; n < 1000; ++n) {
        std::string aside = n == 1 ? base : fmt::format("{}-{}", base, n);
        if (::link(path.c_str(), aside.c_str()) == 0) {
            if (::unlink(path.c_str()) != 0) return errno_status("remove", path);
            return aside;
        }
        if (errno != EEXIST) return errno_status(fmt::format("keep {} as", path), aside);
    }
    return Status::error(fmt::format("cannot find a free name to keep {}", path));
}

Result<LoadedState> StateStore::load() {
    LoadedState out;
    Result<std::optional<std::string>> floor_text = read_if_exists(floor_path());
    if (!floor_text) return floor_text.status();
    if (*floor_text) {
        if (auto floor = parse_floor(**floor_text)) {
            floor_ = *floor;
        } else {
            Result<std::string> aside = keep_aside(floor_path());
            out.note = fmt::format("version floor {} is unreadable ({}); ", floor_path(),
                                   aside ? "kept as " + *aside : aside.status().message());
        }
    }

    Result<std::optional<std::string>> text = read_if_exists(path_);
    if (!text) return text.status();
    if (!*text) {
        if (floor_ == 0) return out;  // a new lamp
        out.state.version = floor_ + 1;
        out.unsaved = true;
        out.note += fmt::format("state file {} is missing; started from defaults at version {}, above the floor",
                                path_, out.state.version);
        return out;
    }
    Result<LampState> state = decode_changed(**text);
    if (state) {
        out.state = *state;
        return out;
    }
    std::uint64_t above = std::max(floor_, salvage_version(**text));
    Result<std::string> aside = keep_aside(path_);
    out.state.version = above + 1;
    out.unsaved = true;
    out.note += fmt::format("state file {} is unreadable ({}); {}; started from defaults at version {}", path_,
                            state.status().message(), aside ? "kept it as " + *aside : aside.status().message(),
                            out.state.version);
    return out;
}

Status StateStore::raise_floor(std::uint64_t version) {
    std::uint64_t floor = version + floor_step_;
    // The floor must be on disk before any version above the old one is announced.
    if (Status s =
            write_file_atomically(floor_path(), fmt::format("{}\n", floor), 0644, Durability::file_and_directory);
        !s) {
        return s;
    }
    floor_ = floor;
    return Status::ok();
}

Status StateStore::save(const LampState& state) {
    if (state.version > floor_) {
        if (Status s = raise_floor(state.version); !s) return s;
    }
    return write_file_atomically(path_, encode_changed(state), 0644, Durability::file);
}

}  // namespace lampi::lampid
