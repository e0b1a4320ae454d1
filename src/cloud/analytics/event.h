// Events as the write API takes them: Keen's naming rules, its size limit and
// its `keen` object.
//
// A prepared event is what the store keeps: its collection, keen.timestamp in
// Unix milliseconds, and the whole event as JSON with a `keen` object holding
// `timestamp` (the client's, or the time it arrived), `created_at` (the time it
// arrived) and `id` (24 hex digits, unique). Every function here takes untrusted
// input and never throws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/keen_error.h"

namespace boost::json {
class object;
}  // namespace boost::json

namespace lampi::cloud::analytics {

// An event's JSON may take at most this many bytes (Keen's own limit is larger;
// lampi-cloud's request bodies are 64 KiB by default).
inline constexpr std::size_t kMaxEventBytes = std::size_t{16} * 1024;
inline constexpr std::size_t kMaxCollectionName = 64;
inline constexpr std::size_t kMaxPropertyName = 256;

struct PreparedEvent {
    std::string collection;
    std::int64_t timestamp_ms = 0;
    std::string json;
};

// Keen's rules: 1..64 printable ASCII characters, not starting with '$'.
std::optional<KeenError> check_collection_name(std::string_view name);

// One event from its JSON text (an object) for `collection`, at `now_ms`.
// `autofill` (a scoped write key's) sets its properties on the event, over any
// the caller sent, so the key's holder cannot write under another's name.
KeenResult<PreparedEvent> prepare_event(std::string_view collection, std::string_view json, std::int64_t now_ms,
                                        const boost::json::object* autofill = nullptr);

// A batch body {"collection": [event, ...], ...}: each event prepared on its own,
// so one bad event does not refuse the others (Keen's batch answer has one
// entry per event). The whole body fails only when it is not such an object.
struct BatchEntry {
    std::string collection;
    std::vector<KeenResult<PreparedEvent>> events;
};
KeenResult<std::vector<BatchEntry>> prepare_batch(std::string_view json, std::int64_t now_ms,
                                                  const boost::json::object* autofill = nullptr);

// Builds an event's properties for the platform's own events without a JSON
// library in the caller: {"name": value, ...} with string, integer and boolean
// values (a key given twice is the caller's mistake).
class Properties {
public:
    Properties& add(std::string_view name, std::string_view value);
    Properties& add(std::string_view name, const char* value) { return add(name, std::string_view(value)); }
    Properties& add(std::string_view name, std::int64_t value);
    Properties& add(std::string_view name, bool value);
    Properties& add_null(std::string_view name);
    // A value that is JSON already (an object from the lamp's codec); invalid JSON becomes null.
    Properties& add_json(std::string_view name, std::string_view json);
    std::string json() const { return "{" + body_ + "}"; }

private:
    void key(std::string_view name);
    std::string body_;
};

}  // namespace lampi::cloud::analytics
