#include "analytics/retention.h"

#include <algorithm>

#include "analytics/daily_rollup.h"
#include "lampi/log.h"

namespace lampi::cloud::analytics {

Result<std::int64_t> drop_expired(EventStore& store, int days, std::int64_t now_ms) {
    std::int64_t horizon = utc_day_of(now_ms) - std::max(days, 1) * kDayMs;
    // Whole months first, by partition (PostgreSQL); the rest row by row.
    auto truncated = store.truncate_expired_months(horizon);
    if (!truncated) return truncated.status();
    std::int64_t dropped = *truncated;
    auto collections = store.rollup_collections();
    if (!collections) return collections.status();
    if (auto backfilling = store.unfinished_group_rollups(); backfilling)
        for (const GroupRollupKey& key : *backfilling)
            log::info("analytics retention: the events of {} stay until the backfill of {}.{} ends", key.collection,
                      key.collection, key.property);
    for (const std::string& collection : *collections) {
        if (std::find(std::begin(kKeptCollections), std::end(kKeptCollections), collection) !=
            std::end(kKeptCollections))
            continue;
        auto n = store.drop_events_before(collection, horizon);
        if (!n) return n.status();
        dropped += *n;
    }
    return dropped;
}

RetentionJob::RetentionJob(EventStore& store, int days, std::function<std::int64_t()> now_ms,
                           std::chrono::milliseconds period)
    : store_(store),
      days_(days),
      now_ms_(std::move(now_ms)),
      task_(period, PeriodicTask::FirstRun::at_start, [this] { run(); }) {}

void RetentionJob::run() {
    auto dropped = drop_expired(store_, days_, now_ms_());
    if (!dropped) log::warn("analytics retention: events not dropped: {}", dropped.status().message());
    else if (*dropped > 0)
        log::info("analytics retention: dropped {} event(s) older than {} day(s); their daily counts stay", *dropped,
                  days_);
}

}  // namespace lampi::cloud::analytics
