// How failures reach users: the one code -> HTTP status mapping, and a fault on
// our side (here a database that lost a table) answered as 500 with an error id
// the user can quote, while the database's own words go only to the log.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "api/error_response.h"
#include "cloud_http_test.h"
#include "cloud_server.h"
#include "http/status_http.h"
#include "http_client.h"
#include "lampi/log.h"
#include "storage/sql.h"

namespace lampi::cloud {
namespace {

namespace json = boost::json;
using testing::BrowserSession;
using testing::CloudServer;

TEST(StatusToHttp, EachCodeHasItsStatus) {
    // One row per code, all alike on purpose: every code is listed, so a code
    // added without its HTTP status shows here.
    const std::pair<StatusCode, int> cases[] = {
        {StatusCode::ok, 200},
        {StatusCode::invalid_argument, 400},
        {StatusCode::unauthenticated, 401},
        {StatusCode::permission_denied, 403},
        {StatusCode::not_found, 404},
        {StatusCode::already_exists, 409},
        {StatusCode::failed_precondition, 409},
        {StatusCode::expired, 410},
        {StatusCode::resource_exhausted, 429},
        {StatusCode::unavailable, 503},
        {StatusCode::internal, 500},
        {StatusCode::unknown, 500},
    };
    for (const auto& [code, status] : cases) EXPECT_EQ(http::http_status_of(code), status) << status_code_name(code);
}

// The 8 hex digits after "error id " in `text`, or empty.
std::string error_id_in(const std::string& text) {
    std::smatch m;
    return std::regex_search(text, m, std::regex("error id ([0-9a-f]{8})")) ? m[1].str() : std::string();
}

TEST(PublicError, AClientMistakeKeepsItsOwnMessage) {
    api::PublicError e = api::public_error(Status::already_exists("the username 'ann' is already taken"));
    EXPECT_EQ(e.http_status, 409);
    EXPECT_EQ(e.message, "the username 'ann' is already taken");
    EXPECT_EQ(e.error_id, "");
}

TEST(PublicError, AServerFaultShowsOnlyAnIdAndLogsTheDetails) {
    log::init("error-answer-test");
    for (Status fault : {Status::internal("SQLite: disk I/O error"), Status::error("cannot open /var/lib/x")}) {
        ::testing::internal::CaptureStderr();
        api::PublicError e = api::public_error(fault);
        std::string logged = ::testing::internal::GetCapturedStderr();
        EXPECT_EQ(e.http_status, 500);
        EXPECT_EQ(e.message.find(fault.message()), std::string::npos) << e.message;
        ASSERT_EQ(e.error_id.size(), 8u);
        EXPECT_EQ(error_id_in(e.message), e.error_id) << e.message;
        EXPECT_NE(logged.find("error id " + e.error_id), std::string::npos) << logged;
        EXPECT_NE(logged.find(fault.message()), std::string::npos) << logged;
    }
    EXPECT_NE(api::public_error(Status::internal("x")).error_id, api::public_error(Status::internal("x")).error_id);
}

class ErrorAnswerTest : public CloudHttpTest {
protected:
    void start(testing::CloudServerOptions options) override {
        // Before the server: its background jobs log through the logger init() replaces.
        log::init("error-answer-test");
        CloudHttpTest::start(std::move(options));
    }
    // Breaks the database under the running server, as a lost table or a
    // half-applied migration would, through a connection of the test's own.
    void lose_table(const std::string& table) {
        auto db = storage::Database::open(url_, 1);
        ASSERT_TRUE(db) << db.status().message();
        Status s = db.value()->lease()->script("ALTER TABLE " + table + " RENAME TO " + table + "_lost");
        ASSERT_TRUE(s) << s.message();
    }
    static bool mentions_the_database(const std::string& text) {
        for (const char* word : {"SQLite", "PostgreSQL", "no such table", "relation", "_lost"})
            if (text.find(word) != std::string::npos) return true;
        return false;
    }
};

TEST_P(ErrorAnswerTest, ADatabaseFaultDuringSignUpIsA500WithAnErrorIdNotTheSqlText) {
    BrowserSession s(server_->port());
    ASSERT_EQ(s.get("/accounts/signup/").status, 200);
    lose_table("users");
    ::testing::internal::CaptureStderr();
    auto r = s.sign_up("newcomer", "long enough 1", "long enough 1");
    std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(r.status, 500) << r.body;
    EXPECT_FALSE(mentions_the_database(r.body)) << r.body;
    std::string id = error_id_in(r.body);
    ASSERT_FALSE(id.empty()) << r.body;
    EXPECT_NE(r.body.find("quote this id"), std::string::npos) << r.body;
    // The operator finds the details by the id the user quotes.
    std::size_t line = logged.find("error id " + id);
    ASSERT_NE(line, std::string::npos) << logged;
    std::string log_line = logged.substr(line, logged.find('\n', line) - line);
    EXPECT_TRUE(mentions_the_database(log_line)) << log_line;
}

TEST_P(ErrorAnswerTest, ATakenUsernameIsStillTheFormAgainWithTheReason) {
    server_->add_user("alice");
    BrowserSession s(server_->port());
    s.get("/accounts/signup/");
    auto r = s.sign_up("alice", "long enough 1", "long enough 1");
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("already taken"), std::string::npos) << r.body;
    EXPECT_TRUE(error_id_in(r.body).empty()) << r.body;
}

TEST_P(ErrorAnswerTest, ADatabaseFaultInTheJsonApiCarriesTheErrorIdInItsBody) {
    server_->add_user("alice");
    BrowserSession s(server_->port());
    ASSERT_TRUE(s.login("alice", CloudServer::kPassword));
    lose_table("lamps");
    ::testing::internal::CaptureStderr();
    auto r = s.get("/api/v1/lamps");
    std::string logged = ::testing::internal::GetCapturedStderr();
    ASSERT_EQ(r.status, 500) << r.body;
    EXPECT_FALSE(mentions_the_database(r.body)) << r.body;
    boost::system::error_code ec;
    json::value body = json::parse(r.body, ec);
    ASSERT_FALSE(ec) << r.body;
    const json::object& o = body.as_object();
    ASSERT_TRUE(o.contains("error_id")) << r.body;
    std::string id(o.at("error_id").as_string());
    EXPECT_EQ(error_id_in(std::string(o.at("error").as_string())), id);
    EXPECT_NE(logged.find("error id " + id), std::string::npos) << logged;
}

INSTANTIATE_TEST_SUITE_P(Backends, ErrorAnswerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace lampi::cloud
