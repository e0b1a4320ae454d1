#include "lampi/log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>
#include <sstream>

namespace lampi {
namespace {

TEST(LogInitFromOption, SetsTheLevelTheOptionNames) {
    ASSERT_TRUE(log::init_from_option("lampi-test", "warn"));
    EXPECT_TRUE(log::enabled(log::Level::warn));
    EXPECT_FALSE(log::enabled(log::Level::info));
    ASSERT_TRUE(log::init_from_option("lampi-test", "debug", "lampi-test[b827eb74663e]"));
    EXPECT_TRUE(log::enabled(log::Level::debug));
}

TEST(LogInitFromOption, ABadLevelIsRefusedAndSaidOnStderrWithTheProgramName) {
    ::testing::internal::CaptureStderr();
    EXPECT_FALSE(log::init_from_option("lampi-test", "loud"));
    std::string said = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(said.find("lampi-test: unknown log level \"loud\""), std::string::npos) << said;
}

// Each line of `text` parsed as a JSON object; a line that is not one fails the test.
std::vector<boost::json::object> json_lines(const std::string& text) {
    std::vector<boost::json::object> objects;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        boost::system::error_code ec;
        boost::json::value value = boost::json::parse(line, ec);
        EXPECT_FALSE(ec) << "not JSON: " << line;
        EXPECT_TRUE(!ec && value.is_object()) << "not an object: " << line;
        if (!ec && value.is_object()) objects.push_back(value.as_object());
    }
    return objects;
}

std::string text_of(const boost::json::object& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : "<missing>";
}

TEST(LogJsonFormat, EveryLineIsAnObjectWithTimeLevelProgramAndMessage) {
    ::testing::internal::CaptureStderr();
    ASSERT_TRUE(log::init_from_option("lampi-test", "debug", "lampid[b827eb74663e]", "json"));
    log::info("restored version {} from {}", 7, "/var/lib/lampi/lamp-state.json");
    log::warn("a \"quoted\" word, a back\\slash, a tab\tand a newline\nin one message");
    log::error("bytes that are not UTF-8: \xff\xfe, a cut sequence \xe2\x82 and text after");
    log::debug("accents stay: d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac");
    log::init("lampi-test");  // back to text for the other tests
    std::vector<boost::json::object> lines = json_lines(::testing::internal::GetCapturedStderr());
    ASSERT_EQ(lines.size(), 4u);
    const std::regex utc_millis(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    for (const auto& line : lines) {
        EXPECT_TRUE(std::regex_match(text_of(line, "time"), utc_millis)) << text_of(line, "time");
        EXPECT_EQ(text_of(line, "program"), "lampid[b827eb74663e]");
    }
    EXPECT_EQ(text_of(lines[0], "level"), "info");
    EXPECT_EQ(text_of(lines[0], "message"), "restored version 7 from /var/lib/lampi/lamp-state.json");
    EXPECT_EQ(text_of(lines[1], "level"), "warn");
    EXPECT_EQ(text_of(lines[1], "message"), "a \"quoted\" word, a back\\slash, a tab\tand a newline\nin one message");
    EXPECT_EQ(text_of(lines[2], "level"), "error");
    EXPECT_EQ(
        text_of(lines[2], "message"),
        "bytes that are not UTF-8: \xef\xbf\xbd\xef\xbf\xbd, a cut sequence \xef\xbf\xbd\xef\xbf\xbd and text after");
    EXPECT_EQ(text_of(lines[3], "message"), "accents stay: d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac");
}

TEST(LogJsonFormat, AnUnknownFormatIsRefusedWithTheProgramName) {
    ::testing::internal::CaptureStderr();
    EXPECT_FALSE(log::init_from_option("lampi-test", "info", {}, "xml"));
    std::string said = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(said.find("lampi-test: unknown log format \"xml\""), std::string::npos) << said;
}

}  // namespace
}  // namespace lampi
