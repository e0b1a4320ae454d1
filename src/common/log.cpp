#include "lampi/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>
#include <ctime>

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
constexpr std::array<std::string_view, 2> kFormatNames = {"text", "json"};

std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        case spdlog::level::err: return "error";
        case spdlog::level::critical: return "critical";
        default: return "off";
    }
}

// Length of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xe  ? 3
                         : (lead >> 3) == 0x1e ? 4
                                               : 0;
    if (length == 0 || i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k)
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
    if (length == 2 && lead < 0xc2) return 0;                          // overlong
    if (length == 3 && lead == 0xe0 && byte(i + 1) < 0xa0) return 0;   // overlong
    if (length == 3 && lead == 0xed && byte(i + 1) >= 0xa0) return 0;  // a surrogate
    if (length == 4 && (lead > 0xf4 || (lead == 0xf0 && byte(i + 1) < 0x90) || (lead == 0xf4 && byte(i + 1) >= 0x90)))
        return 0;  // overlong or beyond U+10FFFF
    return length;
}

// `text` as a JSON string literal: invalid UTF-8 replaced by U+FFFD, then escaped.
std::string json_quoted(std::string_view text) {
    std::string valid;
    valid.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t length = utf8_sequence(text, i);
        if (length == 0) {
            valid += "\xEF\xBF\xBD";
            ++i;
        } else {
            valid.append(text, i, length);
            i += length;
        }
    }
    return boost::json::serialize(boost::json::string_view(valid.data(), valid.size()));
}

// One JSON object a line: {"time", "level", "program", "message"}.
class JsonFormatter final : public spdlog::formatter {
public:
    explicit JsonFormatter(const std::string& program) : program_(json_quoted(program)) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto since_epoch = msg.time.time_since_epoch();
        const std::time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count();
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count() % 1000;
        std::tm utc{};
        gmtime_r(&seconds, &utc);
        char time[32];
        std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%S", &utc);
        const std::string line = fmt::format(R"({{"time":"{}.{:03}Z","level":"{}","program":{},"message":{}}})", time,
                                             millis, level_name(msg.level), program_,
                                             json_quoted(std::string_view(msg.payload.data(), msg.payload.size())));
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }

    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(*this); }

private:
    std::string program_;  // already a JSON string literal
};

}  // namespace

void init(std::string_view program, Level level, Format format) {
    spdlog::drop(std::string(program));
    auto logger = spdlog::stderr_logger_mt(std::string(program));
    if (format == Format::json) {
        logger->set_formatter(std::make_unique<JsonFormatter>(std::string(program)));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %n %l: %v");
    }
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

Result<Format> parse_format(std::string_view text) {
    for (std::size_t i = 0; i < kFormatNames.size(); ++i) {
        if (kFormatNames[i] == text) return static_cast<Format>(i);
    }
    return Status::error(fmt::format("unknown log format \"{}\": use text or json", text));
}

bool init_from_option(std::string_view program, std::string_view level_text, std::string_view line_prefix,
                      std::string_view format_text) {
    Result<Level> level = parse_level(level_text);
    Result<Format> format = parse_format(format_text);
    for (const Status& s : {level.status(), format.status()}) {
        if (!s) {
            fmt::print(stderr, "{}: {}\n", program, s.message());
            return false;
        }
    }
    init(line_prefix.empty() ? program : line_prefix, *level, *format);
    return true;
}

void write(Level level, std::string_view message) { spdlog::log(to_spdlog(level), "{}", message); }

}  // namespace lampi::log
