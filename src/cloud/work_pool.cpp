#include "work_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include "lampi/errno_text.h"
#include "lampi/log.h"

namespace lampi::cloud {

WorkPool::WorkPool(std::size_t threads, std::size_t queue_limit, int niceness) : queue_limit_(queue_limit) {
    if (threads == 0) threads = 1;
    for (std::size_t i = 0; i < threads; ++i) {
        workers_.emplace_back([this, niceness] {
            // On Linux a nice value belongs to the thread (its tid), not the process.
            if (niceness > 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), niceness) != 0)
                log::warn("cannot lower a worker thread's priority: {}", errno_text());
            work();
        });
    }
}

WorkPool::~WorkPool() { stop(); }

bool WorkPool::try_submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        // Free workers take jobs straight away; beyond them only queue_limit wait.
        std::size_t idle = workers_.size() > running_ ? workers_.size() - running_ : 0;
        if (queue_.size() >= idle + queue_limit_) return false;
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void WorkPool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && workers_.empty()) return;
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_)
        if (t.joinable()) t.join();
    workers_.clear();
}

void WorkPool::work() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to run
            job = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
        }
        job();
        std::lock_guard lock(mutex_);
        --running_;
    }
}

}  // namespace lampi::cloud
