// MQTT topic names and filters: matching and coverage, as the broker sees them.
//
// A topic name has no wildcards; a filter may hold '+' (one level) and '#' (the
// rest, last level only). Topics starting with '$' are never matched by a filter
// whose first level is a wildcard (MQTT 3.1.1 §4.7.2), so `#` does not reach $SYS.
// Pure functions, no allocation beyond the call, safe from any thread.
#pragma once

#include <string_view>

namespace lampi::rules {

// A well-formed filter: non-empty, '#' only as the whole last level, '+' only as
// a whole level, no NUL.
bool is_valid_filter(std::string_view filter);
// A well-formed topic name: non-empty, no wildcards, no NUL.
bool is_valid_topic(std::string_view topic);

// Does the concrete `topic` match `filter`?
bool topic_matches(std::string_view filter, std::string_view topic);

// Is every topic that `requested` could match also matched by `allowed`?
// This is the check for a subscription: "devices/a/lamp/+/x" is covered by
// "devices/a/lamp/#", but "devices/+/lamp/changed" is not covered by
// "devices/a/lamp/changed".
bool filter_covers(std::string_view allowed, std::string_view requested);

}  // namespace lampi::rules
