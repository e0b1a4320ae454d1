// The HTTP server under bad input: oversized and malformed requests, header
// abuse, unknown routes and methods, static file traversal, keep-alive and
// graceful stop. It must answer 4xx and keep serving.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "cloud_server.h"
#include "http_client.h"
#include "pages/recent_stat.h"
#include "process.h"

namespace lampi::cloud {
namespace {

using testing::CloudServer;
using testing::HttpClient;
using testing::HttpReply;

// The server looks at a file on disk at most once a second (pages/recent_stat.h),
// so a change is served within that second: asks again until `seen` holds, for
// that second and some more for a loaded machine; the last reply is returned.
template <typename Ask, typename Seen>
HttpReply once_seen(Ask ask, Seen seen) {
    auto deadline = std::chrono::steady_clock::now() + pages::RecentStat::kDefaultMaxAge + std::chrono::seconds(5);
    HttpReply reply = ask();
    while (!seen(reply) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        reply = ask();
    }
    return reply;
}

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::filesystem::create_directories(dir_ / "static/css");
        lampi::testing::write_file(dir_ / "static/css/site.css", "body{}");
        lampi::testing::write_file(dir_ / "secret.txt", "top secret");
        std::filesystem::create_symlink(dir_ / "secret.txt", dir_ / "static/link.txt");
        testing::CloudServerOptions options;
        options.app.static_dir = dir_ / "static";
        options.server.body_limit = 1024;
        options.server.header_limit = 2048;
        options.server.read_timeout = std::chrono::milliseconds(500);
        options.server.idle_timeout = std::chrono::milliseconds(500);
        options.server.header_timeout = std::chrono::milliseconds(500);
        server_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / "db.sqlite3"), options);
    }
    bool still_serving() {
        HttpClient c(server_->port());
        return c.request("GET", "/accounts/login/").status == 200;
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<CloudServer> server_;
};

TEST_F(ServerTest, UnknownRoutesAndMethods) {
    HttpClient c(server_->port());
    EXPECT_EQ(c.request("GET", "/nope").status, 404);
    auto api = c.request("GET", "/api/v1/nope");
    EXPECT_EQ(api.status, 404);
    EXPECT_NE(api.header("Content-Type").find("json"), std::string::npos);
    auto method = c.request("DELETE", "/accounts/login/");
    EXPECT_EQ(method.status, 405);
    EXPECT_NE(method.header("Allow").find("GET"), std::string::npos);
    EXPECT_EQ(c.request("BREW", "/").status, 405);
}

