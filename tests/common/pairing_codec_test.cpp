// The pairing prompt and answer payloads (lampi-ble <-> lampi-ui), against
// JSON written out by hand.
#include "lampi/pairing_codec.h"

#include <gtest/gtest.h>

namespace lampi {
namespace {

TEST(PairingCodec, APromptCarriesTheZeroPaddedPasskeyAndComesBackTheSame) {
    PairingPrompt p{"ab12-1", false, 4321, "device 44:55", std::chrono::milliseconds(30'000)};
    EXPECT_EQ(encode_pairing_prompt(p),
              R"({"id":"ab12-1","passkey":"004321","label":"device 44:55","expires_in_ms":30000})");
    Result<PairingPrompt> back = decode_pairing_prompt(encode_pairing_prompt(p));
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(back->id, "ab12-1");
    EXPECT_FALSE(back->withdrawn);
    EXPECT_EQ(back->passkey, 4321u);
    EXPECT_EQ(back->label, "device 44:55");
    EXPECT_EQ(back->expires_in, std::chrono::milliseconds(30'000));
}

TEST(PairingCodec, AWithdrawalNamesOnlyThePrompt) {
    PairingPrompt w;
    w.id = "ab12-1";
    w.withdrawn = true;
    EXPECT_EQ(encode_pairing_prompt(w), R"({"id":"ab12-1","withdrawn":true})");
    Result<PairingPrompt> back = decode_pairing_prompt(R"({"id":"ab12-1","withdrawn":true})");
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->withdrawn);
}

TEST(PairingCodec, BadPromptsAreRefused) {
    for (const char* bad :
         {"", "[]", "{}", R"({"id":""})", R"({"id":"a","passkey":"12345","label":"x","expires_in_ms":1})",
          R"({"id":"a","passkey":"12345a","label":"x","expires_in_ms":1})",
          R"({"id":"a","passkey":123456,"label":"x","expires_in_ms":1})",
          R"({"id":"a","passkey":"123456","expires_in_ms":1})",
          R"({"id":"a","passkey":"123456","label":"x","expires_in_ms":0})",
          R"({"id":"a","passkey":"123456","label":"x","expires_in_ms":"1"})"})
        EXPECT_FALSE(decode_pairing_prompt(bad)) << bad;
}

TEST(PairingCodec, AnswersAreAllowOrDenyForANamedPrompt) {
    EXPECT_EQ(encode_pairing_answer({"ab12-1", true}), R"({"id":"ab12-1","answer":"allow"})");
    EXPECT_EQ(encode_pairing_answer({"ab12-1", false}), R"({"id":"ab12-1","answer":"deny"})");
    Result<PairingAnswer> a = decode_pairing_answer(R"({"answer":"deny","id":"x"})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, "x");
    EXPECT_FALSE(a->allow);
    for (const char* bad : {"", "null", R"({"id":"x"})", R"({"id":"x","answer":"yes"})", R"({"id":"x","answer":true})",
                            R"({"id":7,"answer":"allow"})", R"({"answer":"allow"})"})
        EXPECT_FALSE(decode_pairing_answer(bad)) << bad;
}

TEST(PairingCodec, ThePasskeyIsAlwaysSixDigits) {
    EXPECT_EQ(passkey_digits(0), "000000");
    EXPECT_EQ(passkey_digits(999999), "999999");
}

}  // namespace
}  // namespace lampi
