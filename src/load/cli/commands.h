// The lampi-load subcommands, each a function from parsed options to an exit code
// (0 the run succeeded, 1 it ran but failed, 2 bad options or environment).
// main.cpp only parses options and calls these.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fleet/fleet.h"
#include "mqtt/client_options.h"
#include "ramp/ramp_flags.h"
#include "report/outputs.h"
#include "run/runner.h"
#include "scenario/http_course.h"
#include "scenario/http_lua.h"
#include "scenario/publish.h"
#include "scenario/subscribe.h"
#include "web/live_run.h"

namespace lampi::load::cli {

// What every subcommand shares: the broker, the client's identity and TLS, how
// the run is driven and where its report goes.
struct CommonOptions {
    ClientOptions client;
    std::string cafile, cert, key;
    std::string password_file;  // --password-file: read into client.password
    std::vector<std::string> bind;
    int threads = static_cast<int>(std::max(1u, std::min(4u, std::thread::hardware_concurrency())));
    bool quiet = false;
    bool sys = false;
    std::vector<pid_t> watch_pids;
    std::vector<std::string> watch_names;
    double max_time_s = 3600;
    std::string log_level = "warn";
    std::string log_format = "text";
    OutputOptions output;
    RampCliOptions ramp;
    // Watches the run beside everything else (a cluster worker's reporter); not with --web.
    RunObserver* observer = nullptr;
};

// --web's live page: where, and who may use it.
struct WebCliOptions {
    std::string address;    // ADDR:PORT, "" for 127.0.0.1:8089
    std::string auth;       // --web-auth USER:PASS: what the page asks for ("": nothing)
    std::string auth_file;  // --web-auth-file: an owner-only file whose first line is USER:PASS
    std::string tls_cert;   // --web-tls-cert and --web-tls-key: serve the page over HTTPS
    std::string tls_key;
};

// `lampi-load http`: the flags Locust users know, parsed but not yet checked.
struct HttpCliOptions {
    std::string host;      // --host URL
    std::string run_time;  // -t: "90", "30s", "5m", "1h30m"; "" runs until Ctrl-C
    std::string scenario = "course";
    std::string script;  // -f scenario.lua: a Lua scenario instead of the built-in one
    std::string login;   // USER:PASS
    std::string login_file;     // its first line is USER:PASS
    std::string script_sha256;  // run `script` only if this is its digest (a controller's worker)
    std::string data_sha256;    // and only if the files it reads as it loads digest to this ("": none)
    std::string wait;    // "--wait 5-9" or "--wait 0"
    bool headless = false;
    bool web = false;          // --web: steer the run from a live page
    WebCliOptions web_page;
};

// `lampi-load publish`: what only the command line knows.
struct PublishCliOptions {
    bool web = false;               // --web: steer the publishers from a live page
    WebCliOptions web_page;
    bool count_given = false;       // -n was on the command line
    bool total_rate_given = false;  // --total-rate was
};

int publish_command(PublishOptions options, const PublishCliOptions& cli, CommonOptions common);
// Set by Ctrl-C (SIGINT) or SIGTERM once a command (or install_stop_handlers) installed its handlers.
const std::atomic<bool>& stop_requested();
void install_stop_handlers();
// `options` holds the numbers (users, spawn rate, accounts, TLS); `cli` the rest.
int http_command(HttpOptions options, const HttpCliOptions& cli, const CommonOptions& common);
int subscribe_command(SubscribeOptions options, CommonOptions common);
// A controller's --web (cluster::ControllerOptions::serve_web): the live page `web` says.
std::function<Result<std::shared_ptr<void>>(LiveRun&)> live_page_at(const WebCliOptions& web);
// first_device_id: 12 hex digits, or "" for the fleet's default.
int fleet_command(FleetOptions options, const std::string& first_device_id, CommonOptions common);

}  // namespace lampi::load::cli
