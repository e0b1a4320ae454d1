// The logging options every LAMPi program takes, spelled and explained alike.
// Only main.cpp files include this (it pulls in CLI11); pass the values to
// log::init_from_option (log.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace lampi {

// --log-level (trace, debug, info, warn, error, off) and --log-format (text, json).
inline void add_log_options(CLI::App& app, std::string& level, std::string& format) {
    app.add_option("--log-level", level, "trace, debug, info, warn, error or off")->capture_default_str();
    app.add_option("--log-format", format, "text (for people) or json (one object a line, for log collectors)")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "json"}));
}

}  // namespace lampi
