#include "lampi/files.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "process.h"

namespace lampi {
namespace {

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
    return names;
}

// Sets the umask for one test and restores it.
class Umask {
public:
    explicit Umask(mode_t mask) : old_(::umask(mask)) {}
    ~Umask() { ::umask(old_); }

private:
    mode_t old_;
};

TEST(WriteFileAtomically, ReplacesTheContentAndLeavesNoTempFile) {
    testing::TempDir dir;
    std::string path = dir / "endpoints.json";
    testing::write_file(path, "old");
    ASSERT_TRUE(write_file_atomically(path, "new content\n"));
    EXPECT_EQ(testing::read_file(path), "new content\n");
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"endpoints.json"});
}

TEST(WriteFileAtomically, AReplacedFileTakesTheNewMode) {
    testing::TempDir dir;
    ASSERT_TRUE(write_file_atomically(dir / "f", "one", 0600));
    EXPECT_EQ(mode_of(dir / "f"), 0600u);
    ASSERT_TRUE(write_file_atomically(dir / "f", "two", 0644));
    EXPECT_EQ(testing::read_file(dir / "f"), "two");
    EXPECT_EQ(mode_of(dir / "f"), 0644u);
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"f"});
}

TEST(WriteFileAtomically, GivesExactlyTheModeWhateverTheUmask) {
    testing::TempDir dir;
    {
        Umask open(0);
        ASSERT_TRUE(write_file_atomically(dir / "secret", "s3cret", 0600));
        EXPECT_EQ(mode_of(dir / "secret"), 0600u);
    }
    {
        Umask closed(077);
        ASSERT_TRUE(write_file_atomically(dir / "public", "hello", 0644, Durability::none));
        EXPECT_EQ(mode_of(dir / "public"), 0644u);
    }
}

// What the SIGXFSZ handler saw of the temp file while it was being written.
volatile sig_atomic_t g_temp_fd = -1;
volatile sig_atomic_t g_mode_while_writing = -1;

void note_temp_mode(int) {
    struct stat st {};
    if (::fstat(g_temp_fd, &st) == 0) g_mode_while_writing = static_cast<sig_atomic_t>(st.st_mode & 07777);
}

// A write that fails halfway (the file-size limit is hit): the handler of the
// signal the kernel sends at that moment looks at the temp file mid-write. Exit
// codes say which promise broke: 1 the write did not fail, 2 the temp file was
// ever wider than 0600, 3 the old file changed, 4 a temp file was left behind.
[[noreturn]] void write_past_the_size_limit(const std::string& dir) {
    ::umask(0);
    rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    struct sigaction action {};
    action.sa_handler = note_temp_mode;
    ::sigaction(SIGXFSZ, &action, nullptr);
    // open() returns the lowest free descriptor: the temp file gets this one.
    g_temp_fd = ::dup(0);
    ::close(g_temp_fd);
    std::string path = dir + "/endpoints.json";
    Status s = write_file_atomically(path, std::string(std::size_t{64} * 1024, 'p'), 0600);
    if (s) std::_Exit(1);
    if (g_mode_while_writing != 0600) std::_Exit(2);
    if (testing::read_file(path) != "old passwords") std::_Exit(3);
    if (names_in(dir) != std::vector<std::string>{"endpoints.json"}) std::_Exit(4);
    std::_Exit(0);
}

TEST(WriteFileAtomicallyDeathTest, AFailedWriteNeverShowedAWiderModeAndLeavesTheOldFileIntact) {
    testing::TempDir dir;
    testing::write_file(dir / "endpoints.json", "old passwords");
    EXPECT_EXIT(write_past_the_size_limit(dir.path()), ::testing::ExitedWithCode(0), "");
    EXPECT_EQ(testing::read_file(dir / "endpoints.json"), "old passwords");
}

TEST(WriteFileAtomically, IntoAMissingDirectorySaysWhich) {
    Status s = write_file_atomically("/nonexistent-lampi-dir/state.json", "x");
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find("/nonexistent-lampi-dir/state.json"), std::string::npos) << s.message();
}

// A secret file as lampi-stack writes one: owner-only.
std::string secret_file(const testing::TempDir& dir, const std::string& content, mode_t mode = 0600) {
    std::string path = dir / "secret";
    testing::write_file(path, content);
    ::chmod(path.c_str(), mode);
    return path;
}

TEST(ReadSecretFile, TakesTheFirstLineWithoutTrailingWhiteSpace) {
    testing::TempDir dir;
    EXPECT_EQ(read_secret_file(secret_file(dir, "s3cret \t\r\nsecond line\n")).value(), "s3cret");
    EXPECT_EQ(read_secret_file(secret_file(dir, "  leading kept")).value(), "  leading kept");
}

TEST(ReadSecretFile, RefusesAFileOthersMayAccessAndSaysHowToFixIt) {
    testing::TempDir dir;
    for (mode_t mode : {0644, 0640, 0604, 0620, 0602, 0610}) {
        auto secret = read_secret_file(secret_file(dir, "s3cret\n", static_cast<mode_t>(mode)));
        ASSERT_FALSE(secret) << std::oct << mode;
        EXPECT_NE(secret.status().message().find("chmod 600"), std::string::npos) << secret.status().message();
        EXPECT_EQ(secret.status().message().find("s3cret"), std::string::npos) << "the secret must not be echoed";
    }
    EXPECT_TRUE(read_secret_file(secret_file(dir, "s3cret\n", 0400)));
}

TEST(ReadSecretFile, RefusesAnEmptyFirstLineADirectoryAndAMissingFile) {
    testing::TempDir dir;
    EXPECT_FALSE(read_secret_file(secret_file(dir, "")));
    EXPECT_FALSE(read_secret_file(secret_file(dir, " \r\nsecret on the second line\n")));
    std::filesystem::create_directory(dir / "sub");
    ::chmod((dir / "sub").c_str(), 0700);
    EXPECT_FALSE(read_secret_file(dir / "sub"));
    auto missing = read_secret_file(dir / "missing");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.status().message().find("cannot read"), std::string::npos) << missing.status().message();
}

}  // namespace
}  // namespace lampi
