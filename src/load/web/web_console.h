// WebConsole (--web): the live UI of a run, served by the project's own HTTP
// server (lampi-cloud's HttpServer on Boost.Beast) on a thread of its own.
//
//   GET  /                 the page (page.html, page.js, page.css, and uPlot
//                          from the binary: nothing is fetched from elsewhere)
//   GET  /stats            LiveRun::stats_json(), polled by the page each second
//   POST /start            {"users": N, "spawn_rate": R}: start, or change while running
//                          (a publisher run: {"clients": N, "connect_rate": R, "message_rate": M})
//   POST /stop             stop every user (the figures stay)
//   POST /quit             end the run: the end-of-run report is printed
//   GET  /stats.csv, /failures.csv, /exceptions.csv   Locust's CSV files so far
//                          (a publisher run: /series.csv, the per-second series)
//   GET  /report.html      the HTML report so far
//
// Steering takes JSON only: a page elsewhere cannot post JSON across origins
// without a preflight this server never grants, so it cannot start a load.
// Binds to loopback unless told otherwise, and there answers only requests for
// 127.0.0.1, localhost or [::1] (so a rebound DNS name gets nothing either).
// With credentials (--web-auth, as Locust's), every request must give them by
// HTTP Basic: the browser asks once, then sends them with each request.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "lampi/status.h"
#include "web/live_run.h"

namespace lampi::load {

struct WebAddress {
    std::string host = "127.0.0.1";
    int port = 8089;  // Locust's; 0 picks a free one
};

// Whether `host` names this machine's loopback (127.0.0.1, localhost, ::1).
bool is_loopback_name(std::string_view host);

// "" (the default), "PORT", "HOST:PORT", "[IPv6]:PORT".
Result<WebAddress> parse_web_address(const std::string& text);

// Who gets in and how: by default anyone who reaches the page, over plain HTTP.
struct WebAccess {
    std::string credentials;  // USER:PASS every request must give (HTTP Basic), or ""
    // Both set: the page is served over HTTPS only, so the password does not cross the network in the clear.
    std::string tls_cert_file, tls_key_file;
};

class WebConsole {
public:
    WebConsole(LiveRun& run, WebAddress address, WebAccess access = {});
    ~WebConsole();
    WebConsole(const WebConsole&) = delete;
    WebConsole& operator=(const WebConsole&) = delete;

    // Binds and starts serving; a port in use or a foreign address is an error.
    Status start();
    // Where it listens, as a URL to open ("http://127.0.0.1:8089/", https with TLS).
    std::string url() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace lampi::load
