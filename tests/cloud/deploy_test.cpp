// The real lampi-cloud binary as it is deployed: its log at debug level keeps
// no secret, its --redirect-listen sends plain HTTP to HTTPS, and behind
// Debian's nginx with deploy/nginx/lampi.conf (the production site file, with
// only ports and paths replaced) the login flow works, /auth/ is refused, the
// security headers arrive and the per-address limit sees the real client.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <tuple>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "http_client.h"
#include "ws_client.h"
#include "process.h"

namespace lampi::cloud {
namespace {

using lampi::testing::Process;
using lampi::testing::TempDir;
using testing::BrowserSession;
using testing::HttpClient;
using testing::HttpReply;

const std::string kBinary = LAMPI_CLOUD_BINARY;
const std::string kSiteFile = LAMPI_NGINX_SITE;
const std::string kStaticDir = LAMPI_WEB_STATIC_DIR;
const std::string kPassword = "deploy-password-1";

// `lampi-cloud demo` then `lampi-cloud serve` on a free port, plain HTTP.
class CloudProcess {
public:
    CloudProcess(const TempDir& dir, std::vector<std::string> extra) {
        db_ = "sqlite://" + (dir / "cloud.sqlite3");
        port_ = lampi::testing::free_port();
        Process demo({kBinary, "demo", "--db", db_, "--user", "alice", "--password", kPassword, "--argon2-ops", "1",
                      "--argon2-memory-kib", "8", "--log-level", "warn"},
                     dir / "demo.log");
        demo.start();
        if (demo.wait() != 0) throw std::runtime_error("lampi-cloud demo failed: " + demo.log());
        std::vector<std::string> argv{kBinary,        "serve",        "--db",       db_,
                                      "--listen",     "127.0.0.1:" + std::to_string(port_),
                                      "--mqtt-host",  "",             "--argon2-ops", "1",
                                      "--argon2-memory-kib", "8"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        log_ = dir / "serve.log";
        process_ = std::make_unique<Process>(argv, log_);
        process_->start();
        if (!lampi::testing::wait_for_port(port_, std::chrono::seconds(10)))
            throw std::runtime_error("lampi-cloud did not start: " + process_->log());
    }
    int port() const { return port_; }
    pid_t pid() const { return process_->pid(); }
    // Stops the server (so every line is flushed) and returns its log.
    std::string stop_and_log() {
        process_->stop(15, std::chrono::seconds(10));
        return lampi::testing::read_file(log_);
    }

private:
    std::string db_, log_;
    int port_ = 0;
    std::unique_ptr<Process> process_;
};

// A secret file for lampi-cloud: owner-only, as it insists.
void write_secret(const std::string& path, const std::string& secret) {
    lampi::testing::write_file(path, secret + "\n");
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
}

TEST(DeployedBinary, SecretFilesReadableByOthersAreRefusedAndSecretsNeverTravelInArgv) {
    TempDir dir;
    lampi::testing::write_file(dir / "auth.secret", "auth-secret-open\n");
    std::filesystem::permissions(dir / "auth.secret", std::filesystem::perms(0644), std::filesystem::perm_options::replace);
    Process open({kBinary, "serve", "--db", "sqlite://" + (dir / "db.sqlite3"), "--mqtt-host", "",
                  "--auth-secret-file", dir / "auth.secret"},
                 dir / "open.log");
    open.start();
    int status = open.wait(std::chrono::seconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
    EXPECT_NE(open.log().find("readable by others"), std::string::npos) << open.log();
    // The options that took a secret on the command line are gone.
    for (std::vector<std::string> argv : {std::vector<std::string>{"--mqtt-password", "x"},
                                          std::vector<std::string>{"--service-account", "platform:x"}}) {
        std::vector<std::string> full{kBinary, "serve", "--db", "sqlite://" + (dir / "db.sqlite3")};
        full.insert(full.end(), argv.begin(), argv.end());
        Process refused(full, dir / "argv.log");
        refused.start();
        int code = refused.wait(std::chrono::seconds(10));
        EXPECT_TRUE(WIFEXITED(code) && WEXITSTATUS(code) != 0) << argv[0];
    }
}

TEST(DeployedBinary, DebugLogHoldsNoPasswordTokenOrSecret) {
    TempDir dir;
    const std::string auth_secret = "auth-secret-4b1d0c3e9a";
    const std::string service_password = "service-password-77e1";
    write_secret(dir / "auth.secret", auth_secret);
    write_secret(dir / "platform.pass", service_password);
    int redirect_port = lampi::testing::free_port();
    CloudProcess cloud(dir, {"--log-level", "debug", "--auth-secret-file", dir / "auth.secret",
                             "--service-account-file", "platform:" + (dir / "platform.pass"), "--redirect-listen",
                             "127.0.0.1:" + std::to_string(redirect_port), "--public-https-port", "8443"});
    std::vector<std::string> secrets{kPassword, auth_secret, service_password};
    // Nothing secret in the long-lived process's command line or environment.
    std::string cmdline = lampi::testing::read_file("/proc/" + std::to_string(cloud.pid()) + "/cmdline");
    std::string environ = lampi::testing::read_file("/proc/" + std::to_string(cloud.pid()) + "/environ");
    ASSERT_FALSE(cmdline.empty());
    for (const std::string& secret : {auth_secret, service_password}) {
        EXPECT_EQ(cmdline.find(secret), std::string::npos);
        EXPECT_EQ(environ.find(secret), std::string::npos);
    }

    // A wrong password, a right one, a sign-up and a password change.
    BrowserSession s(cloud.port());
    s.get("/accounts/login/?next=/");
    const std::string wrong = "wrong-password-5d1e";
    secrets.push_back(wrong);
    secrets.push_back(s.cookie("csrftoken"));
    EXPECT_EQ(s.post_form("/accounts/login/?next=/",
                          {{"csrfmiddlewaretoken", s.cookie("csrftoken")}, {"username", "alice"}, {"password", wrong}})
                  .status,
              200);
    ASSERT_TRUE(s.login("alice", kPassword));
    secrets.push_back(s.cookie("sessionid"));
    secrets.push_back(s.cookie("csrftoken"));
    BrowserSession newcomer(cloud.port());
    newcomer.get("/accounts/signup/");
    const std::string signup_password = "signup-password-90ab";
    secrets.push_back(signup_password);
    EXPECT_EQ(newcomer.sign_up("bea", signup_password, signup_password).status, 302);
    const std::string changed_password = "changed-password-c3d4";
    secrets.push_back(changed_password);
    EXPECT_EQ(newcomer.post_form("/accounts/password_change/", {{"csrfmiddlewaretoken", newcomer.cookie("csrftoken")},
                                                                {"old_password", signup_password},
                                                                {"new_password1", changed_password},
                                                                {"new_password2", changed_password}})
                  .status,
              200);

    // A broker credential, an API token, and the broker's auth API calls with them.
    auto credential = s.get("/api/v1/mqtt-credential");
    ASSERT_EQ(credential.status, 200);
    auto cred = boost::json::parse(credential.body).as_object();
    std::string cred_user(cred["username"].as_string()), cred_password(cred["password"].as_string());
    secrets.push_back(cred_password);
    auto token_reply = s.send("POST", "/api/v1/tokens", R"({"name":"ci"})",
                              {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    ASSERT_EQ(token_reply.status, 201);
    std::string token(boost::json::parse(token_reply.body).as_object()["token"].as_string());
    secrets.push_back(token);
    HttpClient api(cloud.port());
    EXPECT_EQ(api.request("GET", "/api/v1/lamps", {{"Authorization", "Bearer " + token}}).status, 200);
    auto auth = [&](const std::string& path, const std::string& body) {
        return api.request("POST", path, {{"Content-Type", "application/json"}, {"X-Lampi-Auth-Secret", auth_secret}},
                           body);
    };
    EXPECT_NE(auth("/auth/v1/user", "{\"username\":\"" + cred_user + "\",\"password\":\"" + cred_password + "\"}")
                  .body.find("\"ok\":true"),
              std::string::npos);
    EXPECT_NE(auth("/auth/v1/user", "{\"username\":\"platform\",\"password\":\"" + service_password + "\"}")
                  .body.find("\"ok\":true"),
              std::string::npos);
    auth("/auth/v1/user", R"({"username":"platform","password":")" + wrong + "\"}");
    auth("/auth/v1/acl", R"({"username":")" + cred_user + R"(","topic":"devices/b827eb74663e/lamp/changed","acc":4})");
    EXPECT_EQ(api.request("POST", "/auth/v1/user", {{"Content-Type", "application/json"}, {"X-Lampi-Auth-Secret", wrong}},
                          "{}")
                  .status,
              403);
    EXPECT_EQ(s.post_form("/logout/", {{"csrfmiddlewaretoken", s.cookie("csrftoken")}}).status, 200);

    // A path cannot forge log lines.
    EXPECT_EQ(api.request("GET", "/x%0a2026-01-01T00:00:00.000%20lampi-cloud%20info:%20forged").status, 404);

    // The redirect listener answers every request with the way to HTTPS.
    HttpClient plain(redirect_port);
    auto moved = plain.request("GET", "/accounts/login/?next=/");
    EXPECT_EQ(moved.status, 301);
    EXPECT_EQ(moved.header("Location"), "https://127.0.0.1:8443/accounts/login/?next=/");

    std::string log = cloud.stop_and_log();
    EXPECT_NE(log.find(" debug: "), std::string::npos) << "the server did not log at debug level:\n" << log;
    EXPECT_NE(log.find("POST /auth/v1/user"), std::string::npos) << log;
    EXPECT_EQ(log.find("\n2026-01-01T00:00:00.000 lampi-cloud info: forged"), std::string::npos) << log;
    for (const std::string& secret : secrets) {
        ASSERT_GE(secret.size(), 16u);
        EXPECT_EQ(log.find(secret), std::string::npos) << "a secret reached the log: " << secret << "\n" << log;
    }
    // Nor a stored form of one: session keys are kept as hashes, which must not leak either.
    EXPECT_EQ(log.find(cred_user.substr(4)), std::string::npos);
}

// ---- nginx in front -------------------------------------------------------------

class NginxFront : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx is not installed (apt-get install nginx)";
        https_ = lampi::testing::free_port();
        http_ = lampi::testing::free_port();
        // The broker's relay socket: something that accepts, enough for the WebSocket to open.
        broker_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::string socket_path = dir_ / "broker.sock";
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
        ASSERT_EQ(::bind(broker_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ASSERT_EQ(::listen(broker_, 16), 0);
        cloud_ = std::make_unique<CloudProcess>(
            dir_, std::vector<std::string>{"--trusted-proxy", "127.0.0.1", "--mqtt-ws-url", "/mqtt", "--relay-broker",
                                           "unix:" + socket_path, "--public-origin",
                                           "https://127.0.0.1:" + std::to_string(https_), "--log-level", "warn",
                                           "--static-dir", kStaticDir});
        Process cert({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-nodes", "-keyout", dir_ / "server.key", "-out", dir_ / "server.crt", "-days", "1", "-subj",
                      "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                     dir_ / "openssl.log");
        cert.start();
        ASSERT_EQ(cert.wait(), 0) << cert.log();
        std::string site = lampi::testing::read_file(kSiteFile);
        // Only addresses and paths change; everything else is the production file.
        replace(site, "server 127.0.0.1:8000;", "server 127.0.0.1:" + std::to_string(cloud_->port()) + ";");
        replace(site, "listen 80;", "listen 127.0.0.1:" + std::to_string(http_) + ";");
        replace(site, "listen [::]:80;", "");
        replace(site, "listen 443 ssl http2;", "listen 127.0.0.1:" + std::to_string(https_) + " ssl http2;");
        replace(site, "listen [::]:443 ssl http2;", "");
        replace(site, "/etc/lampi/tls/server.crt", dir_ / "server.crt");
        replace(site, "/etc/lampi/tls/server.key", dir_ / "server.key");
        for (int server = 0; server < 2; ++server)
            replace(site, "access_log /var/log/nginx/access.log", "access_log " + dir_ / "access.log");
        lampi::testing::write_file(dir_ / "lampi.conf", site);
        std::filesystem::create_directories(dir_ / "tmp");
        std::string main_conf = std::string(geteuid() == 0 ? "user root;\n" : "") +
                                "worker_processes 1;\n"
                                "pid " + dir_ / "nginx.pid" + ";\n"
                                "error_log " + dir_ / "error.log" + " warn;\n"
                                "events { worker_connections 512; }\n"
                                "http {\n"
                                "  access_log " + dir_ / "access.log" + ";\n"
                                "  client_body_temp_path " + dir_ / "tmp/body" + ";\n"
                                "  proxy_temp_path " + dir_ / "tmp/proxy" + ";\n"
                                "  fastcgi_temp_path " + dir_ / "tmp/fastcgi" + ";\n"
                                "  uwsgi_temp_path " + dir_ / "tmp/uwsgi" + ";\n"
                                "  scgi_temp_path " + dir_ / "tmp/scgi" + ";\n"
                                "  include " + dir_ / "lampi.conf" + ";\n"
                                "}\n";
        lampi::testing::write_file(dir_ / "nginx.conf", main_conf);
        nginx_ = std::make_unique<Process>(std::vector<std::string>{"/usr/sbin/nginx", "-p", dir_.path(), "-e",
                                                                    dir_ / "error.log", "-c", dir_ / "nginx.conf", "-g",
                                                                    "daemon off;"},
                                           dir_ / "nginx.out");
        nginx_->start();
        ASSERT_TRUE(lampi::testing::wait_for_port(https_, std::chrono::seconds(10)))
            << nginx_->log() << lampi::testing::read_file(dir_ / "error.log");
    }
    void TearDown() override {
        if (nginx_) nginx_->stop(15, std::chrono::seconds(5));
        if (broker_ >= 0) ::close(broker_);
    }
    static void replace(std::string& text, const std::string& from, const std::string& to) {
        std::size_t at = text.find(from);
        ASSERT_NE(at, std::string::npos) << "deploy/nginx/lampi.conf no longer contains '" << from << "'";
        text.replace(at, from.size(), to);
    }
    // One request through nginx, over HTTPS verifying its certificate, or plain HTTP.
    HttpReply through_nginx(const std::string& method, const std::string& target,
                            const std::vector<std::string>& headers = {}, const std::string& body = {},
                            bool https = true) {
        int port = https ? https_ : http_;
        std::optional<lampi::testing::TlsIdentity> tls;
        if (https) tls = lampi::testing::TlsIdentity{dir_ / "server.crt", "", ""};
        return lampi::testing::http_exchange(port, tls,
                                             lampi::testing::http_request(method, target, port, headers, body));
    }
    std::string origin() const { return "Origin: https://127.0.0.1:" + std::to_string(https_); }
    // The relay as the control page opens it: through nginx, from the page's own origin.
    lampi::testing::WsOptions page_relay() const {
        lampi::testing::WsOptions relay;
        relay.port = https_;
        relay.ca_file = dir_ / "server.crt";
        relay.origin = "https://127.0.0.1:" + std::to_string(https_);
        return relay;
    }

    TempDir dir_;
    std::unique_ptr<CloudProcess> cloud_;
    std::unique_ptr<Process> nginx_;
    int https_ = 0, http_ = 0;
    int broker_ = -1;  // the fake broker's listening unix socket
};

TEST_F(NginxFront, LoginFlowHeadersAndRefusedAuthApi) {
    // Log in like a browser, through nginx over HTTPS.
    auto page = through_nginx("GET", "/accounts/login/?next=/");
    ASSERT_EQ(page.status, 200) << lampi::testing::read_file(dir_ / "error.log");
    std::string csrf = page.set_cookie("csrftoken");
    ASSERT_EQ(csrf.size(), 64u);
    for (const std::string& c : page.headers_named("Set-Cookie")) EXPECT_NE(c.find("; Secure"), std::string::npos) << c;
    EXPECT_EQ(page.header("Strict-Transport-Security"), "max-age=31536000");
    std::string csp = page.header("Content-Security-Policy");
    EXPECT_NE(csp.find("connect-src 'self' wss://127.0.0.1:" + std::to_string(https_) + ";"), std::string::npos) << csp;
    EXPECT_EQ(page.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(page.headers_named("Content-Security-Policy").size(), 1u);
    EXPECT_EQ(page.header("Server"), "nginx") << "server_tokens off hides the version";
    auto login =
        through_nginx("POST", "/accounts/login/?next=/",
                      {"Cookie: csrftoken=" + csrf, "Content-Type: application/x-www-form-urlencoded", origin()},
                      "csrfmiddlewaretoken=" + csrf + "&username=alice&password=" + kPassword);
    ASSERT_EQ(login.status, 302) << login.body;
    std::string session = login.set_cookie("sessionid");
    ASSERT_EQ(session.size(), 64u);
    std::string session_cookie;
    for (const std::string& c : login.headers_named("Set-Cookie"))
        if (c.rfind("sessionid=", 0) == 0) session_cookie = c;
    EXPECT_NE(session_cookie.find("; HttpOnly"), std::string::npos);
    EXPECT_NE(session_cookie.find("; Secure"), std::string::npos);
    auto index = through_nginx("GET", "/", {"Cookie: sessionid=" + session});
    EXPECT_EQ(index.status, 200);
    EXPECT_NE(index.body.find("<div id=\"lamps\""), std::string::npos);

    // The broker's API is not reachable through nginx, however the path is spelled.
    for (const char* path : {"/auth/v1/user", "/auth/v1/acl", "/%61uth/v1/user", "//auth/v1/user", "/auth/../auth/v1/user"}) {
        auto r =
            through_nginx("POST", path, {"Content-Type: application/json"}, R"({"username":"alice","password":"x"})");
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.body.find("\"ok\""), std::string::npos) << path;
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << path;
    }
    // Plain HTTP only redirects.
    auto plain = through_nginx("GET", "/accounts/login/?next=/", {}, {}, false);
    EXPECT_EQ(plain.status, 301);
    EXPECT_EQ(plain.header("Location"), "https://127.0.0.1/accounts/login/?next=/");
    // Oversized bodies stop at nginx.
    auto big = through_nginx("POST", "/accounts/login/", {"Content-Type: application/x-www-form-urlencoded"},
                             std::string(std::size_t{100} * 1024, 'a'));
    EXPECT_EQ(big.status, 413);
    // The WebSocket path reaches lampi-cloud's MQTT relay with its upgrade
    // headers and the page's Origin, which --public-origin allows; another site's is refused.
    lampi::testing::WsOptions relay = page_relay();
    std::string error;
    int status = 0;
    auto ws = lampi::testing::WsClient::connect(relay, error, status);
    ASSERT_TRUE(ws) << error << "\n" << lampi::testing::read_file(dir_ / "error.log");
    EXPECT_EQ(ws->subprotocol(), "mqtt");
    relay.origin = "https://evil.example";
    EXPECT_FALSE(lampi::testing::WsClient::connect(relay, error, status));
    EXPECT_EQ(status, 403) << error;
}

// Behind nginx the relay's client side is plain TCP (lampi-cloud's other stream
// type than TLS): bytes cross it both ways, and a broker that hangs up closes the
// WebSocket with a normal close frame.
TEST_F(NginxFront, TheRelayCarriesBytesBothWaysOverThePlainHopAndClosesWithTheBroker) {
    lampi::testing::WsOptions relay = page_relay();
    std::string error;
    int status = 0;
    auto ws = lampi::testing::WsClient::connect(relay, error, status);
    ASSERT_TRUE(ws) << error << "\n" << lampi::testing::read_file(dir_ / "error.log");
    pollfd waiting{broker_, POLLIN, 0};
    ASSERT_EQ(::poll(&waiting, 1, 5000), 1) << "the relay never connected to the broker";
    int broker = ::accept(broker_, nullptr, nullptr);
    ASSERT_GE(broker, 0);
    timeval limit{5, 0};
    ::setsockopt(broker, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);

    ASSERT_TRUE(ws->send_binary("to the broker", error)) << error;
    std::string received(64, '\0');
    ssize_t n = ::recv(broker, received.data(), received.size(), 0);
    EXPECT_EQ(n > 0 ? received.substr(0, static_cast<std::size_t>(n)) : "nothing", "to the broker");
    const std::string answer = "to the page";
    ASSERT_EQ(::send(broker, answer.data(), answer.size(), MSG_NOSIGNAL), static_cast<ssize_t>(answer.size()));
    auto message = ws->receive(std::chrono::seconds(5), error);
    EXPECT_EQ(message.value_or(error), answer);

    ::close(broker);
    EXPECT_FALSE(ws->receive(std::chrono::seconds(5), error));
    EXPECT_EQ(ws->close_code(), 1000) << error;
}

// The build's brotli and gzip copies reach the browser through nginx as lampi-cloud
// sends them, byte for byte, with their headers; a client asking for no encoding
// gets the file itself.
TEST_F(NginxFront, CompressedStaticFilesPassThroughUnchanged) {
    auto assets = boost::json::parse(lampi::testing::read_file(kStaticDir + "/assets.json")).as_object();
    const std::string script(assets.at("lampi.js").as_string());
    const std::string path = "/static/" + script;
    const std::string file = kStaticDir + "/" + script;
    for (auto [accept, coding, suffix] : {std::tuple{"br, gzip", "br", ".br"}, std::tuple{"gzip", "gzip", ".gz"}}) {
        auto r = through_nginx("GET", path, {std::string("Accept-Encoding: ") + accept});
        ASSERT_EQ(r.status, 200) << lampi::testing::read_file(dir_ / "error.log");
        EXPECT_EQ(r.header("Content-Encoding"), coding);
        EXPECT_EQ(r.header("Vary"), "Accept-Encoding");
        EXPECT_EQ(r.header("Cache-Control"), "public, max-age=31536000, immutable");
        EXPECT_EQ(r.body, lampi::testing::read_file(file + suffix)) << coding;
        // A conditional GET with this encoding's tag is a 304.
        auto again = through_nginx("GET", path,
                                   {std::string("Accept-Encoding: ") + accept, "If-None-Match: " + r.header("ETag")});
        EXPECT_EQ(again.status, 304) << coding;
    }
    auto plain = through_nginx("GET", path);
    EXPECT_EQ(plain.header("Content-Encoding"), "");
    EXPECT_EQ(plain.body, lampi::testing::read_file(file));
    // The page links the hashed names.
    EXPECT_NE(through_nginx("GET", "/offline/").body.find("src=\"" + path + "\""), std::string::npos);
}

// A reset link's token and an analytics api_key travel in the query: nginx's
// access log keeps the path of every request but never its query.
TEST_F(NginxFront, TheAccessLogKeepsPathsButNeverQueryStrings) {
    const std::string token = "resettoken0123456789abcdef";
    const std::string key = "apikey0123456789abcdef";
    EXPECT_NE(through_nginx("GET", "/accounts/reset/?token=" + token).status, 0);
    EXPECT_NE(through_nginx("GET", "/3.0/projects/p/queries/count?api_key=" + key).status, 0);
    EXPECT_EQ(through_nginx("GET", "/accounts/reset/?token=" + token, {}, {}, false).status, 301);
    std::string log;
    // nginx writes its log line after the answer: wait for the third.
    for (int i = 0; i < 50; ++i) {
        log = lampi::testing::read_file(dir_ / "access.log");
        if (std::count(log.begin(), log.end(), '\n') >= 3) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(log.find("\"GET /accounts/reset/ HTTP/"), std::string::npos) << log;
    EXPECT_NE(log.find("\"GET /3.0/projects/p/queries/count HTTP/"), std::string::npos) << log;
    EXPECT_EQ(log.find(token), std::string::npos) << log;
    EXPECT_EQ(log.find(key), std::string::npos) << log;
}

TEST_F(NginxFront, PerAddressLimitSeesTheClientNotTheProxyAndIgnoresSpoofing) {
    // Every request arrives from nginx on 127.0.0.1; lampi-cloud must count the
    // client nginx reports, and a client-written X-Forwarded-For must not let it
    // pose as someone else.
    auto attempt = [&](const std::string& username, const std::string& password, const std::string& spoof) {
        auto page = through_nginx("GET", "/accounts/login/");
        std::string csrf = page.set_cookie("csrftoken");
        std::vector<std::string> headers{"Cookie: csrftoken=" + csrf, "Content-Type: application/x-www-form-urlencoded",
                                         origin()};
        if (!spoof.empty()) headers.push_back("X-Forwarded-For: " + spoof);
        return through_nginx("POST", "/accounts/login/", headers,
                             "csrfmiddlewaretoken=" + csrf + "&username=" + username + "&password=" + password)
            .status;
    };
    for (int i = 0; i < 19; ++i) ASSERT_EQ(attempt("nobody" + std::to_string(i), "guess-guess", "10.9.8." + std::to_string(i)), 200) << i;
    EXPECT_EQ(attempt("nobody19", "guess-guess", "10.9.9.9"), 429);
    EXPECT_EQ(attempt("alice", kPassword, "10.1.1.1"), 429) << "the client is locked whatever it claims";
}

}  // namespace
}  // namespace lampi::cloud
