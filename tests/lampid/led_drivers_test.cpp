#include "hardware/led_drivers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <thread>
#include <vector>

#include "process.h"

namespace lampi::lampid {
namespace {

TEST(SimulatedLed, WritesTheDutyWhereTestsCanReadIt) {
    testing::TempDir dir;
    SimulatedLed led(dir / "duty");
    ASSERT_TRUE(led.set_duty({1.0, 0.5, 0.0}));
    EXPECT_EQ(testing::read_file(dir / "duty"), "1.000000 0.500000 0.000000\n");
    EXPECT_DOUBLE_EQ(led.current().green, 0.5);
}

// A fake /sys/class/pwm/pwmchip0 tree: the channel directories exist already,
// as they would after udev handled the export.
class SysfsPwmTest : public ::testing::Test {
protected:
    void SetUp() override {
        chip = dir / "pwmchip0";
        for (int ch : {0, 1, 2}) std::filesystem::create_directories(chip + "/pwm" + std::to_string(ch));
        testing::write_file(chip + "/export", "");
    }
    std::string attribute(int channel, const char* name) {
        return testing::read_file(chip + "/pwm" + std::to_string(channel) + "/" + name);
    }
    testing::TempDir dir;
    std::string chip;
};

TEST_F(SysfsPwmTest, ConfiguresPeriodAndEnablesEachChannel) {
    const int channels[3] = {0, 1, 2};
    auto led = SysfsPwmLed::open(chip, channels, 1'000'000);
    ASSERT_TRUE(led) << led.status().message();
    for (int ch : channels) {
        EXPECT_EQ(attribute(ch, "period"), "1000000");
        EXPECT_EQ(attribute(ch, "enable"), "1");
    }
    ASSERT_TRUE((*led)->set_duty({1.0, 0.25, 0.0}));
    EXPECT_EQ(attribute(0, "duty_cycle"), "1000000");
    EXPECT_EQ(attribute(1, "duty_cycle"), "250000");
    EXPECT_EQ(attribute(2, "duty_cycle"), "0");
}

TEST_F(SysfsPwmTest, AMissingChipSaysWhatToDo) {
    const int channels[3] = {0, 1, 2};
    auto led = SysfsPwmLed::open(dir / "nochip", channels, 1'000'000);
    ASSERT_FALSE(led);
    EXPECT_NE(led.status().message().find("--backend simulated"), std::string::npos);
}

// Speaks pigpiod's 16-byte command protocol on a loopback port and records the
// commands, answering each with result 0.
class PigpiodPeer {
public:
    PigpiodPeer() {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        ::listen(listener_, 1);
        thread_ = std::thread([this] {
            int conn = ::accept(listener_, nullptr, nullptr);
            std::uint32_t cmd[4];
            while (::recv(conn, cmd, sizeof cmd, MSG_WAITALL) == sizeof cmd) {
                commands_.push_back({cmd[0], cmd[1], cmd[2]});
                std::uint32_t reply[4] = {cmd[0], cmd[1], cmd[2], 0};
                ::send(conn, reply, sizeof reply, MSG_NOSIGNAL);
            }
            ::close(conn);
        });
    }
    ~PigpiodPeer() {
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        if (thread_.joinable()) thread_.join();
    }
    int port() const { return port_; }
    std::vector<std::vector<std::uint32_t>> commands_;
    std::thread thread_;

private:
    int listener_;
    int port_;
};

TEST(PigpiodLed, SetsModeRangeThenPwmPerPin) {
    PigpiodPeer peer;
    const int pins[3] = {19, 26, 13};
    {
        auto led = PigpiodLed::open("127.0.0.1", peer.port(), pins);
        ASSERT_TRUE(led) << led.status().message();
        ASSERT_TRUE((*led)->set_duty({1.0, 0.5, 0.0}));
    }
    peer.thread_.join();
    ASSERT_EQ(peer.commands_.size(), 9u);
    EXPECT_EQ(peer.commands_[0], (std::vector<std::uint32_t>{0, 19, 1}));     // MODES output
    EXPECT_EQ(peer.commands_[1], (std::vector<std::uint32_t>{6, 19, 1000}));  // PRS range
    EXPECT_EQ(peer.commands_[6], (std::vector<std::uint32_t>{5, 19, 1000}));  // PWM red full
    EXPECT_EQ(peer.commands_[7], (std::vector<std::uint32_t>{5, 26, 500}));
    EXPECT_EQ(peer.commands_[8], (std::vector<std::uint32_t>{5, 13, 0}));
}

TEST(PigpiodLed, NoDaemonIsAClearError) {
    const int pins[3] = {19, 26, 13};
    auto led = PigpiodLed::open("127.0.0.1", testing::free_port(), pins);
    ASSERT_FALSE(led);
    EXPECT_NE(led.status().message().find("is pigpiod running?"), std::string::npos);
}

TEST(MakeLedDriver, UnknownBackendIsRefused) {
    LedDriverOptions options;
    options.backend = "laser";
    auto driver = make_led_driver(options);
    ASSERT_FALSE(driver);
    EXPECT_NE(driver.status().message().find("simulated, sysfs-pwm or pigpiod"), std::string::npos);
}

}  // namespace
}  // namespace lampi::lampid
