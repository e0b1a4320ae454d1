// The build's static files as lampi-cloud serves them: the gzip and brotli copies
// decode to the very bytes of their file, carry Content-Encoding, Vary and an ETag
// of their own (so a 304 never confirms another encoding), and a client that asks
// for no encoding gets the file itself. The page's script and stylesheet, and
// mqtt.js, under their content-hashed names are immutable, and the pages link those
// names (mqtt.js through the lamps' data-mqtt, where the page's script finds it).
#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cloud_server.h"
#include "http_client.h"
#include "process.h"

namespace lampi::cloud {
namespace {

using testing::CloudServer;
using testing::HttpClient;
using testing::HttpReply;

const std::filesystem::path kStatic = LAMPI_WEB_STATIC_DIR;

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string brotli_decoded(const std::string& packed) {
    std::string out;
    BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    std::size_t in_left = packed.size();
    const auto* in = reinterpret_cast<const std::uint8_t*>(packed.data());
    BrotliDecoderResult result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
    while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        std::uint8_t chunk[16384];
        std::size_t out_left = sizeof chunk;
        std::uint8_t* next = chunk;
        result = BrotliDecoderDecompressStream(state, &in_left, &in, &out_left, &next, nullptr);
        out.append(reinterpret_cast<char*>(chunk), sizeof chunk - out_left);
    }
    BrotliDecoderDestroyInstance(state);
    return result == BROTLI_DECODER_RESULT_SUCCESS ? out : "(not brotli)";
}

std::string gzip_decoded(const std::string& packed) {
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return "(no zlib)";
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = static_cast<uInt>(packed.size());
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        char chunk[16384];
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - z.avail_out);
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END ? out : "(not gzip)";
}

class StaticEncodingTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(std::filesystem::exists(kStatic / "assets.json")) << "build the web_static target first";
        auto assets = boost::json::parse(read_file(kStatic / "assets.json")).as_object();
        script_ = std::string(assets.at("lampi.js").as_string());
        style_ = std::string(assets.at("lampi.css").as_string());
        mqtt_ = std::string(assets.at("mqtt.min.js").as_string());
        testing::CloudServerOptions options;
        options.app.static_dir = kStatic;
        server_ = std::make_unique<CloudServer>("sqlite://" + (dir_ / "db.sqlite3"), options);
    }
    HttpReply get(const std::string& path, const testing::HttpHeaders& headers = {}) {
        HttpClient c(server_->port());
        return c.request("GET", path, headers);
    }

    lampi::testing::TempDir dir_;
    std::unique_ptr<CloudServer> server_;
    std::string script_, style_, mqtt_;
};

TEST_F(StaticEncodingTest, BrotliAndGzipCopiesDecodeToTheFileWithTheirHeaders) {
    for (const std::string& name :
         {script_, style_, mqtt_, std::string("mqtt.min.js"), std::string("manifest.webmanifest")}) {
        SCOPED_TRACE(name);
        const std::string identity = read_file(kStatic / name);
        auto br = get("/static/" + name, {{"Accept-Encoding", "gzip, deflate, br"}});
        ASSERT_EQ(br.status, 200);
        EXPECT_EQ(br.header("Content-Encoding"), "br");
        EXPECT_EQ(br.header("Vary"), "Accept-Encoding");
        EXPECT_EQ(brotli_decoded(br.body), identity);
        EXPECT_LT(br.body.size(), identity.size());
        EXPECT_EQ(br.header("Content-Length"), std::to_string(br.body.size()));

        auto gz = get("/static/" + name, {{"Accept-Encoding", "gzip"}});
        ASSERT_EQ(gz.status, 200);
        EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
        EXPECT_EQ(gz.header("Vary"), "Accept-Encoding");
        EXPECT_EQ(gzip_decoded(gz.body), identity);

        auto plain = get("/static/" + name);
        ASSERT_EQ(plain.status, 200);
        EXPECT_EQ(plain.header("Content-Encoding"), "");
        EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
        EXPECT_EQ(plain.body, identity);

        for (const HttpReply* r : {&br, &gz, &plain})
            EXPECT_EQ(r->header("Content-Type"), br.header("Content-Type")) << "the type is the file's, not .br's";
        EXPECT_NE(br.header("ETag"), gz.header("ETag"));
        EXPECT_NE(br.header("ETag"), plain.header("ETag"));
        EXPECT_NE(gz.header("ETag"), plain.header("ETag"));
    }
}