TEST_F(ServerTest, OversizedBodyIs413) {
    HttpClient c(server_->port());
    auto r = c.request("POST", "/accounts/login/", {{"Content-Type", "application/x-www-form-urlencoded"}},
                       std::string(4096, 'a'));
    EXPECT_EQ(r.status, 413);
    // Declared but never sent: refused from the header alone.
    auto declared = c.raw("POST /accounts/login/ HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
    EXPECT_EQ(declared.status, 413);
    EXPECT_TRUE(still_serving());
}

TEST_F(ServerTest, HeaderAbuseIs4xx) {
    HttpClient c(server_->port());
    EXPECT_EQ(c.raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n").status, 431);
    std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 500; ++i) many += "X-" + std::to_string(i) + ": y\r\n";
    EXPECT_EQ(c.raw(many + "\r\n").status, 431);
    EXPECT_EQ(c.raw("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello").status, 400);
    EXPECT_EQ(c.raw("GET / HTTP/1.1\r\nBad Header\r\n\r\n").status, 400);
    EXPECT_EQ(c.raw("GARBAGE\r\n\r\n").status, 400);
    EXPECT_EQ(c.raw("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n").status, 400);
    EXPECT_EQ(c.raw("GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n").status, 400);
    EXPECT_EQ(c.raw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").status, 400);
    EXPECT_EQ(c.raw(std::string("GET /\0 HTTP/1.1\r\n\r\n", 19)).status, 400);
    EXPECT_TRUE(still_serving());
}

TEST_F(ServerTest, MalformedFormsAndJson) {
    server_->add_user("alice");
    testing::BrowserSession s(server_->port());
    s.get("/accounts/login/");
    auto bad_form = s.send("POST", "/accounts/login/", "username=%zz&password=x",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(bad_form.status, 400);
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    auto bad_json = s.send("POST", "/api/v1/lamps/claim", "[1,2",
                           {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    EXPECT_EQ(bad_json.status, 400);
    auto deep = s.send("POST", "/api/v1/lamps/claim", std::string(200, '[') + std::string(200, ']'),
                       {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    EXPECT_EQ(deep.status, 400);
    auto not_object = s.send("POST", "/api/v1/tokens", "\"x\"",
                             {{"Content-Type", "application/json"}, {"X-CSRFToken", s.cookie("csrftoken")}});
    EXPECT_EQ(not_object.status, 400);
    EXPECT_TRUE(still_serving());
}

TEST_F(ServerTest, StaticFilesStayInTheirDirectory) {
    HttpClient c(server_->port());
    auto css = c.request("GET", "/static/css/site.css");
    EXPECT_EQ(css.status, 200);
    EXPECT_EQ(css.body, "body{}");
    EXPECT_NE(css.header("Content-Type").find("text/css"), std::string::npos);
    EXPECT_EQ(c.request("GET", "/static/../secret.txt").status, 404);
    EXPECT_EQ(c.request("GET", "/static/%2e%2e/secret.txt").status, 404);
    EXPECT_EQ(c.request("GET", "/static/css/..%2F..%2Fsecret.txt").status, 404);
    EXPECT_EQ(c.request("GET", "/static//etc/passwd").status, 404);
    EXPECT_EQ(c.request("GET", "/static/link.txt").status, 404);
    EXPECT_EQ(c.request("GET", "/static/css").status, 404);
    EXPECT_EQ(c.request("GET", "/static/missing.js").status, 404);
}

// A static file is read once and its answer kept: every answer is still the
// file's exact bytes with the same headers, the page's security headers included.
TEST_F(ServerTest, AKeptStaticAnswerIsTheFileByteForByteWithItsHeaders) {
    std::string bytes;
    for (int i = 0; i < 40'000; ++i) bytes += static_cast<char>(i * 7 % 256);  // NULs, CR/LF, > one TLS record
    lampi::testing::write_file(dir_ / "static/blob.png", bytes);
    HttpClient c(server_->port());
    auto first = c.request("GET", "/static/blob.png");
    auto again = c.request("GET", "/static/blob.png");
    for (const auto* r : {&first, &again}) {
        ASSERT_EQ(r->status, 200);
        EXPECT_EQ(r->body, bytes);
        EXPECT_EQ(r->header("Content-Length"), std::to_string(bytes.size()));
        EXPECT_EQ(r->header("Content-Type"), "image/png");
        EXPECT_EQ(r->header("Cache-Control"), "public, max-age=300");
        EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff");
        EXPECT_FALSE(r->header("Content-Security-Policy").empty());
        EXPECT_EQ(r->header("X-Frame-Options"), "DENY");
    }
    EXPECT_FALSE(first.header("ETag").empty());
    EXPECT_EQ(first.header("ETag"), again.header("ETag"));
    EXPECT_NE(first.header("Last-Modified").find(" GMT"), std::string::npos);
}

TEST_F(ServerTest, AStaticFileChangedOnDiskIsServedAnew) {
    HttpClient c(server_->port());
    auto before = c.request("GET", "/static/css/site.css");
    ASSERT_EQ(before.body, "body{}");
    lampi::testing::write_file(dir_ / "static/css/site.css", "body{color:red}");
    auto ask = [&] { return c.request("GET", "/static/css/site.css"); };
    auto after = once_seen(ask, [](const HttpReply& r) { return r.body != "body{}"; });
    EXPECT_EQ(after.body, "body{color:red}");
    EXPECT_NE(after.header("ETag"), before.header("ETag"));
    std::filesystem::remove(dir_ / "static/css/site.css");
    EXPECT_EQ(once_seen(ask, [](const HttpReply& r) { return r.status != 200; }).status, 404);
}

// The kept answer is tied to the file it was read from: a link inside the
// directory re-pointed outside it must not serve what it now leads to.
TEST_F(ServerTest, AKeptAnswerDoesNotOutliveALinkRepointedOutside) {
    std::filesystem::create_symlink(dir_ / "static/css/site.css", dir_ / "static/alias.css");
    HttpClient c(server_->port());
    EXPECT_EQ(c.request("GET", "/static/alias.css").body, "body{}");
    std::filesystem::remove(dir_ / "static/alias.css");
    std::filesystem::create_symlink(dir_ / "secret.txt", dir_ / "static/alias.css");
    // Until the link is looked at again, the file it led to (inside) may still be served; never the secret.
    auto r = once_seen([&] { return c.request("GET", "/static/alias.css"); },
                       [](const HttpReply& reply) { return reply.body != "body{}"; });
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body.find("top secret"), std::string::npos);
}

TEST_F(ServerTest, StaticFilesAnswerConditionalGetsWith304) {
    HttpClient c(server_->port());
    auto full = c.request("GET", "/static/css/site.css");
    const std::string etag = full.header("ETag"), modified = full.header("Last-Modified");
    ASSERT_FALSE(etag.empty());
    auto same = c.request("GET", "/static/css/site.css", {{"If-None-Match", etag}});
    EXPECT_EQ(same.status, 304);
    EXPECT_EQ(same.body, "");
    EXPECT_EQ(same.header("Content-Length"), "");
    EXPECT_EQ(same.header("ETag"), etag);
    EXPECT_EQ(same.header("Cache-Control"), "public, max-age=300");
    EXPECT_EQ(c.request("GET", "/static/css/site.css", {{"If-None-Match", "\"other\", W/" + etag}}).status, 304);
    EXPECT_EQ(c.request("GET", "/static/css/site.css", {{"If-None-Match", "\"other\""}}).status, 200);
    EXPECT_EQ(c.request("GET", "/static/css/site.css", {{"If-Modified-Since", modified}}).status, 304);
    // If-None-Match decides when both are sent.
    EXPECT_EQ(c.request("GET", "/static/css/site.css", {{"If-None-Match", "\"other\""}, {"If-Modified-Since", modified}})
                  .status,
              200);
    EXPECT_TRUE(still_serving()) << "the connection survives a 304 without a body";
    lampi::testing::write_file(dir_ / "static/css/site.css", "body{margin:0}");
    auto changed = once_seen(
        [&] {
            return c.request("GET", "/static/css/site.css", {{"If-None-Match", etag}});
        },
        [](const HttpReply& r) { return r.status != 304; });
    EXPECT_EQ(changed.status, 200);
    EXPECT_EQ(changed.body, "body{margin:0}");
}

// A compressed copy is sent only while it is at least as new as its file: one left
// from an earlier version must not stand for a file changed since.
TEST_F(ServerTest, ACompressedCopyOlderThanItsFileIsNotSent) {
    lampi::testing::write_file(dir_ / "static/css/site.css.br", "brotli bytes");
    HttpClient c(server_->port());
    auto fresh = c.request("GET", "/static/css/site.css", {{"Accept-Encoding", "br"}});
    EXPECT_EQ(fresh.header("Content-Encoding"), "br");
    EXPECT_EQ(fresh.body, "brotli bytes");
    auto past = std::filesystem::last_write_time(dir_ / "static/css/site.css") - std::chrono::hours(1);
    std::filesystem::last_write_time(dir_ / "static/css/site.css.br", past);
    auto stale = once_seen(
        [&] {
            return c.request("GET", "/static/css/site.css", {{"Accept-Encoding", "br"}});
        },
        [](const HttpReply& r) { return r.body != "brotli bytes"; });
    EXPECT_EQ(stale.header("Content-Encoding"), "");
    EXPECT_EQ(stale.body, "body{}");
    EXPECT_EQ(stale.header("Vary"), "Accept-Encoding");
}

// The pages link the content-hashed names assets.json gives, read again when a
// build rewrites it under the running server; such names are served as immutable.
TEST_F(ServerTest, ThePagesLinkTheHashedNamesOfAssetsJsonAsItChanges) {
    HttpClient c(server_->port());
    EXPECT_NE(c.request("GET", "/offline/").body.find("<script src=\"/static/lampi.js\""), std::string::npos)
        << "the plain name without assets.json";
    lampi::testing::write_file(dir_ / "static/lampi.0123456789.js", "one();");
    lampi::testing::write_file(dir_ / "static/assets.json", R"({"lampi.js": "lampi.0123456789.js"})");
    auto offline_page = [&] { return c.request("GET", "/offline/"); };
    auto names = [](const std::string& script) {
        return
            [script](const HttpReply& r) { return r.body.find("<script src=\"" + script + "\"") != std::string::npos; };
    };
    auto offline = once_seen(offline_page, names("/static/lampi.0123456789.js")).body;
    EXPECT_NE(offline.find("<script src=\"/static/lampi.0123456789.js\""), std::string::npos) << offline;
    EXPECT_NE(offline.find("href=\"/static/lampi.css\""), std::string::npos) << "what it does not name stays";
    auto script = c.request("GET", "/static/lampi.0123456789.js");
    EXPECT_EQ(script.body, "one();");
    EXPECT_EQ(script.header("Cache-Control"), "public, max-age=31536000, immutable");
    lampi::testing::write_file(dir_ / "static/assets.json",
                               R"({"lampi.js": "lampi.abcdefabcd.js", "lampi.css": "lampi.0123456789.css"})");
    offline = once_seen(offline_page, names("/static/lampi.abcdefabcd.js")).body;
    EXPECT_NE(offline.find("<script src=\"/static/lampi.abcdefabcd.js\""), std::string::npos) << offline;
    EXPECT_NE(offline.find("href=\"/static/lampi.0123456789.css\""), std::string::npos) << offline;
    // A name that could leave /static/ or its attribute is not linked.
    lampi::testing::write_file(dir_ / "static/assets.json", R"({"lampi.js": "../x\" onload=\"y.js"})");
    EXPECT_NE(once_seen(offline_page, names("/static/lampi.js")).body.find("<script src=\"/static/lampi.js\""),
              std::string::npos);
}

// The installable web app: the service worker comes from the static files but is
// served at the root (its scope is where it is served) and revalidated every time;
// the manifest has its own type; the offline page is the same for everybody.
TEST_F(ServerTest, TheServiceWorkerIsServedAtTheRootAndAlwaysRevalidated) {
    HttpClient c(server_->port());
    EXPECT_EQ(c.request("GET", "/sw.js").status, 404) << "no worker until the build put one in the static files";
    lampi::testing::write_file(dir_ / "static/sw.js", "self.addEventListener('fetch', () => {});");
    lampi::testing::write_file(dir_ / "static/manifest.webmanifest", R"({"name":"LAMPi"})");
    auto worker =
        once_seen([&] { return c.request("GET", "/sw.js"); }, [](const HttpReply& r) { return r.status != 404; });
    ASSERT_EQ(worker.status, 200);
    EXPECT_EQ(worker.body, "self.addEventListener('fetch', () => {});");
    EXPECT_EQ(worker.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(worker.header("Cache-Control"), "no-cache");
    EXPECT_EQ(worker.header("Service-Worker-Allowed"), "") << "at the root, its scope is already the whole site";
    EXPECT_EQ(c.request("POST", "/sw.js").status, 405);
    auto manifest = c.request("GET", "/static/manifest.webmanifest");
    ASSERT_EQ(manifest.status, 200);
    EXPECT_EQ(manifest.header("Content-Type"), "application/manifest+json");
}

TEST_F(ServerTest, TheOfflinePageCarriesNoSessionOrCsrfTokenAndOffersTheNearbyLamp) {
    HttpClient c(server_->port());
    auto offline = c.request("GET", "/offline/");
    ASSERT_EQ(offline.status, 200);
    EXPECT_EQ(offline.header("Cache-Control"), "no-cache") << "the service worker keeps a copy";
    EXPECT_TRUE(offline.headers_named("Set-Cookie").empty());
    EXPECT_EQ(offline.body.find("csrfmiddlewaretoken"), std::string::npos);
    EXPECT_NE(offline.body.find("You are offline"), std::string::npos);
    EXPECT_NE(offline.body.find("<section id=\"nearby\""), std::string::npos);
    EXPECT_NE(offline.body.find("Control nearby lamp over Bluetooth"), std::string::npos);
    EXPECT_NE(offline.body.find("<script src=\"/static/lampi.js\" defer></script>"), std::string::npos);
}

TEST_F(ServerTest, EveryPageLinksTheManifestTheIconsAndTheThemeColour) {
    HttpClient c(server_->port());
    for (const char* path : {"/accounts/login/", "/offline/", "/nothing-here"}) {
        auto page = c.request("GET", path);
        if (page.header("Content-Type").find("text/html") == std::string::npos) continue;
        EXPECT_NE(page.body.find("<link rel=\"manifest\" href=\"/static/manifest.webmanifest\">"), std::string::npos)
            << path;
        EXPECT_NE(page.body.find("<meta name=\"theme-color\" content=\"#ffffff\""), std::string::npos) << path;
        EXPECT_NE(page.body.find("<link rel=\"apple-touch-icon\" href=\"/static/apple-touch-icon.png\">"),
                  std::string::npos)
            << path;
        EXPECT_NE(page.body.find("<link rel=\"icon\" href=\"/static/icon.svg\""), std::string::npos) << path;
    }
}

TEST_F(ServerTest, KeepAliveUntilConnectionClose) {
    HttpClient c(server_->port());
    for (int i = 0; i < 5; ++i) {
        auto r = c.request("GET", "/accounts/login/");
        ASSERT_EQ(r.status, 200);
        EXPECT_FALSE(r.closed);
    }
    auto close = c.request("GET", "/accounts/login/", {{"Connection", "close"}});
    EXPECT_TRUE(close.closed);
}

TEST_F(ServerTest, StopsGracefullyWithIdleConnectionsOpen) {
    HttpClient idle(server_->port());
    ASSERT_EQ(idle.request("GET", "/accounts/login/").status, 200);
    auto start = std::chrono::steady_clock::now();
    server_.reset();  // stop() + join: must not wait for the idle keep-alive client
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// True once the peer closed (EOF or reset) within `timeout_ms`.
// A raw connection to the server, for clients that misbehave on purpose.
std::unique_ptr<testing::WireConnection> open_raw(int port) {
    std::string error;
    return testing::WireConnection::open(port, std::nullopt, error);
}

bool send_raw(testing::WireConnection& connection, const std::string& bytes) {
    std::string error;
    return connection.send(bytes, error);
}

// `count` more connections to `port` in `out`, each having sent `head` (nothing
// when empty) and then left alone.
void open_many(int port, int count, const std::string& head,
               std::vector<std::unique_ptr<testing::WireConnection>>& out) {
    for (int i = 0; i < count; ++i) {
        out.push_back(open_raw(port));
        ASSERT_TRUE(out.back()) << "connection " << i;
        if (!head.empty()) {
            ASSERT_TRUE(send_raw(*out.back(), head)) << "connection " << i;
        }
    }
}

// Each phase of a request has its own timeout: idle before the first byte, the
// header from its first byte, the body after the header. The three differ
// widely here, so a server that applied one where another belongs is caught.
TEST(Timeouts, IdleHeaderAndBodyEachEndAConnectionAfterTheirOwnTimeout) {
    using std::chrono::milliseconds;
    lampi::testing::TempDir dir;
    testing::CloudServerOptions options;
    options.server.header_timeout = milliseconds(500);
    options.server.read_timeout = milliseconds(2500);
    options.server.idle_timeout = milliseconds(5000);
    CloudServer server("sqlite://" + (dir / "db.sqlite3"), options);
    auto idle = open_raw(server.port());
    auto header = open_raw(server.port());
    auto body = open_raw(server.port());
    ASSERT_TRUE(idle && header && body);
    const std::string head = "POST /api/v1/tokens HTTP/1.1\r\nHost: x\r\n";
    ASSERT_TRUE(send_raw(*header, head));
    const std::string partial = head + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":";
    ASSERT_TRUE(send_raw(*body, partial));
    auto start = std::chrono::steady_clock::now();
    // Waited for in the order they should close; a socket closed earlier than
    // expected is seen at once, so each time is at most the true one or the previous.
    auto closed_after = [&](std::unique_ptr<testing::WireConnection>& connection) {
        bool closed = connection->closed_by_peer(milliseconds(10'000));
        connection.reset();
        return closed ? std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start)
                      : milliseconds::max();
    };
    auto header_cut = closed_after(header);
    auto body_cut = closed_after(body);
    auto idle_cut = closed_after(idle);
    EXPECT_GE(header_cut, milliseconds(400)) << "a stalled header is cut by the header timeout (500 ms)";
    EXPECT_LT(header_cut, milliseconds(2000)) << "a stalled header is cut by the header timeout (500 ms)";
    EXPECT_GE(body_cut, milliseconds(2300)) << "a stalled body is cut by the read timeout (2.5 s)";
    EXPECT_LT(body_cut, milliseconds(4500)) << "a stalled body is cut by the read timeout (2.5 s)";
    EXPECT_GE(idle_cut, milliseconds(4700)) << "a silent connection is cut by the idle timeout (5 s)";
    EXPECT_LT(idle_cut, milliseconds(8000)) << "a silent connection is cut by the idle timeout (5 s)";
}

TEST(SlowClients, DribblingHeadersNeitherBlockOthersNorHoldConnectionsPastTheHeaderTimeout) {
    lampi::testing::TempDir dir;
    testing::CloudServerOptions options;
    // Long enough that the ordinary requests below finish well inside it even on
    // a loaded machine: the slow clients are then provably still connected.
    constexpr auto kHeaderTimeout = std::chrono::milliseconds(6000);
    options.server.header_timeout = kHeaderTimeout;
    options.server.idle_timeout = std::chrono::milliseconds(20000);
    CloudServer server("sqlite://" + (dir / "db.sqlite3"), options);
    constexpr int kSlow = 200;
    std::vector<std::unique_ptr<testing::WireConnection>> slow;
    ASSERT_NO_FATAL_FAILURE(open_many(server.port(), kSlow, "GET /accounts/login/ HTTP/1.1\r\nHost: x\r\n", slow));
    auto started = std::chrono::steady_clock::now();
    // Each slow client sends one more header line every 100 ms, never finishing.
    std::atomic<bool> dribbling{true};
    std::thread dribbler([&] {
        while (dribbling) {
            for (auto& connection : slow) (void)send_raw(*connection, "X-Slow: 1\r\n");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    // Meanwhile ordinary requests are answered, each well inside a header timeout.
    for (int i = 0; i < 5; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        HttpClient c(server.port());
        EXPECT_EQ(c.request("GET", "/accounts/login/").status, 200);
        EXPECT_LT(std::chrono::steady_clock::now() - t0, kHeaderTimeout / 2) << "request " << i;
    }
    // The marker that they were served while the slow clients were there: every
    // slow client is still connected now.
    int cut_early = 0;
    for (auto& connection : slow) cut_early += connection->closed_by_peer(std::chrono::milliseconds(1)) ? 1 : 0;
    EXPECT_EQ(cut_early, 0) << "slow clients were cut before the ordinary requests were all served";
    // However slowly the bytes come, a header gets header_timeout in all.
    int closed = 0;
    for (auto& connection : slow)
        closed += connection->closed_by_peer(kHeaderTimeout + std::chrono::seconds(10)) ? 1 : 0;
    auto all_closed = std::chrono::steady_clock::now() - started;
    dribbling = false;
    dribbler.join();
    EXPECT_EQ(closed, kSlow);
    EXPECT_LT(all_closed, kHeaderTimeout + std::chrono::seconds(10));
}

TEST(IdleFlood, ThousandsOfSilentSocketsNeverLockOutTheLoginPage) {
    lampi::testing::TempDir dir;
    testing::CloudServerOptions options;
    options.server.max_connections = 500;  // the cap at a tenth of its size, the flood at 6x it
    CloudServer server("sqlite://" + (dir / "db.sqlite3"), options);
    constexpr int kSilent = 3000;
    std::vector<std::unique_ptr<testing::WireConnection>> silent;
    ASSERT_NO_FATAL_FAILURE(open_many(server.port(), kSilent, "", silent));
    // Someone with a request still gets the login page, promptly, every time.
    for (int i = 0; i < 5; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        HttpClient c(server.port());
        EXPECT_EQ(c.request("GET", "/accounts/login/").status, 200) << i;
        EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2000)) << "request " << i;
    }
    // The oldest silent sockets were shed to make room (at least the excess over the cap).
    int closed = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (auto& connection : silent) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        closed += connection->closed_by_peer(std::max(std::chrono::milliseconds(1), left)) ? 1 : 0;
        if (closed >= kSilent - 500) break;
    }
    EXPECT_GE(closed, kSilent - 500);
}

TEST(TlsServer, ServesTheSameRoutesOverHttps) {
    lampi::testing::TempDir dir;
    lampi::testing::Process make_cert({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                       dir / "key.pem", "-out", dir / "cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1"},
                                      dir / "openssl.log");
    make_cert.start();
    ASSERT_EQ(make_cert.stop(0, std::chrono::seconds(30)), 0) << make_cert.log();
    testing::CloudServerOptions options;
    options.server.tls_cert_file = dir / "cert.pem";
    options.server.tls_key_file = dir / "key.pem";
    CloudServer server("sqlite://" + (dir / "db.sqlite3"), options);
    std::string url = "https://127.0.0.1:" + std::to_string(server.port()) + "/accounts/login/?next=/";
    lampi::testing::Process curl({"/usr/bin/curl", "-s", "--cacert", dir / "cert.pem", "-D", dir / "headers.txt", "-o",
                                  "/dev/null", "-w", "%{http_code}", url},
                                 dir / "curl.log");
    curl.start();
    ASSERT_EQ(curl.stop(0, std::chrono::seconds(30)), 0);
    EXPECT_EQ(curl.log(), "200");
    // Over HTTPS: HSTS, and the CSRF cookie is Secure.
    std::string headers = lampi::testing::read_file(dir / "headers.txt");
    EXPECT_NE(headers.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << headers;
    EXPECT_NE(headers.find("; Secure"), std::string::npos) << headers;
    // Plain HTTP on the TLS port gets no HTTP answer.
    HttpClient plain(server.port());
    EXPECT_EQ(plain.raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 2000).status, 0);
}

}  // namespace
}  // namespace lampi::cloud
