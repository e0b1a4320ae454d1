#include "web/web_console.h"

#include <boost/json.hpp>
#include <fmt/core.h>

#include <openssl/crypto.h>

#include <cctype>
#include <charconv>

#include "http/server.h"
#include "lampi/base64.h"
#include "report/csv_report.h"
#include "report/html_assets.h"
#include "report/html_report.h"
#include "report/locust_report.h"
#include "web/page_assets.h"

namespace lampi::load {
namespace {

namespace http = cloud::http;
namespace json = boost::json;

// The page runs only its own script and uPlot's; uPlot sets inline styles.
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' "
    "data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

http::Response asset(std::string body, const char* type) {
    http::Response r = http::text(200, std::move(body), type);
    r.set("Content-Security-Policy", kPagePolicy);
    r.set("X-Content-Type-Options", "nosniff");
    r.set("Cache-Control", "no-cache");
    return r;
}

http::Response download(std::string body, const char* type, const std::string& file) {
    http::Response r = asset(std::move(body), type);
    r.set("Content-Disposition", fmt::format("attachment; filename=\"{}\"", file));
    return r;
}

// {"users": N, "spawn_rate": R} from a JSON body; a publisher run's is
// {"clients": N, "connect_rate": R, "message_rate": M} (M optional: unchanged).
Status steer_start(LiveRun& run, const http::Request& request) {
    const bool publishers = run.publishers();
    const char* users_key = publishers ? "clients" : "users";
    const char* rate_key = publishers ? "connect_rate" : "spawn_rate";
    std::string shape = publishers ? R"({"clients": N, "connect_rate": R, "message_rate": M})"
                                   : R"({"users": N, "spawn_rate": R})";
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) return Status::invalid_argument(fmt::format("send {} as JSON", shape));
    const json::object& o = body.as_object();
    auto number = [&](const char* key) -> std::optional<double> {
        const json::value* v = o.if_contains(key);
        if (!v || !v->is_number()) return std::nullopt;
        return v->to_number<double>();
    };
    std::optional<double> users = number(users_key), rate = number(rate_key);
    if (!users || !rate || *users < 0 || *users > 10'000'000 || *users != static_cast<double>(static_cast<int>(*users)))
        return Status::invalid_argument(
            fmt::format("send {}: N a whole number from 0, R above 0{}", shape,
                        publishers ? ", M messages/s per client (0: as fast as confirmed)" : ""));
    std::optional<double> message_rate = publishers ? number("message_rate") : std::nullopt;
    if (publishers && o.contains("message_rate") && !message_rate)
        return Status::invalid_argument(fmt::format("send {}: M a number of messages/s per client", shape));
    return run.start(static_cast<int>(*users), *rate, message_rate);
}

// The host name of a Host header, without its port or IPv6 brackets.
std::string_view host_name(std::string_view header) {
    if (header.starts_with('[')) return header.substr(1, header.find(']') - 1);
    return header.substr(0, header.rfind(':'));
}

// Whether `authorization` (the header) gives exactly `credentials` (USER:PASS) by HTTP Basic.
bool gives_credentials(std::string_view authorization, const std::string& credentials) {
    constexpr std::string_view kScheme = "basic ";
    if (authorization.size() < kScheme.size()) return false;
    for (std::size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
    std::optional<std::string> given = base64_decode(authorization.substr(kScheme.size()));
    // Compared in constant time: a guesser learns nothing from how long a refusal takes.
    return given && given->size() == credentials.size() &&
           CRYPTO_memcmp(given->data(), credentials.data(), credentials.size()) == 0;
}

http::Response route(LiveRun& run, http::Request& request, bool loopback, const std::string& credentials) {
    // On loopback, only pages of this machine's own names may talk to us: a site
    // that rebinds its name to 127.0.0.1 would otherwise be same-origin.
    if (loopback && !is_loopback_name(host_name(request.header("Host"))))
        return http::json_error(403, "this console answers to 127.0.0.1, localhost and [::1] only");
    if (!credentials.empty() && !gives_credentials(request.header("Authorization"), credentials)) {
        http::Response r = http::json_error(401, "this console asks for the user and password of its --web-auth");
        r.set("WWW-Authenticate", R"(Basic realm="lampi-load", charset="UTF-8")");
        return r;
    }
    const std::string& path = request.path;
    if (request.method == "GET" || request.method == "HEAD") {
        if (path == "/") return asset(kWebPageHtml, "text/html; charset=utf-8");
        if (path == "/page.js") return asset(kWebPageJs, "text/javascript; charset=utf-8");
        if (path == "/page.css") return asset(kWebPageCss, "text/css; charset=utf-8");
        if (path == "/uplot.js") return asset(kChartLibraryJs, "text/javascript; charset=utf-8");
        if (path == "/uplot.css") return asset(kChartLibraryCss, "text/css; charset=utf-8");
        if (path == "/stats") return http::json(200, run.stats_json());
        if (path == "/favicon.ico") return http::text(204, "");  // browsers ask; there is none
        if (path == "/report.html")
            return download(html_report(run.report()), "text/html; charset=utf-8", "lampi-load-report.html");
        // A publisher run has no requests for Locust's files: its per-second series instead.
        if (run.publishers()) {
            if (path == "/series.csv")
                return download(series_csv(run.report().series), "text/csv", "lampi-load_series.csv");
            return http::json_error(404, "no such page: the UI is at /, the data at /series.csv and /report.html");
        }
        if (path == "/stats.csv") return download(locust_csv(run.report()).stats, "text/csv", "lampi-load_stats.csv");
        if (path == "/failures.csv")
            return download(locust_csv(run.report()).failures, "text/csv", "lampi-load_failures.csv");
        if (path == "/exceptions.csv")
            return download(locust_csv(run.report()).exceptions, "text/csv", "lampi-load_exceptions.csv");
        return http::json_error(404, "no such page: the UI is at /");
    }
    if (request.method != "POST") return http::json_error(405, "GET the pages, POST /start, /stop or /quit");
    if (path != "/start" && path != "/stop" && path != "/quit") return http::json_error(404, "POST /start, /stop or /quit");
    if (!request.header("Content-Type").starts_with("application/json"))
        return http::json_error(415, "steering takes Content-Type: application/json");
    if (path == "/start") {
        if (Status s = steer_start(run, request); !s) return http::json_error(400, s.message());
    } else if (path == "/stop") {
        run.stop();
    } else {
        run.quit();
    }
    return http::json(200, run.stats_json());
}

}  // namespace

bool is_loopback_name(std::string_view host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

Result<WebAddress> parse_web_address(const std::string& text) {
    WebAddress address;
    if (text.empty()) return address;
    std::string port = text;
    std::size_t colon = text.rfind(':');
    if (colon != std::string::npos) {
        address.host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (address.host.size() >= 2 && address.host.front() == '[' && address.host.back() == ']')
            address.host = address.host.substr(1, address.host.size() - 2);
        if (address.host.empty()) address.host = "127.0.0.1";
    }
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (ec != std::errc() || end != port.data() + port.size() || address.port < 0 || address.port > 65535)
        return Status::invalid_argument(fmt::format(
            "--web '{}': give PORT or ADDRESS:PORT, as --web 127.0.0.1:8089 (0 picks a free port)", text));
    return address;
}

struct WebConsole::Impl {
    Impl(LiveRun& run, WebAddress where, WebAccess access)
        : address(std::move(where)), credentials(std::move(access.credentials)), tls(!access.tls_cert_file.empty()) {
        http::ServerOptions options;
        options.address = address.host;
        options.port = address.port;
        options.threads = 1;
        options.max_connections = 64;
        options.tls_cert_file = std::move(access.tls_cert_file);
        options.tls_key_file = std::move(access.tls_key_file);
        bool loopback = is_loopback_name(address.host);
        server = std::make_unique<http::HttpServer>(options, [this, &run, loopback](http::Request& r) {
            return route(run, r, loopback, credentials);
        });
    }

    WebAddress address;
    std::string credentials;
    bool tls;
    std::unique_ptr<http::HttpServer> server;
    std::thread thread;
};

WebConsole::WebConsole(LiveRun& run, WebAddress address, WebAccess access)
    : impl_(std::make_unique<Impl>(run, std::move(address), std::move(access))) {}

WebConsole::~WebConsole() {
    if (impl_->thread.joinable()) {
        impl_->server->stop();
        impl_->thread.join();
    }
}

Status WebConsole::start() {
    if (Status s = impl_->server->listen(); !s)
        return s.prefixed(fmt::format("--web cannot listen on {}:{}: ", impl_->address.host, impl_->address.port));
    impl_->thread = std::thread([this] { impl_->server->run(); });
    return Status::ok();
}

std::string WebConsole::url() const {
    const std::string& host = impl_->address.host;
    bool v6 = host.find(':') != std::string::npos;
    return fmt::format("{}://{}{}{}:{}/", impl_->tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
                       impl_->server->port());
}

}  // namespace lampi::load