TEST_F(StaticEncodingTest, OnlyAnAcceptedEncodingIsSent) {
    const std::string path = "/static/" + script_;
    EXPECT_EQ(get(path, {{"Accept-Encoding", "br;q=0, gzip"}}).header("Content-Encoding"), "gzip");
    EXPECT_EQ(get(path, {{"Accept-Encoding", "BR"}}).header("Content-Encoding"), "br");
    EXPECT_EQ(get(path, {{"Accept-Encoding", "*"}}).header("Content-Encoding"), "br");
    EXPECT_EQ(get(path, {{"Accept-Encoding", "*, br;q=0.0, gzip;q=0"}}).header("Content-Encoding"), "");
    EXPECT_EQ(get(path, {{"Accept-Encoding", "identity"}}).header("Content-Encoding"), "");
    EXPECT_EQ(get(path, {{"Accept-Encoding", "deflate"}}).header("Content-Encoding"), "");
    // An image is never re-encoded, so its answer does not vary.
    auto png = get("/static/icon-192.png", {{"Accept-Encoding", "br"}});
    EXPECT_EQ(png.status, 200);
    EXPECT_EQ(png.header("Content-Encoding"), "");
    EXPECT_EQ(png.header("Vary"), "");
}

TEST_F(StaticEncodingTest, AConditionalGetIsAnsweredPerEncoding) {
    const std::string path = "/static/" + script_;
    auto br = get(path, {{"Accept-Encoding", "br"}});
    const std::string tag = br.header("ETag");
    auto same = get(path, {{"Accept-Encoding", "br"}, {"If-None-Match", tag}});
    EXPECT_EQ(same.status, 304);
    EXPECT_EQ(same.header("ETag"), tag);
    EXPECT_EQ(same.header("Vary"), "Accept-Encoding");
    // The brotli copy's tag does not stand for the gzip or the plain bytes.
    auto gz = get(path, {{"Accept-Encoding", "gzip"}, {"If-None-Match", tag}});
    EXPECT_EQ(gz.status, 200);
    EXPECT_EQ(gz.header("Content-Encoding"), "gzip");
    auto plain = get(path, {{"If-None-Match", tag}});
    EXPECT_EQ(plain.status, 200);
    EXPECT_EQ(plain.header("Content-Encoding"), "");
    EXPECT_EQ(get(path, {{"If-None-Match", plain.header("ETag")}}).status, 304);
    EXPECT_EQ(get(path, {{"Accept-Encoding", "gzip"}, {"If-None-Match", gz.header("ETag")}}).status, 304);
}

TEST_F(StaticEncodingTest, HashedNamesAreImmutableAndThePagesLinkThem) {
    EXPECT_NE(mqtt_, "mqtt.min.js");
    for (const std::string& name : {script_, style_, mqtt_}) {
        EXPECT_EQ(get("/static/" + name, {{"Accept-Encoding", "br"}}).header("Cache-Control"),
                  "public, max-age=31536000, immutable")
            << name;
        EXPECT_EQ(get("/static/" + name).header("Cache-Control"), "public, max-age=31536000, immutable") << name;
    }
    // The plain name stays for what links it from outside, with a short cache.
    EXPECT_EQ(get("/static/mqtt.min.js").header("Cache-Control"), "public, max-age=300");
    server_->add_user("ann");
    testing::BrowserSession ann(server_->port());
    ASSERT_TRUE(ann.login("ann", CloudServer::kPassword));
    auto lamps = ann.get("/");
    EXPECT_NE(lamps.body.find("data-mqtt=\"/static/" + mqtt_ + "\""), std::string::npos) << lamps.body;
    EXPECT_NE(lamps.body.find("<script src=\"/static/" + script_ + "\" defer>"), std::string::npos);
    auto offline = get("/offline/");
    EXPECT_NE(offline.body.find("<script src=\"/static/" + script_ + "\" defer>"), std::string::npos) << offline.body;
    EXPECT_NE(offline.body.find("<link rel=\"stylesheet\" href=\"/static/" + style_ + "\">"), std::string::npos);
    auto login = get("/accounts/login/");
    EXPECT_NE(login.body.find("href=\"/static/" + style_ + "\""), std::string::npos);
    // The service worker keeps the names the pages load.
    const std::string worker = get("/sw.js").body;
    EXPECT_NE(worker.find("\"/static/" + script_ + "\""), std::string::npos);
    EXPECT_NE(worker.find("\"/static/" + style_ + "\""), std::string::npos);
    EXPECT_NE(worker.find("\"/static/" + mqtt_ + "\""), std::string::npos);
    EXPECT_EQ(worker.find("\"/static/lampi.js\""), std::string::npos);
}

}  // namespace
}  // namespace lampi::cloud
