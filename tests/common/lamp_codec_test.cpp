#include "lampi/lamp_codec.h"

#include <gtest/gtest.h>

#include "lamp_states.h"

namespace lampi {
namespace {

void expect_number(const std::optional<double>& got, const std::optional<double>& expected, const char* field) {
    ASSERT_EQ(got.has_value(), expected.has_value()) << field << (expected ? " is missing" : " should be missing");
    if (expected) {
        EXPECT_DOUBLE_EQ(*got, *expected) << field;
    }
}

// Every field of `got` against `expected`, a missing one included; a failure
// names its field.
void expect_update(const LampUpdate& got, const LampUpdate& expected) {
    EXPECT_EQ(got.on, expected.on) << "on";
    expect_number(got.hue, expected.hue, "hue");
    expect_number(got.saturation, expected.saturation, "saturation");
    expect_number(got.brightness, expected.brightness, "brightness");
    EXPECT_EQ(got.client, expected.client) << "client";
    EXPECT_EQ(got.sent_at, expected.sent_at) << "sent_at";
}

TEST(DecodeSetConfig, ReadsAnySubsetOfFields) {
    auto decoded = decode_set_config(R"({"color": {"h": 0.5}, "client": "web"})");
    ASSERT_TRUE(decoded) << decoded.status().message();
    LampUpdate expected;  // every other field must stay missing
    expected.hue = 0.5;
    expected.client = "web";
    expect_update(decoded->update, expected);
    EXPECT_TRUE(decoded->warnings.empty());
}

TEST(DecodeSetConfig, ClampsOutOfRangeNumbersWithAWarning) {
    auto decoded = decode_set_config(R"({"brightness": 1.5, "color": {"s": -2}})");
    ASSERT_TRUE(decoded);
    EXPECT_DOUBLE_EQ(*decoded->update.brightness, 1.0);
    EXPECT_DOUBLE_EQ(*decoded->update.saturation, 0.0);
    EXPECT_EQ(decoded->warnings.size(), 2u);
}

TEST(DecodeSetConfig, IgnoresUnknownFieldsAndKeepsEveryKnownOne) {
    auto decoded = decode_set_config(
        R"({"on": true, "flash": "yes", "color": {"h": 0.1, "x": 3, "s": 0.2}, "brightness": 0.3, "client": "web", "z": [1]})");
    ASSERT_TRUE(decoded) << decoded.status().message();
    expect_update(
        decoded->update,
        {.on = true, .hue = 0.1, .saturation = 0.2, .brightness = 0.3, .client = "web", .sent_at = std::nullopt});
    EXPECT_TRUE(decoded->warnings.empty());
}

TEST(DecodeSetConfig, RejectsBadInputWithAReadableReason) {
    struct Case {
        const char* payload;
        const char* reason;
    };
    const Case cases[] = {
        {"", "malformed JSON"},
        {"{\"on\": true", "malformed JSON"},
        {"[1,2]", "must be a JSON object"},
        {"{\"on\": \"yes\"}", "\"on\" must be true or false"},
        {"{\"on\": 1}", "\"on\" must be true or false"},
        {"{\"brightness\": \"max\"}", "\"brightness\" must be a number"},
        {"{\"brightness\": 1e999}", "brightness"},
        {"{\"color\": 3}", "\"color\" must be an object"},
        {"{\"color\": {\"h\": null}}", "\"color.h\" must be a number"},
        {"{\"client\": 42}", "\"client\" must be a string"},
        {"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}", "malformed JSON"},
    };
    for (const Case& c : cases) {
        ASSERT_FALSE(std::string_view(c.reason).empty()) << "an empty reason would match any message";
        auto decoded = decode_set_config(c.payload);
        EXPECT_FALSE(decoded) << c.payload;
        EXPECT_NE(decoded.status().message().find(c.reason), std::string::npos)
            << c.payload << " -> " << decoded.status().message();
    }
}

TEST(DecodeSetConfig, AClientNameLongerThan128CharactersIsRejected) {
    auto at_limit = decode_set_config("{\"client\": \"" + std::string(128, 'c') + "\"}");
    ASSERT_TRUE(at_limit) << at_limit.status().message();
    auto over = decode_set_config("{\"client\": \"" + std::string(129, 'c') + "\"}");
    ASSERT_FALSE(over);
    EXPECT_NE(over.status().message().find("\"client\" is longer than 128"), std::string::npos)
        << over.status().message();
}

TEST(DecodeSetConfig, RejectsOversizedPayloads) {
    std::string huge = "{\"client\": \"" + std::string(kMaxPayloadBytes, 'x') + "\"}";
    auto decoded = decode_set_config(huge);
    ASSERT_FALSE(decoded);
    EXPECT_NE(decoded.status().message().find("exceeds"), std::string::npos);
}

using testing::lamp_state;

TEST(Changed, RoundTripsTheFullState) {
    const LampState state = lamp_state(true, 0.125, 0.75, 0.5, "cloud", 123456789012ull);
    auto decoded = decode_changed(encode_changed(state));
    ASSERT_TRUE(decoded) << decoded.status().message();
    EXPECT_TRUE(decoded->same_settings(state));
    EXPECT_EQ(decoded->client, "cloud");
    EXPECT_EQ(decoded->version, state.version);
}

TEST(Changed, ReadsAsPeopleWriteNumbersAndEscapesTheClient) {
    const LampState state = lamp_state(true, 0.5, 1.0, 0.0, "say \"hi\" \\ é", 3);
    std::string payload = encode_changed(state);
    EXPECT_EQ(payload, R"({"on":true,"color":{"h":0.5,"s":1},"brightness":0,"client":"say \"hi\" \\ é","version":3})");
    auto decoded = decode_changed(payload);
    ASSERT_TRUE(decoded) << decoded.status().message();
    EXPECT_EQ(decoded->client, state.client);
}

TEST(Changed, NeedsEveryField) {
    EXPECT_FALSE(decode_changed(R"({"on": true, "brightness": 1})"));
    EXPECT_FALSE(decode_changed(R"({"on":true,"color":{"h":0,"s":0},"brightness":1,"version":-1})"));
}

TEST(SetConfig, EncodesOnlyTheGivenFields) {
    LampUpdate update;
    update.hue = 0.5;
    update.on = false;
    auto decoded = decode_set_config(encode_set_config(update));
    ASSERT_TRUE(decoded);
    expect_update(decoded->update, update);
}

TEST(SetConfig, SentAtIsAnOptionalMillisecondTimestamp) {
    auto decoded = decode_set_config(R"({"on": true, "sent_at": 1796076000123})");
    ASSERT_TRUE(decoded) << decoded.status().message();
    EXPECT_EQ(decoded->update.sent_at, 1'796'076'000'123);
    EXPECT_FALSE(decode_set_config(R"({"on": true})")->update.sent_at);
    EXPECT_FALSE(decode_set_config(R"({"on": true, "sent_at": -1})"));
    EXPECT_FALSE(decode_set_config(R"({"on": true, "sent_at": "now"})"));
    EXPECT_FALSE(decode_set_config(R"({"on": true, "sent_at": 1.5})"));
    EXPECT_FALSE(decode_set_config(R"({"on": true, "sent_at": 18446744073709551615})"));
    LampUpdate update;
    update.on = true;
    update.sent_at = 42;
    EXPECT_EQ(decode_set_config(encode_set_config(update))->update.sent_at, 42);
}

TEST(Changed, ChangedAtRoundTripsAndIsOptional) {
    LampState state;
    state.version = 3;
    EXPECT_EQ(encode_changed(state).find("changed_at"), std::string::npos);
    state.changed_at = 1'796'076'000'123;
    auto decoded = decode_changed(encode_changed(state));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->changed_at, 1'796'076'000'123);
    EXPECT_EQ(decoded->version, 3u);
}

