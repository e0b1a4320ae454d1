// StateStore: the lamp state on disk, replaced atomically on every save, and a
// version floor kept apart from it so versions never go backwards.
//
// Contract:
// - save() writes a temp file, fsyncs it and renames it over the old one: after
//   save() returns the new state survives kill -9, a crash mid-save leaves the
//   previous state intact, and a power loss leaves either the previous or the new
//   state, both complete (the directory entry reaches the disk with the file
//   system's next journal commit; syncing the directory too would double the cost
//   of every change).
// - Version floor: `<path>.version-floor` holds a number at least as large as any
//   version ever saved. Before saving a version above it, save() raises it by
//   the floor step (file and directory fsync'd), so it costs one extra write per
//   step of changes. When the state file is lost or unreadable, load() restarts
//   above the floor: every version announced before is lower than the new one, so
//   listeners that drop older versions accept the restarted lamp at once.
// - A state file that cannot be parsed is kept under its own name,
//   `<path>.corrupt-<UTC time>[-n]`, never overwritten or deleted.
// - Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lampi/lamp_state.h"
#include "lampi/status.h"

namespace lampi::lampid {

// Where the lamp controller commits its state; a fake in unit tests.
class StateSink {
public:
    virtual ~StateSink() = default;
    virtual Status save(const LampState& state) = 0;
};

struct LoadedState {
    LampState state;
    // True when the state was rebuilt (no file, or a corrupt one, above an
    // existing floor) and has not been saved yet: commit it before announcing it.
    bool unsaved = false;
    // What happened, for a warning line; empty when the file was read as is.
    std::string note;
};

class StateStore final : public StateSink {
public:
    // At the fastest rate measured (about 18 000 changes/s, 50 batched saves/s)
    // this is one extra write every few seconds; a step of 1000 would add an
    // extra file and directory fsync to every third save. The price of a large
    // step is only a larger jump in versions after a lost state file.
    static constexpr std::uint64_t kFloorStep = 100'000;

    // `wall_ms` names kept corrupt files (milliseconds since the Unix epoch).
    StateStore(std::string path, std::function<std::int64_t()> wall_ms, std::uint64_t floor_step = kFloorStep);

    // The saved state; the default state (version 0) for a new lamp. Fails only
    // when the file exists but cannot be read at all (permissions, I/O).
    Result<LoadedState> load();
    Status save(const LampState& state) override;

    const std::string& path() const { return path_; }
    std::string floor_path() const { return path_ + ".version-floor"; }

private:
    Status raise_floor(std::uint64_t version);
    Result<std::string> keep_aside(const std::string& path);

    std::string path_;
    std::function<std::int64_t()> wall_ms_;
    std::uint64_t floor_step_;
    std::uint64_t floor_ = 0;  // what the floor file holds
};

}  // namespace lampi::lampid
