// A program's start with --password-file: what it logs into the broker with, or
// the exit code it ends with.
#include <gtest/gtest.h>

#include "lampi/files.h"
#include "lampi/mqtt_client.h"
#include "process.h"

namespace lampi {
namespace {

std::string secret_file(const testing::TempDir& dir, const std::string& content) {
    std::string path = dir / "password";
    EXPECT_TRUE(write_file_atomically(path, content, 0600));
    return path;
}

TEST(PasswordFileAtStart, NoFileLeavesTheOptionsAsTheyAre) {
    MqttOptions options;
    options.password = "given";
    EXPECT_EQ(read_password_file_at_start(options, ""), std::nullopt);
    EXPECT_EQ(options.password, "given");
}

TEST(PasswordFileAtStart, AReadableFileSetsThePassword) {
    testing::TempDir dir;
    MqttOptions options;
    options.username = "lamp";
    EXPECT_EQ(read_password_file_at_start(options, secret_file(dir, "s3cret\n")), std::nullopt);
    EXPECT_EQ(options.password, "s3cret");
}

TEST(PasswordFileAtStart, AFileWithoutAUsernameIsAUsageError) {
    testing::TempDir dir;
    MqttOptions options;
    EXPECT_EQ(read_password_file_at_start(options, secret_file(dir, "s3cret\n")), 2);
}

TEST(PasswordFileAtStart, AFileThatCannotBeReadEndsTheProgramWithOne) {
    testing::TempDir dir;
    MqttOptions options;
    options.username = "lamp";
    EXPECT_EQ(read_password_file_at_start(options, dir / "missing"), 1);
    EXPECT_TRUE(options.password.empty());
}

}  // namespace
}  // namespace lampi
