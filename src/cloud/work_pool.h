// WorkPool: threads for work that must not hold the HTTP server's I/O threads.
//
// lampi-cloud has two: argon2id hashing (about 25 ms of CPU and 19 MiB each: on
// the I/O threads a sign-up flood would stall every page) and lamp commands
// waiting for the broker's acknowledgement (up to 2 s while a broker is frozen).
// Each pool is bounded: `threads` jobs run and at most `queue_limit` wait. try_submit()
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

namespace lampi::cloud {

// Password hashing runs this much nicer than the server: under a hash flood on a
// busy machine the pages still get the processor first.
inline constexpr int kHashNiceness = 5;

class WorkPool {
public:
    // `niceness` > 0 lowers the workers' scheduling priority (Linux: per thread),
    // so CPU-bound jobs yield the processor to the threads serving pages.
    WorkPool(std::size_t threads, std::size_t queue_limit, int niceness = 0);
    ~WorkPool();
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

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

}  // namespace lampi::cloud
