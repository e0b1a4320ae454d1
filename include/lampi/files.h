// Files that must never be seen half-written or, for secrets, by anyone else.
//
// write_file_atomically: a reader (or a crash) sees either the old content or the
// new, never a mix. The new content goes to a temp file beside `path`, created
// exclusively with `mode` and given exactly `mode` before its first byte, so a
// secret is never readable by others, not even for a moment and whatever the
// umask; it is then renamed over `path`. A failure leaves the old file as it was
// and removes the temp file.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi {

enum class Durability {
    // fsync the file, rename, fsync its directory: once the call returns the new
    // content survives a power loss.
    file_and_directory,
    // fsync the file only: a power loss leaves the old or the new content, both
    // complete (the rename reaches the disk with the file system's next journal
    // commit). Half the cost, for files rewritten on every change.
    file,
    // No fsync: readers never see half a file, but a power loss may lose the new
    // content. For files nobody needs after a crash.
    none,
};

Status write_file_atomically(const std::string& path, std::string_view contents, mode_t mode = 0644,
                             Durability durability = Durability::file_and_directory);

// fsyncs the directory holding `path`, so a rename into it survives a power loss.
Status sync_parent_directory(const std::string& path);

// The first `max_bytes` of the file at `path` (all of a file that small);
// nullopt when it does not exist.
Result<std::optional<std::string>> read_file_if_exists(const std::string& path, std::size_t max_bytes);

// A password or secret from the first line of the file at `path`, without its
// trailing white space (line end, '\r', spaces, tabs). Refused, with a message
// saying what to do, when `path` is not a regular file, when its group or others
// have any access to it (mode & 077), or when that line is empty. Secrets come
// from such files, never from the command line or the environment, which other
// local users can read in /proc.
Result<std::string> read_secret_file(const std::string& path);

}  // namespace lampi