TEST(Health, RoundTripsWithAndWithoutALiveState) {
    LampHealth healthy;
    auto decoded = decode_health(encode_health(healthy));
    ASSERT_TRUE(decoded) << decoded.status().message();
    EXPECT_TRUE(decoded->durable);
    EXPECT_TRUE(decoded->led);
    EXPECT_FALSE(decoded->live);
    EXPECT_EQ(encode_health(healthy), R"({"durable":true,"led":true})");

    LampHealth faulty;
    faulty.durable = false;
    faulty.error = "cannot create /var/lib/lampi/lamp-state.json.tmp: Permission denied";
    faulty.live = LampState{};
    faulty.live->on = true;
    faulty.live->client = "page";
    faulty.live->version = 99;
    std::string payload = encode_health(faulty);
    EXPECT_EQ(payload.find("version"), std::string::npos) << "an unsaved state has no version";
    decoded = decode_health(payload);
    ASSERT_TRUE(decoded) << decoded.status().message();
    EXPECT_FALSE(decoded->durable);
    EXPECT_EQ(decoded->error, faulty.error);
    ASSERT_TRUE(decoded->live);
    EXPECT_TRUE(decoded->live->on);
    EXPECT_EQ(decoded->live->client, "page");
    EXPECT_FALSE(decode_health(R"({"durable": "no", "led": true})"));
}

}  // namespace
}  // namespace lampi

namespace lampi {
namespace {

TEST(Association, TheLampsOfferRoundTrips) {
    auto offer = decode_association(encode_association_offer("482913", 600));
    ASSERT_TRUE(offer) << offer.status().message();
    EXPECT_EQ(offer->code, "482913");
    EXPECT_EQ(offer->expires_in, 600);
    EXPECT_FALSE(offer->claimed);
}

TEST(Association, TheCloudsAnswerRoundTrips) {
    EXPECT_EQ(encode_association_answer(true), R"({"claimed":true})");
    for (bool claimed : {true, false}) {
        auto answer = decode_association(encode_association_answer(claimed));
        ASSERT_TRUE(answer) << answer.status().message();
        EXPECT_EQ(answer->claimed, claimed);
        EXPECT_FALSE(answer->code);
        EXPECT_FALSE(answer->expires_in);
    }
}

TEST(Association, ExpiresInIsANonNegativeInteger) {
    EXPECT_FALSE(decode_association(R"({"claimed": false, "code": "482913", "expires_in": "600"})"));
    EXPECT_FALSE(decode_association(R"({"claimed": false, "code": "482913", "expires_in": -1})"));
    EXPECT_FALSE(decode_association(R"({"claimed": false, "code": "482913", "expires_in": 1.5})"));
    EXPECT_EQ(decode_association(R"({"claimed": false, "code": "482913", "expires_in": 0})")->expires_in, 0);
}

TEST(Association, TheCloudsAnswerCarriesNoCode) {
    auto answer = decode_association(R"({"claimed": true})");
    ASSERT_TRUE(answer);
    EXPECT_TRUE(answer->claimed);
    EXPECT_FALSE(answer->code);
    EXPECT_FALSE(decode_association(R"({"code": "1"})"));
    EXPECT_FALSE(decode_association(R"({"claimed": "yes"})"));
    EXPECT_FALSE(decode_association(R"({"claimed": false, "code": 7})"));
}

}  // namespace
}  // namespace lampi
