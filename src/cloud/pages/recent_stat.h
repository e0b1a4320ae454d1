// RecentStat: stat() answers reused for a moment.
//
// A path is stat()ed again once `max_age` has passed since it last was; until then
// its last answer (found or not) stands. So a change on disk is seen within
// max_age, and in return a request that looks at a file (a static file and its .br
// and .gz copies, assets.json for every page) makes no system call. Thread-safe.
// Holds at most `capacity` paths (the names asked for come from clients); when
// full it starts over.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace lampi::cloud::pages {

class RecentStat {
public:
    static constexpr std::chrono::milliseconds kDefaultMaxAge{1000};

    explicit RecentStat(std::chrono::milliseconds max_age = kDefaultMaxAge, std::size_t capacity = 1024)
        : max_age_(max_age), capacity_(capacity) {}

    // As ::stat(path, out) == 0, at most max_age old.
    bool stat(const std::string& path, struct stat& out);
    // Every path is stat()ed anew on its next look.
    void forget();

private:
    struct Answer {
        bool found = false;
        struct stat st {};
        std::chrono::steady_clock::time_point asked_at;
    };

    std::mutex mutex_;
    std::chrono::milliseconds max_age_;
    std::size_t capacity_;
    std::unordered_map<std::string, Answer> answers_;
};

}  // namespace lampi::cloud::pages
