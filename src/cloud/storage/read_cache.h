// ReadCache: a query's answers kept for a moment, while nothing was written.
//
// Contract: get() returns an answer only while this process has run no write
// on the database since the query that read it began (Database::write_generation
// unchanged: a logout, a password change, a disabled account, a renamed lamp all
// end every entry at once) and for at most `ttl` after that query began, which
// bounds how long a write made by another process on the same database (a second
// lampi-cloud behind a proxy) can go unseen: the time spent waiting for a
// connection or in the query counts against it, and using an entry never makes
// it last longer. A ttl of zero keeps nothing. Only answers that were found
// are worth keeping: the caller puts no "not found", so guessed keys never fill it.
// Thread-safe. Holds at most `capacity` entries; when full it starts over.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace lampi::cloud::storage {

template <typename Key, typename Value>
class ReadCache {
public:
    using Clock = std::chrono::steady_clock;

    explicit ReadCache(std::chrono::milliseconds ttl, std::size_t capacity = 4096) : ttl_(ttl), capacity_(capacity) {}

    // `generation`: the database's write generation now.
    std::optional<Value> get(const Key& key, std::uint64_t generation) {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(key);
        if (it == entries_.end()) return std::nullopt;
        if (it->second.generation != generation || Clock::now() - it->second.read_at >= ttl_) {
            entries_.erase(it);
            return std::nullopt;
        }
        return it->second.value;
    }

    // What the caller notes before its query begins, and gives to put().
    struct Stamp {
        std::uint64_t generation = 0;  // the database's write generation
        Clock::time_point at;
    };
    static Stamp stamp(std::uint64_t generation) { return {generation, Clock::now()}; }

    // `before_read`: taken before the query began, so a write that committed
    // during the query leaves this entry unused, and the entry's age counts from
    // the oldest moment the answer can describe.
    void put(const Key& key, Value value, Stamp before_read) {
        std::lock_guard lock(mutex_);
        if (ttl_.count() <= 0) return;
        if (entries_.size() >= capacity_) entries_.clear();
        entries_.insert_or_assign(key, Entry{std::move(value), before_read.generation, before_read.at});
    }

    void set_ttl(std::chrono::milliseconds ttl) {
        std::lock_guard lock(mutex_);
        ttl_ = ttl;
        entries_.clear();
    }

private:
    struct Entry {
        Value value;
        std::uint64_t generation = 0;
        Clock::time_point read_at;
    };

    std::mutex mutex_;
    std::chrono::milliseconds ttl_;
    std::size_t capacity_;
    std::unordered_map<Key, Entry> entries_;
};

}  // namespace lampi::cloud::storage
