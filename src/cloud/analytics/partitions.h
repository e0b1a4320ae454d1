// Partitioning of the analytics events by time, on PostgreSQL (SQLite has none,
// and there every call here does nothing).
//
// analytics_events is partitioned by range of ts_ms: one partition per UTC
// month, named analytics_events_YYYY_MM, and analytics_events_default for the
// events of any month without one. A query's timeframe reads only its months'
// partitions. Each month is split again by collection: the collections
// retention keeps (kKeptCollections) in analytics_events_YYYY_MM_kept, every
// other one in analytics_events_YYYY_MM_expiring, so retention drops a month
// that expired whole with one TRUNCATE instead of deleting its rows one by one
// (no dead rows left for VACUUM, no time growing with the events).
//
// Contract:
// - make_month_partitions() makes the missing partitions of the UTC months from
//   `months_back` before now's to `months_ahead` after it, each in one
//   transaction that also moves that month's events out of the default
//   partition (ids and all), so events are never lost or doubled, under a lock
//   every query of the events waits for (it would miss moved events); processes
//   sharing a database make each month once (an advisory lock). Events of
//   other months stay in the default partition, answered the same, only not
//   pruned: this bounds the tables a writer can make appear with old or future
//   keen.timestamps.
// - truncate_expired_months() empties the `expiring` part of every month that
//   ends at or before before_ms and returns the events it held. A month whose
//   table stays locked by a query for 2 s, or that was split by another list of
//   kept collections than this build's, is left for the row-by-row delete
//   (EventStore::drop_events_before), which reaches the same events.
// - The PartitionJob makes the months around now at start and every `period`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "analytics/event_store.h"
#include "periodic_task.h"

namespace lampi::cloud::analytics {

inline constexpr int kPartitionMonthsBack = 12;
inline constexpr int kPartitionMonthsAhead = 2;

class PartitionJob {
public:
    PartitionJob(EventStore& store, std::function<std::int64_t()> now_ms, std::chrono::milliseconds period);

    // Waits for a run under way to finish; idempotent.
    void stop() { task_.stop(); }

private:
    void run();

    EventStore& store_;
    std::function<std::int64_t()> now_ms_;
    PeriodicTask task_;  // last: its thread starts once the members it uses exist
};

}  // namespace lampi::cloud::analytics
