// StateStore: the lamp state on disk, replaced atomically on every save.
//
// save() writes a temp file, fsyncs it and renames it over the old one: after
// save() returns the new state survives kill -9, a crash mid-save leaves the
// previous state intact, and a power loss leaves either the previous or the new
// state, both complete (the directory entry reaches the disk with the file
// system's next journal commit; syncing the directory too would double the cost
// of every change).
#pragma once

#include <string>

#include "lampi/lamp_state.h"
#include "lampi/status.h"

namespace lampi::lampid {

class StateStore {
public:
    explicit StateStore(std::string path);

    // The saved state; the default state when there is no file yet. A file that
    // cannot be read is moved aside to <path>.corrupt (never deleted) and the
    // default state is returned with a warning in `note`.
    Result<LampState> load(std::string* note = nullptr);
    Status save(const LampState& state);
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace lampi::lampid
