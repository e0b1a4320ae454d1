#include "state_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "process.h"

namespace lampi::lampid {
namespace {

TEST(StateStore, StartsFromDefaultsWithoutAFile) {
    testing::TempDir dir;
    StateStore store(dir / "state.json");
    auto state = store.load();
    ASSERT_TRUE(state);
    EXPECT_EQ(state->version, 0u);
    EXPECT_FALSE(state->on);
}

TEST(StateStore, SavedStateIsLoadedBack) {
    testing::TempDir dir;
    StateStore store(dir / "state.json");
    LampState state;
    state.on = true;
    state.hue = 0.3;
    state.version = 17;
    state.client = "phone";
    ASSERT_TRUE(store.save(state));
    EXPECT_FALSE(std::filesystem::exists(dir / "state.json.tmp"));
    auto loaded = StateStore(dir / "state.json").load();
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->same_settings(state));
    EXPECT_EQ(loaded->version, 17u);
    EXPECT_EQ(loaded->client, "phone");
}

TEST(StateStore, ACorruptFileIsKeptAsideNotLost) {
    testing::TempDir dir;
    testing::write_file(dir / "state.json", "{\"on\": tr");
    StateStore store(dir / "state.json");
    std::string note;
    auto state = store.load(&note);
    ASSERT_TRUE(state);
    EXPECT_EQ(state->version, 0u);
    EXPECT_NE(note.find("state.json.corrupt"), std::string::npos);
    EXPECT_EQ(testing::read_file(dir / "state.json.corrupt"), "{\"on\": tr");
}

TEST(StateStore, ALeftoverTempFileFromACrashDoesNotMatter) {
    testing::TempDir dir;
    StateStore store(dir / "state.json");
    LampState state;
    state.version = 5;
    ASSERT_TRUE(store.save(state));
    testing::write_file(dir / "state.json.tmp", "garbage from a crash mid-save");
    EXPECT_EQ(store.load()->version, 5u);
    state.version = 6;
    ASSERT_TRUE(store.save(state));
    EXPECT_EQ(store.load()->version, 6u);
}

TEST(StateStore, SaveIntoAMissingDirectorySaysWhy) {
    StateStore store("/nonexistent-lampi-dir/state.json");
    Status s = store.save(LampState{});
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find("/nonexistent-lampi-dir"), std::string::npos);
}

}  // namespace
}  // namespace lampi::lampid
