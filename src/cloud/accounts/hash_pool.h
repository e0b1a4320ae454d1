// HashPool: the threads that run argon2id, away from the HTTP server's I/O threads.
//
// A password hash costs about 25 ms of CPU and 19 MiB. Run on the I/O threads, a
// sign-up flood stalls every page; run here, it can only fill this pool. The pool
// is bounded: `threads` jobs run and at most `queue_limit` wait. try_submit()
// refuses at once when both are full, so the caller answers 503 with Retry-After
// instead of queueing without end. A caller holds no lock while its job waits.
//
// stop() runs what is queued, then joins; jobs submitted after stop() are refused.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lampi::cloud::accounts {

class HashPool {
public:
    HashPool(std::size_t threads, std::size_t queue_limit);
    ~HashPool();
    HashPool(const HashPool&) = delete;
    HashPool& operator=(const HashPool&) = delete;

    bool try_submit(std::function<void()> job);
    void stop();

    std::size_t threads() const { return workers_.size(); }
    std::size_t queue_limit() const { return queue_limit_; }

private:
    void work();

    std::size_t queue_limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace lampi::cloud::accounts
