#include "lampi/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>

namespace lampi::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::trace: return spdlog::level::trace;
        case Level::debug: return spdlog::level::debug;
        case Level::info: return spdlog::level::info;
        case Level::warn: return spdlog::level::warn;
        case Level::error: return spdlog::level::err;
        case Level::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

constexpr std::array<std::string_view, 6> kLevelNames = {"trace", "debug", "info", "warn", "error", "off"};

}  // namespace

void init(std::string_view program, Level level) {
    spdlog::drop(std::string(program));
    auto logger = spdlog::stderr_logger_mt(std::string(program));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %l: %v");
    spdlog::set_default_logger(std::move(logger));
    set_level(level);
}

void set_level(Level level) { spdlog::set_level(to_spdlog(level)); }

bool enabled(Level level) { return spdlog::should_log(to_spdlog(level)); }

Result<Level> parse_level(std::string_view text) {
    for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
        if (kLevelNames[i] == text) return static_cast<Level>(i);
    }
    return Status::error(fmt::format("unknown log level \"{}\": use trace, debug, info, warn, error or off", text));
}

bool init_from_option(std::string_view program, std::string_view level_text, std::string_view line_prefix) {
    Result<Level> level = parse_level(level_text);
    if (!level) {
        fmt::print(stderr, "{}: {}\n", program, level.status().message());
        return false;
    }
    init(line_prefix.empty() ? program : line_prefix, *level);
    return true;
}

void write(Level level, std::string_view message) { spdlog::log(to_spdlog(level), "{}", message); }

}  // namespace lampi::log
