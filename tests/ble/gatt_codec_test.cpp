// The GATT encoding (src/ble/gatt_codec.h): byte layouts checked against bytes
// written out by hand, not against the encoder itself.
#include <gtest/gtest.h>

#include <set>

#include "gatt_codec.h"
#include "lamp_states.h"

namespace lampi::ble {
namespace {

using Bytes = std::vector<std::uint8_t>;

using testing::lamp_state;

TEST(GattCodec, EncodesLittleEndianSixteenBitFractions) {
    LampState s = lamp_state(true, 0.5, 1.0, 0.25);
    // 0.5 * 65535 = 32767.5 -> 32768 = 0x8000; 1.0 -> 0xffff; 0.25 -> 16383.75 -> 16384 = 0x4000.
    EXPECT_EQ(encode(Characteristic::colour, s, ""), (Bytes{0x00, 0x80, 0xff, 0xff}));
    EXPECT_EQ(encode(Characteristic::brightness, s, ""), (Bytes{0x00, 0x40}));
    EXPECT_EQ(encode(Characteristic::power, s, ""), Bytes{0x01});
    EXPECT_EQ(encode(Characteristic::power, lamp_state(false, 0, 0, 0), ""), Bytes{0x00});
    EXPECT_EQ(encode(Characteristic::device_id, s, "b827eb74663e"),
              (Bytes{'b', '8', '2', '7', 'e', 'b', '7', '4', '6', '6', '3', 'e'}));
}

TEST(GattCodec, DecodesWritesIntoTheUpdateTheyAskFor) {
    DecodedWrite colour = decode_write(Characteristic::colour, Bytes{0xff, 0xff, 0x00, 0x40});
    ASSERT_TRUE(colour.update) << colour.refusal->message;
    EXPECT_DOUBLE_EQ(*colour.update->hue, 1.0);
    EXPECT_NEAR(*colour.update->saturation, 0.25, 1.0 / 65535);
    EXPECT_FALSE(colour.update->brightness || colour.update->on) << "a colour write touches only the colour";

    DecodedWrite brightness = decode_write(Characteristic::brightness, Bytes{0x00, 0x00});
    ASSERT_TRUE(brightness.update);
    EXPECT_DOUBLE_EQ(*brightness.update->brightness, 0.0);
    EXPECT_FALSE(brightness.update->hue || brightness.update->on);

    DecodedWrite on = decode_write(Characteristic::power, Bytes{0x01});
    ASSERT_TRUE(on.update && on.update->on);
    EXPECT_TRUE(*on.update->on);
    DecodedWrite off = decode_write(Characteristic::power, Bytes{0x00});
    ASSERT_TRUE(off.update && off.update->on);
    EXPECT_FALSE(*off.update->on);
}

TEST(GattCodec, RefusesBadWritesWithTheBluezErrorForTheRightAttError) {
    struct Case {
        const char* what;
        Characteristic c;
        Bytes value;
        std::uint16_t offset;
        std::string_view error;
        std::string_view message;  // checked only when not empty
    };
    const Case cases[] = {
        {"colour too short", Characteristic::colour, {0x01, 0x02, 0x03}, 0, kInvalidValueLength, ""},
        {"colour too long", Characteristic::colour, {1, 2, 3, 4, 5}, 0, kInvalidValueLength, ""},
        {"brightness empty", Characteristic::brightness, {}, 0, kInvalidValueLength, ""},
        {"power two bytes", Characteristic::power, {0x01, 0x00}, 0, kInvalidValueLength, ""},
        {"power 2", Characteristic::power, {0x02}, 0, kFailed, kOutOfRangeCode},
        {"power 255", Characteristic::power, {0xff}, 0, kFailed, kOutOfRangeCode},
        {"brightness at offset 1", Characteristic::brightness, {0x00}, 1, kInvalidOffset, ""},
        {"device id", Characteristic::device_id, Bytes(12, '0'), 0, kNotPermitted, ""},
    };
    for (const Case& c : cases) {
        DecodedWrite d = decode_write(c.c, c.value, c.offset);
        ASSERT_TRUE(d.refusal) << c.what << " was accepted";
        EXPECT_FALSE(d.update) << c.what;
        EXPECT_EQ(d.refusal->error_name, c.error) << c.what;
        if (!c.message.empty()) {
            EXPECT_EQ(d.refusal->message, c.message) << c.what;
        }
    }
}

TEST(GattCodec, EveryCharacteristicHasItsOwnUuidUnderTheService) {
    std::set<std::string_view> seen;
    for (Characteristic c : kCharacteristics) {
        std::string_view uuid = uuid_of(c);
        EXPECT_EQ(uuid.size(), 36u);
        EXPECT_EQ(uuid.substr(0, 24), kServiceUuid.substr(0, 24)) << name_of(c);
        EXPECT_TRUE(seen.insert(uuid).second) << name_of(c) << " shares its UUID";
        EXPECT_NE(uuid, kServiceUuid);
    }
}

}  // namespace
}  // namespace lampi::ble
