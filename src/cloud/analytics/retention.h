// Retention: raw analytics events older than a number of days are deleted,
// while the daily rollup (analytics/daily_rollup.h) and the group rollup
// (analytics/group_rollup.h) keep their counts, so an unfiltered count of old
// days still answers (EventStore::daily_counts), also grouped by a declared
// property (EventStore::daily_group_counts).
//
// Contract: drop_expired() deletes the events of every UTC day that ended more
// than `days` days before today's UTC midnight (today and the `days` days
// before it are kept whole), except those of kKeptCollections. On PostgreSQL a
// month partition that expired whole is emptied at once (analytics/partitions.h);
// the rest is deleted in chunks, each its own short transaction, so writers
// never wait long. The events of a collection whose group rollup is being
// backfilled stay until the backfill ends (its counts of the dropped days would
// miss them), and go on the next run after it. The
// RetentionJob runs it on its own thread every `period` (and once at start),
// on the clock it is given; a failure is logged and tried again next period.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "analytics/event_store.h"
#include "lampi/status.h"
#include "periodic_task.h"

namespace lampi::cloud::analytics {

// Collections retention never deletes: a lamp's on-hours (analytics/on_hours.h)
// count its LED's wear over every lamp_changes event since its first.
inline constexpr std::string_view kKeptCollections[] = {"lamp_changes"};

// The events dropped. `days` must be at least 1.
Result<std::int64_t> drop_expired(EventStore& store, int days, std::int64_t now_ms);

class RetentionJob {
public:
    RetentionJob(EventStore& store, int days, std::function<std::int64_t()> now_ms, std::chrono::milliseconds period);

    // Waits for a run under way to finish; idempotent.
    void stop() { task_.stop(); }

private:
    void run();

    EventStore& store_;
    int days_;
    std::function<std::int64_t()> now_ms_;
    PeriodicTask task_;  // last: its thread starts once the members it uses exist
};

}  // namespace lampi::cloud::analytics
