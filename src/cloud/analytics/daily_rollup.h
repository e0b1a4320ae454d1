// The daily rollup: how many events each collection has per UTC day (table
// analytics_daily), kept by EventStore::insert in the same transaction as the
// events, so the rollup and the events never disagree. Used by the EventStore
// only; its reads are EventStore::daily_counts.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "analytics/event.h"
#include "lampi/status.h"
#include "storage/sql.h"

namespace lampi::cloud::analytics {

inline constexpr std::int64_t kDayMs = 86'400'000;

// The start of the UTC day holding `ms` (also before 1970).
inline std::int64_t utc_day_of(std::int64_t ms) {
    std::int64_t day = ms / kDayMs;
    if (ms % kDayMs < 0) --day;
    return day * kDayMs;
}

// [from_ms, to_ms) cut where a rollup can answer it: the partial UTC days at either
// end go to `from_events`, the whole days between them to `from_rollup`, each as
// [from, to); the first failure ends it. The daily and group rollups' reads.
using SpanCounter = std::function<Status(std::int64_t from_ms, std::int64_t to_ms)>;
Status count_by_whole_days(std::int64_t from_ms, std::int64_t to_ms, const SpanCounter& from_events,
                           const SpanCounter& from_rollup);

// Adds `events` to their days' counts on `conn`, inside the caller's transaction.
// Rows are updated in one order (collection, day), so concurrent batches wait
// for each other instead of deadlocking.
Status add_to_daily_rollup(storage::SqlConnection& conn, const std::vector<PreparedEvent>& events);

}  // namespace lampi::cloud::analytics
