#include "lampi/base64.h"

#include <gtest/gtest.h>

#include <utility>

namespace lampi {
namespace {

// RFC 4648, section 10: bytes and their text.
const std::pair<const char*, const char*> kRfcVectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, EncodesTheRfcsTestVectors) {
    for (auto [bytes, text] : kRfcVectors) EXPECT_EQ(base64_encode(bytes), text) << '"' << bytes << '"';
}

TEST(Base64, DecodesTheRfcsTestVectorsAndEveryByte) {
    for (auto [bytes, text] : kRfcVectors) EXPECT_EQ(base64_decode(text), bytes) << '"' << text << '"';
    std::string every_byte;
    for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
    for (std::size_t n = 0; n <= every_byte.size(); n += 37) {
        std::string bytes = every_byte.substr(0, n);
        EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << n << " bytes";
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << n << " bytes";
    }
}

TEST(Base64, RefusesAnythingButTheOneTextOfItsBytes) {
    for (const char* text :
         {"Zg=", "Zg", "Zh==", "Zm9=", " Zg==", "Zg==\n", "Zm 9v", "Z=g=", "====", "Zm9v====", "Zm-_", "Zm9v\x80"}) {
        EXPECT_EQ(base64_decode(text), std::nullopt) << '"' << text << '"';
    }
    EXPECT_EQ(base64_decode(std::string_view("Zm9v\0AAA", 8)), std::nullopt);
}

TEST(Base64Url, UsesTheUrlAlphabetWithoutPadding) {
    // 0xfb 0xff is "+/8=" in the standard alphabet.
    EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
    EXPECT_EQ(base64url_decode(""), "");
}

TEST(Base64Url, RefusesTheStandardAlphabetPaddingAndStrayBits) {
    for (const char* text : {"+_8", "-/8", "Zg==", "Zg=", "Z", "Zh", "Zm9vYg=", "Zm 9"}) {
        EXPECT_EQ(base64url_decode(text), std::nullopt) << '"' << text << '"';
    }
}

}  // namespace
}  // namespace lampi
