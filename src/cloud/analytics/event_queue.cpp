#include "analytics/event_queue.h"

#include "lampi/log.h"

namespace lampi::cloud::analytics {

EventQueue::EventQueue(EventStore& store, EventQueueOptions options, std::function<std::int64_t()> now_ms)
    : store_(store), options_(options), now_ms_(std::move(now_ms)) {
    queue_.reserve(options_.batch);
    writer_ = std::thread([this] { run(); });
}

EventQueue::~EventQueue() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    writer_.join();
}

void EventQueue::record(std::string_view collection, std::string properties) {
    std::int64_t at = now_ms_();
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= options_.capacity) {
            note_drops(1, "the queue is full");
            return;
        }
        queue_.push_back({std::string(collection), std::move(properties), at});
        wake = queue_.size() >= options_.batch;
    }
    if (wake) wake_.notify_one();
}

std::size_t EventQueue::queued() {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void EventQueue::flush() {
    std::unique_lock lock(mutex_);
    flush_asked_ = true;
    wake_.notify_one();
    idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

// Called with mutex_ held.
void EventQueue::note_drops(std::uint64_t count, std::string_view why) {
    dropped_ += count;
    auto now = std::chrono::steady_clock::now();
    if (now - last_drop_log_ < std::chrono::seconds(10)) return;
    last_drop_log_ = now;
    log::warn("analytics: dropped {} platform event(s) ({}); {} dropped since start", count, why,
              static_cast<unsigned long long>(dropped_.load()));
}

void EventQueue::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait_for(lock, options_.flush_every,
                       [this] { return stop_ || flush_asked_ || queue_.size() >= options_.batch; });
        flush_asked_ = false;
        while (!queue_.empty()) {
            std::vector<Pending> batch;
            std::size_t take = std::min(options_.batch, queue_.size());
            auto end = queue_.begin() + static_cast<std::ptrdiff_t>(take);
            batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
            queue_.erase(queue_.begin(), end);
            writing_ = true;
            lock.unlock();
            write(batch);
            lock.lock();
            writing_ = false;
        }
        idle_.notify_all();
        if (stop_) return;
    }
}

void EventQueue::write(std::vector<Pending>& batch) {
    std::vector<PreparedEvent> events;
    events.reserve(batch.size());
    std::uint64_t invalid = 0;
    for (Pending& p : batch) {
        auto event = prepare_event(p.collection, p.properties, p.at_ms);
        if (failed(event)) {
            // The platform's own events are made by our code: a refusal is our bug.
            log::error("analytics: the platform made an invalid {} event: {}", p.collection,
                       std::get<KeenError>(event).status.message());
            ++invalid;
            continue;
        }
        events.push_back(std::get<PreparedEvent>(std::move(event)));
    }
    Status s = store_.insert(events);
    std::lock_guard lock(mutex_);
    if (invalid) note_drops(invalid, "invalid events");
    if (!s) {
        note_drops(events.size(), s.message());
        return;
    }
    stored_ += events.size();
}

}  // namespace lampi::cloud::analytics
