// RequestStats: per-request-name figures in Locust's shape (requests, failures,
// response times, content size per method and name, and failures by error),
// so the tables and CSV files Locust users read can be written from them.
//
// Each worker owns one RequestStats and is its only writer; the reporter takes
// a snapshot() once a second (a mutex held for one record() at a time) and
// merges the workers' snapshots into one RequestTable. A failed request counts
// as a request too, with its time, as in Locust.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "stats/histogram.h"

namespace lampi::load {

struct RequestEntry {
    Histogram times;  // nanoseconds
    std::uint64_t requests = 0;
    std::uint64_t failures = 0;
    std::uint64_t content_bytes = 0;

    void merge(const RequestEntry& other);
};

struct RequestTable {
    // (method, name), sorted as Locust sorts its table.
    std::map<std::pair<std::string, std::string>, RequestEntry> entries;
    // (method, name, error) -> occurrences
    std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> failures;
    // Wall-clock seconds (Unix time) of the last request; 0 before any.
    double last_request_s = 0;

    RequestEntry total() const;
    void merge(const RequestTable& other);
};

class RequestStats {
public:
    // `failure` empty: the request succeeded.
    void record(const std::string& method, const std::string& name, std::int64_t nanoseconds,
                std::uint64_t content_bytes, const std::string& failure);
    RequestTable snapshot() const;

private:
    mutable std::mutex mutex_;
    RequestTable table_;
};

}  // namespace lampi::load
