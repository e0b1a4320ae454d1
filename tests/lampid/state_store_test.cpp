#include "state_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "process.h"

namespace lampi::lampid {
namespace {

// 2026-11-29T22:00:00.000Z, advanced by the tests.
std::int64_t g_wall_ms = 1'796'076'000'000;
std::int64_t wall_ms() { return g_wall_ms; }

StateStore store_in(const testing::TempDir& dir) { return StateStore(dir / "state.json", wall_ms); }

std::vector<std::string> corrupt_files(const testing::TempDir& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        std::string name = entry.path().filename().string();
        if (name.find(".corrupt") != std::string::npos) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

LampState state_at(std::uint64_t version) {
    LampState state;
    state.on = true;
    state.version = version;
    return state;
}

TEST(StateStore, StartsFromDefaultsWithoutAFile) {
    testing::TempDir dir;
    auto loaded = store_in(dir).load();
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->state.version, 0u);
    EXPECT_FALSE(loaded->state.on);
    EXPECT_FALSE(loaded->unsaved);
    EXPECT_TRUE(loaded->note.empty());
}

TEST(StateStore, SavedStateIsLoadedBack) {
    testing::TempDir dir;
    StateStore store = store_in(dir);
    LampState state;
    state.on = true;
    state.hue = 0.3;
    state.version = 17;
    state.client = "phone";
    state.changed_at = 1'796'076'000'123;
    ASSERT_TRUE(store.save(state));
    EXPECT_FALSE(std::filesystem::exists(dir / "state.json.tmp"));
    auto loaded = store_in(dir).load();
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->state.same_settings(state));
    EXPECT_EQ(loaded->state.version, 17u);
    EXPECT_EQ(loaded->state.client, "phone");
    EXPECT_EQ(loaded->state.changed_at, 1'796'076'000'123);
    EXPECT_FALSE(loaded->unsaved);
}

TEST(StateStore, ACorruptFileRestartsAboveEveryVersionEverSaved) {
    testing::TempDir dir;
    StateStore store = store_in(dir);
    for (std::uint64_t v = 1; v <= 41; ++v) ASSERT_TRUE(store.save(state_at(v)));
    testing::write_file(dir / "state.json", "{\"on\": tr");

    auto loaded = store_in(dir).load();
    ASSERT_TRUE(loaded);
    EXPECT_GT(loaded->state.version, 41u) << "versions went backwards after a corrupt file";
    EXPECT_TRUE(loaded->unsaved) << "the rebuilt state must be saved before it is announced";
    EXPECT_NE(loaded->note.find("unreadable"), std::string::npos);
}

TEST(StateStore, AMissingStateFileRestartsAboveTheFloor) {
    testing::TempDir dir;
    StateStore store = store_in(dir);
    ASSERT_TRUE(store.save(state_at(7)));
    std::filesystem::remove(dir / "state.json");
    auto loaded = store_in(dir).load();
    ASSERT_TRUE(loaded);
    EXPECT_GT(loaded->state.version, 7u);
    EXPECT_TRUE(loaded->unsaved);
}

TEST(StateStore, TheFloorIsRaisedOnlyOncePerStep) {
    testing::TempDir dir;
    constexpr std::uint64_t kStep = 20;
    StateStore store(dir / "state.json", wall_ms, kStep);
    ASSERT_TRUE(store.save(state_at(1)));
    std::string floor = testing::read_file(store.floor_path());
    EXPECT_EQ(floor, "21\n");
    auto floor_written = std::filesystem::last_write_time(store.floor_path());
    for (std::uint64_t v = 2; v <= kStep + 1; ++v) ASSERT_TRUE(store.save(state_at(v)));
    EXPECT_EQ(testing::read_file(store.floor_path()), floor);
    EXPECT_EQ(std::filesystem::last_write_time(store.floor_path()), floor_written);
    ASSERT_TRUE(store.save(state_at(kStep + 2)));
    EXPECT_EQ(testing::read_file(store.floor_path()), "42\n");
    // A restart reads the floor back and keeps counting from it.
    StateStore restarted(dir / "state.json", wall_ms, kStep);
    ASSERT_TRUE(restarted.load());
    std::filesystem::remove(dir / "state.json");
    EXPECT_EQ(StateStore(dir / "state.json", wall_ms, kStep).load()->state.version, 43u);
}

TEST(StateStore, RepeatedCorruptionsNeverGoBackwardsAcrossRestarts) {
    testing::TempDir dir;
    std::uint64_t highest = 0;
    for (int round = 0; round < 3; ++round) {
        auto loaded = store_in(dir).load();
        ASSERT_TRUE(loaded);
        if (round > 0) {
            EXPECT_GT(loaded->state.version, highest);
        }
        StateStore store = store_in(dir);
        ASSERT_TRUE(store.load());
        LampState state = loaded->state;
        for (int i = 0; i < 5; ++i) {
            ++state.version;
            ASSERT_TRUE(store.save(state));
        }
        highest = state.version;
        testing::write_file(dir / "state.json", "\x01garbage");
        g_wall_ms += 1000;
    }
}

TEST(StateStore, AFileFromBeforeTheFloorStillRestartsAboveItsVersion) {
    testing::TempDir dir;
    // Damaged, but the version is still in it; no floor file yet.
    testing::write_file(dir / "state.json", R"({"on":true,"brightness":0.5,"client":"x","version":66000,"col)");
    auto loaded = store_in(dir).load();
    ASSERT_TRUE(loaded);
    EXPECT_GT(loaded->state.version, 66000u);
}

TEST(StateStore, EveryCorruptFileIsKeptUnderItsOwnName) {
    testing::TempDir dir;
    testing::write_file(dir / "state.json", "first corruption");
    ASSERT_TRUE(store_in(dir).load());
    // The same millisecond: the name must still be new.
    testing::write_file(dir / "state.json", "second corruption");
    ASSERT_TRUE(store_in(dir).load());
    g_wall_ms += 60'000;
    testing::write_file(dir / "state.json", "third corruption");
    auto loaded = store_in(dir).load();
    ASSERT_TRUE(loaded);

    std::vector<std::string> kept = corrupt_files(dir);
    ASSERT_EQ(kept.size(), 3u);
    std::vector<std::string> contents;
    for (const std::string& name : kept) contents.push_back(testing::read_file(dir / name));
    std::sort(contents.begin(), contents.end());
    EXPECT_EQ(contents, (std::vector<std::string>{"first corruption", "second corruption", "third corruption"}));
    EXPECT_EQ(kept[0].rfind("state.json.corrupt-20", 0), 0u) << kept[0];
    EXPECT_NE(loaded->note.find(kept.back()), std::string::npos) << loaded->note;
    EXPECT_FALSE(std::filesystem::exists(dir / "state.json"));
}

TEST(StateStore, ALeftoverTempFileFromACrashDoesNotMatter) {
    testing::TempDir dir;
    StateStore store = store_in(dir);
    ASSERT_TRUE(store.save(state_at(5)));
    testing::write_file(dir / "state.json.tmp", "garbage from a crash mid-save");
    EXPECT_EQ(store.load()->state.version, 5u);
    ASSERT_TRUE(store.save(state_at(6)));
    EXPECT_EQ(store.load()->state.version, 6u);
}

TEST(StateStore, SaveIntoAMissingDirectorySaysWhy) {
    StateStore store("/nonexistent-lampi-dir/state.json", wall_ms);
    Status s = store.save(LampState{});
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find("/nonexistent-lampi-dir"), std::string::npos);
}

}  // namespace
}  // namespace lampi::lampid
