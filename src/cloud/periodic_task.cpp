#include "periodic_task.h"

namespace lampi::cloud {

PeriodicTask::PeriodicTask(std::chrono::milliseconds period, FirstRun first, std::function<void()> work)
    : period_(period), work_(std::move(work)), thread_([this, first] { loop(first); }) {}

void PeriodicTask::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PeriodicTask::loop(FirstRun first) {
    std::unique_lock lock(mutex_);
    if (first == FirstRun::after_one_period && wake_.wait_for(lock, period_, [this] { return stopping_; })) return;
    do {
        lock.unlock();
        work_();
        lock.lock();
    } while (!wake_.wait_for(lock, period_, [this] { return stopping_; }));
}

}  // namespace lampi::cloud
