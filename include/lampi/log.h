// Logging for every LAMPi program: one line per event, to stderr.
//
// The formatting templates only need fmt/core.h, so including this header keeps
// spdlog out of every translation unit.
#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>
#include <utility>

#include "lampi/status.h"

namespace lampi::log {

enum class Level { trace, debug, info, warn, error, off };

// Sets up the process-wide logger. `program` prefixes each line.
void init(std::string_view program, Level level = Level::info);
void set_level(Level level);
bool enabled(Level level);
// "trace|debug|info|warn|error|off"
Result<Level> parse_level(std::string_view text);
// What every program does with its --log-level option: parses `level_text` and
// calls init() with `line_prefix` (default: `program`). A bad level is told on
// stderr as "<program>: unknown log level ..." and false is returned.
bool init_from_option(std::string_view program, std::string_view level_text, std::string_view line_prefix = {});

void write(Level level, std::string_view message);

template <typename... Args>
void at(Level level, fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(level)) write(level, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
    at(Level::debug, format, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    at(Level::info, format, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
    at(Level::warn, format, std::forward<Args>(args)...);
}
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    at(Level::error, format, std::forward<Args>(args)...);
}

}  // namespace lampi::log
