#include "lampi/device_id.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "process.h"

namespace lampi {
namespace {

// One EXPECT a case, like the other validity tests: a failure names its input.
TEST(DeviceId, AcceptsTwelveLowercaseHexDigitsOnly) {
    EXPECT_TRUE(is_valid_device_id("b827eb74663e"));
    EXPECT_FALSE(is_valid_device_id("B827EB74663E"));
    EXPECT_FALSE(is_valid_device_id("b827eb74663"));
    EXPECT_FALSE(is_valid_device_id("b827eb74663g"));
    EXPECT_FALSE(is_valid_device_id("../../etc/pa"));
}

TEST(DeviceId, NormalizesMacNotation) {
    EXPECT_EQ(*normalize_device_id("B8:27:EB:74:66:3E"), "b827eb74663e");
    EXPECT_EQ(*normalize_device_id("b8-27-eb-74-66-3e"), "b827eb74663e");
    auto bad = normalize_device_id("lamp#1");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.status().message().find("12 hex digits"), std::string::npos);
}

TEST(DeviceId, ComesFromTheFirstRealInterfaceMac) {
    testing::TempDir net;
    for (auto [name, mac] : {std::pair{"lo", "00:00:00:00:00:00"}, std::pair{"wlan0", "b8:27:eb:00:00:02"},
                             std::pair{"eth0", "B8:27:EB:74:66:3E"}}) {
        std::filesystem::create_directories(net / name);
        testing::write_file(net / name + "/address", std::string(mac) + "\n");
    }
    EXPECT_EQ(*device_id_from_mac(net.path()), "b827eb74663e");
}

TEST(DeviceId, IsTwelveLowercaseHexDigitsOfANumberAndBack) {
    EXPECT_EQ(device_id_from_number(0xb827eb74663e), "b827eb74663e");
    EXPECT_EQ(device_id_from_number(0x020000000001), "020000000001");
    EXPECT_EQ(device_id_from_number(7), "000000000007");
    EXPECT_EQ(device_id_from_number(0x1'0000'0000'0005), "000000000005") << "only the low 48 bits";
    EXPECT_EQ(device_id_number("b827eb74663e"), 0xb827eb74663eULL);
    EXPECT_EQ(device_id_number("000000000000"), 0u);
    EXPECT_FALSE(device_id_number("B827EB74663E"));
    EXPECT_FALSE(device_id_number("b827eb74663"));
}

TEST(DeviceId, SaysWhatToDoWithoutAnInterface) {
    testing::TempDir net;
    auto id = device_id_from_mac(net.path());
    ASSERT_FALSE(id);
    EXPECT_NE(id.status().message().find("--device-id"), std::string::npos);
}

}  // namespace
}  // namespace lampi
