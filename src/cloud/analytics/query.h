// Keen's query API over the EventStore: count, count_unique, sum, average,
// minimum, maximum, median, percentile, select_unique and extraction, with
// timeframe (relative or absolute), timezone (an IANA name or a UTC offset),
// interval, group_by,
// filters, order_by and limit. Answers have Keen's result shapes.
//
// Where the work happens: a count without filters or group_by, alone or by
// whole UTC days (daily to yearly intervals in a zone at offset 0), is read from
// the daily rollup (EventStore::daily_counts), its cost growing with the days,
// not the events; the same with a group_by of one property declared for the
// group rollup and ready for the timeframe's whole days, from that rollup
// (EventStore::daily_group_counts). Otherwise the database narrows to the collection and timeframe
// (an index range on (collection, ts_ms)). count, count_unique, sum, average,
// minimum and maximum, with group_by, interval and the filters eq, ne, lt, lte,
// gt, gte, exists and in, are computed by the database (EventStore::aggregate:
// one statement, or one per step for monthly and yearly intervals and for daily
// and weekly ones across a daylight-saving change). The rest
// (median, percentile, select_unique, extraction, funnel, contains and
// not_contains) runs here, in C++, over at most kMaxQueryEvents events of that
// range: a query that would read more is refused with a message that says to
// narrow the timeframe. Both ways give the same answers (tested).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "analytics/event_store.h"
#include "analytics/keen_error.h"
#include "http/form.h"

namespace boost::json {
class array;
class value;
}  // namespace boost::json

namespace lampi::cloud::analytics {

inline constexpr std::int64_t kMaxQueryEvents = 500'000;

// best: from a rollup or in the database where it can; events: in the database
// over the events, never a rollup; in_memory: always in C++ (tests and the
// bench compare them).
enum class QueryEngine { best, events, in_memory };

// Runs `analysis` with parameters from a JSON object body (POST) and answers
// Keen's JSON ({"result": ...}). `now_ms` is the time relative timeframes count from.
// `scope`, a scoped key's filters (checked by check_filters), hold in every
// query and funnel step besides the caller's own.
KeenResult<std::string> run_query(EventStore& store, std::string_view analysis, std::string_view json_body,
                                  std::int64_t now_ms, QueryEngine engine = QueryEngine::best,
                                  const boost::json::array* scope = nullptr);
// The same from query-string fields (GET): each value is a plain string or JSON
// text (timeframe, filters, group_by, ...), as Keen's SDKs send them.
KeenResult<std::string> run_query(EventStore& store, std::string_view analysis, const http::Fields& fields,
                                  std::int64_t now_ms, QueryEngine engine = QueryEngine::best,
                                  const boost::json::array* scope = nullptr);

// Whether `filters` is a list of filters a query would take.
std::optional<KeenError> check_filters(const boost::json::value& filters);

}  // namespace lampi::cloud::analytics
