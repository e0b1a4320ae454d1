// EventQueue: the platform's own events (sign_ups, logins, lamp_changes, ...) on
// their way to the EventStore, off the request and lamp paths.
//
// Contract: record() never blocks on the database and never waits for a writer;
// it takes a mutex only to append to a bounded in-memory queue. One writer
// thread takes up to `batch` events at a time and stores them in one go. When
// the queue is full, or a batch cannot be stored (the database is down), those
// events are dropped: counted (dropped()) and logged at most once per 10 s with
// the total, so an outage loses a known number of events and slows nothing.
// The destructor stores what is still queued (one attempt), then stops.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "analytics/event_sink.h"
#include "analytics/event_store.h"

namespace lampi::cloud::analytics {

struct EventQueueOptions {
    std::size_t capacity = 10'000;  // events waiting, at most
    std::size_t batch = 500;        // events stored per write
    std::chrono::milliseconds flush_every{250};
};

class EventQueue final : public EventSink {
public:
    EventQueue(EventStore& store, EventQueueOptions options, std::function<std::int64_t()> now_ms);
    ~EventQueue() override;
    EventQueue(const EventQueue&) = delete;
    EventQueue& operator=(const EventQueue&) = delete;

    void record(std::string_view collection, std::string properties) override;

    // Waits until everything recorded so far is stored or dropped (tests, shutdown).
    void flush();
    // Events waiting to be stored (for /metrics: takes the queue's lock briefly).
    std::size_t queued();
    std::uint64_t stored() const { return stored_; }
    std::uint64_t dropped() const { return dropped_; }

private:
    struct Pending {
        std::string collection;
        std::string properties;
        std::int64_t at_ms;
    };
    void run();
    void write(std::vector<Pending>& batch);
    void note_drops(std::uint64_t count, std::string_view why);

    EventStore& store_;
    EventQueueOptions options_;
    std::function<std::int64_t()> now_ms_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::vector<Pending> queue_;
    bool writing_ = false;
    bool flush_asked_ = false;
    bool stop_ = false;
    std::atomic<std::uint64_t> stored_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::chrono::steady_clock::time_point last_drop_log_{};
    std::thread writer_;
};

}  // namespace lampi::cloud::analytics
