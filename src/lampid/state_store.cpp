#include "state_store.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "atomic_file.h"
#include "lampi/lamp_codec.h"

namespace lampi::lampid {
namespace {

Status errno_status(std::string_view what, const std::string& path) {
    return Status::error(fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

StateStore::StateStore(std::string path) : path_(std::move(path)) {}

Result<LampState> StateStore::load(std::string* note) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return LampState{};
        return errno_status("read the state file", path_);
    }
    std::stringstream content;
    content << in.rdbuf();
    Result<LampState> state = decode_changed(content.str());
    if (state) return state;
    std::string aside = path_ + ".corrupt";
    std::error_code ec;
    std::filesystem::rename(path_, aside, ec);
    if (note) {
        *note = fmt::format("state file {} is unreadable ({}); moved it to {} and started from defaults",
                            path_, state.status().message(), aside);
    }
    return LampState{};
}

Status StateStore::save(const LampState& state) { return replace_file(path_, encode_changed(state)); }

}  // namespace lampi::lampid
