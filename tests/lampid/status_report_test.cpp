// The operator's status file: what lampid writes, how often, and what
// `lampid status` makes of it (words and exit code).
#include "status_report.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "lampid_fakes.h"
#include "process.h"

namespace lampi::lampid {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'796'076'000'000;

LampStatus well() {
    LampStatus s;
    s.device_id = "b827eb74663e";
    s.pid = 4242;
    s.started_at_ms = kNow - 3'600'000;
    s.broker = "127.0.0.1:1883";
    s.broker_connected = true;
    s.broker_since_ms = kNow - 3'000'000;
    s.cloud_linked = true;
    s.cloud_since_ms = kNow - 2'000'000;
    s.claimed = true;
    s.version = 17;
    s.activity.last_command = LastCommand{kNow - 5'000, "page", "applied", ""};
    s.activity.last_save = LastSave{kNow - 4'900, 17, true, ""};
    s.stats.applied = 9;
    s.stats.ignored = 2;
    s.stats.rejected = 1;
    s.stats.stale = 3;
    s.stats.commits = 8;
    s.stats.failed_saves = 0;
    return s;
}

bool mentions(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

TEST(LampStatusFile, EveryFieldSurvivesTheFile) {
    LampStatus s = well();
    s.health.durable = false;
    s.health.led = false;
    s.health.error = "disk full";
    s.activity.last_command = LastCommand{kNow - 1, "", "rejected", "malformed JSON"};
    s.activity.last_save = LastSave{kNow - 2, 16, false, "No space left on device"};
    s.stopped_at_ms = kNow;
    s.running = false;
    Result<LampStatus> back = decode_status(encode_status(s));
    ASSERT_TRUE(back) << back.status().message();
    EXPECT_EQ(encode_status(*back), encode_status(s));
    EXPECT_FALSE(back->running);
    EXPECT_EQ(back->stopped_at_ms, kNow);
    EXPECT_EQ(back->pid, 4242);
    EXPECT_EQ(back->cloud_linked, std::optional<bool>(true));
    EXPECT_EQ(back->activity.last_save->error, "No space left on device");
    EXPECT_EQ(back->stats.stale, 3u);
    EXPECT_EQ(back->stats.ignored, 2u);

    s.cloud_linked.reset();
    back = decode_status(encode_status(s));
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->cloud_linked.has_value()) << "an unknown bridge state must not read as linked or not";
}

TEST(LampStatusFile, AFileNotWrittenByLampidIsRefusedWithWhy) {
    for (std::string_view bad : {"", "[1]", R"({"pid": 12})", R"({"device_id": "x"})", "{not json"}) {
        Result<LampStatus> s = decode_status(bad);
        ASSERT_FALSE(s) << bad;
        EXPECT_FALSE(s.status().message().empty());
    }
}

TEST(LampStatusVerdict, AWellLampExitsZeroAndSaysWhatItSaw) {
    StatusVerdict v = describe_status(well(), kNow, true);
    EXPECT_EQ(v.exit_code, 0) << v.text;
    EXPECT_TRUE(mentions(v.text, "running (pid 4242")) << v.text;
    EXPECT_TRUE(mentions(v.text, "connected to 127.0.0.1:1883")) << v.text;
    EXPECT_TRUE(mentions(v.text, "cloud          linked")) << v.text;
    EXPECT_TRUE(mentions(v.text, "from page: applied")) << v.text;
    EXPECT_TRUE(mentions(v.text, "last save      version 17")) << v.text;
    EXPECT_TRUE(mentions(v.text, "5 s ago")) << v.text;
    EXPECT_TRUE(mentions(v.text, "9 applied, 2 unchanged, 1 rejected, 3 stale; 8 saves, 0 failed")) << v.text;
    EXPECT_TRUE(mentions(v.text, "claimed by a user")) << v.text;
}

TEST(LampStatusVerdict, EachFaultExitsOneAndIsNamed) {
    LampStatus no_broker = well();
    no_broker.broker_connected = false;
    LampStatus no_save = well();
    no_save.health.durable = false;
    no_save.health.error = "cannot write: Read-only file system";
    LampStatus no_led = well();
    no_led.health.led = false;
    for (const auto& [status, words] :
         {std::pair{no_broker, "NOT connected"}, std::pair{no_save, "saving         FAILING"},
          std::pair{no_led, "LED            FAILING"}}) {
        StatusVerdict v = describe_status(status, kNow, true);
        EXPECT_EQ(v.exit_code, 1) << v.text;
        EXPECT_TRUE(mentions(v.text, words)) << v.text;
    }
    EXPECT_TRUE(mentions(describe_status(no_save, kNow, true).text, "Read-only file system"));
}

TEST(LampStatusVerdict, ACloudLinkDownIsShownButIsNoFaultOfTheLamp) {
    LampStatus s = well();
    s.cloud_linked = false;
    StatusVerdict v = describe_status(s, kNow, true);
    EXPECT_EQ(v.exit_code, 0) << v.text;
    EXPECT_TRUE(mentions(v.text, "not linked")) << v.text;
}

TEST(LampStatusVerdict, AStoppedOrVanishedLampidExitsThree) {
    LampStatus stopped = well();
    stopped.running = false;
    stopped.broker_connected = false;
    stopped.stopped_at_ms = kNow - 180'000;
    StatusVerdict v = describe_status(stopped, kNow, false);
    EXPECT_EQ(v.exit_code, 3) << v.text;
    EXPECT_TRUE(mentions(v.text, "stopped")) << v.text;
    EXPECT_TRUE(mentions(v.text, "3 min ago")) << v.text;

    v = describe_status(well(), kNow, false);
    EXPECT_EQ(v.exit_code, 3) << v.text;
    EXPECT_TRUE(mentions(v.text, "crashed or was killed")) << v.text;
}

class StatusFileTest : public ::testing::Test {
protected:
    std::string written() const { return testing::read_file(path); }
    testing::TempDir dir;
    std::string path = dir / "status.json";
    testing::ManualClock clock;
    StatusFile file{path, clock.clock()};
};

TEST_F(StatusFileTest, AChangeIsWrittenAtMostOncePerIntervalUnlessUrgent) {
    LampStatus s = well();
    file.update(s);
    EXPECT_EQ(written(), encode_status(s)) << "the first status is written at once";

    s.version = 18;
    clock.advance(200ms);
    file.update(s);
    EXPECT_NE(written(), encode_status(s)) << "a change within the interval waits";
    clock.advance(StatusFile::kMinInterval);
    file.update(s);
    EXPECT_EQ(written(), encode_status(s)) << "and is written once the interval has passed";

    s.broker_connected = false;
    clock.advance(10ms);
    file.update(s, true);
    EXPECT_EQ(written(), encode_status(s)) << "a lost connection is written at once";
}

TEST_F(StatusFileTest, AnUnchangedStatusIsNotRewritten) {
    LampStatus s = well();
    file.update(s);
    std::filesystem::remove(path);
    clock.advance(5s);
    file.update(s, true);
    EXPECT_FALSE(std::filesystem::exists(path)) << "rewritten though nothing changed";
}

TEST_F(StatusFileTest, AnUnwritableFileIsTriedAgain) {
    StatusFile blocked(dir / "missing-dir/status.json", clock.clock());
    LampStatus s = well();
    blocked.update(s, true);
    EXPECT_FALSE(std::filesystem::exists(dir / "missing-dir/status.json"));
    std::filesystem::create_directory(dir / "missing-dir");
    blocked.update(s, true);
    EXPECT_EQ(testing::read_file(dir / "missing-dir/status.json"), encode_status(s));
}

}  // namespace
}  // namespace lampi::lampid
