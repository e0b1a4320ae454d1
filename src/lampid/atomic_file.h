// Replacing a small file so that a crash at any moment leaves either the old or
// the new content, never a mix: write a temp file, fsync it, rename it over.
#pragma once

#include <string>
#include <string_view>

#include "lampi/status.h"

namespace lampi::lampid {

Status replace_file(const std::string& path, std::string_view content, bool sync = true);

// fsyncs the directory holding `path`, so a rename into it survives a power loss.
Status sync_parent_directory(const std::string& path);

}  // namespace lampi::lampid
