// Logging for every LAMPi program: one line per event, to stderr.
//
// Two formats (--log-format): text for people,
//   2026-11-30T07:43:02.123 lampid[b827eb74663e] info: restored version 7 ...
// and json for log collectors, one object per line with at least "time" (UTC,
// ISO 8601 with milliseconds), "level", "program" and "message":
//   {"time":"2026-11-30T07:43:02.123Z","level":"info","program":"lampid[b827eb74663e]","message":"..."}
// A message is made valid UTF-8 (bad bytes become U+FFFD) and escaped, so each
// line parses whatever the message held.
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
enum class Format { text, json };

// Sets up the process-wide logger. `program` prefixes each line (text) or is its
// "program" (json).
void init(std::string_view program, Level level = Level::info, Format format = Format::text);
void set_level(Level level);
bool enabled(Level level);
// "trace|debug|info|warn|error|off"
Result<Level> parse_level(std::string_view text);
// "text|json"
Result<Format> parse_format(std::string_view text);
// What every program does with its --log-level and --log-format options (added by
// add_log_options, log_cli.h): parses them and calls init() with `line_prefix`
// (default: `program`). A bad value is told on stderr as "<program>: unknown log
// level ..." (or format) and false is returned.
bool init_from_option(std::string_view program, std::string_view level_text, std::string_view line_prefix = {},
                      std::string_view format_text = "text");

void write(Level level, std::string_view message);

template <typename... Args>
void at(Level level, fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(level)) write(level, fmt::format(format, std::forward<Args>(args)...));
}
// One function a level, alike on purpose: call sites read log::warn(...).
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
