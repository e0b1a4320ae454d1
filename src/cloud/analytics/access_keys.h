// Access keys as Keen's key API defines them, so a scoped key can be handed to
// one customer's dashboard or one device's tracker:
//   {"name": "...", "permitted": ["queries"], "options": {"queries": {"filters": [...]}}}
//   {"name": "...", "permitted": ["writes"], "options": {"writes": {"autofill": {...}}}}
// A query key's filters hold in every query it makes, besides the caller's own;
// a write key's autofill properties are set on every event it writes, over what
// the caller sent. A key is for queries or for writes, not both (Keen allows
// both on one key; here that takes two keys).
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "analytics/event_store.h"
#include "analytics/keen_error.h"

namespace lampi::cloud::analytics {

struct AccessKeyDefinition {
    std::string name;
    KeyKind kind = KeyKind::read;
    std::string options;  // the checked options as JSON text, stored with the key
};

// Checks a definition posted to the key API (JSON text): a name of 1 to 256
// characters; "permitted" naming only read operations ("queries" and Keen's
// "saved_queries", "cached_queries", "datasets", "schema", which come to
// queries here) or only "writes"; filters a query would take; autofill
// properties with names an event may have.
KeenResult<AccessKeyDefinition> parse_access_key(std::string_view json);

// What a key's stored options limit it to. Options that do not parse (never
// stored by parse_access_key) scope a key to nothing: its queries match no
// event, so a damaged row fails closed.
struct KeyScope {
    boost::json::array query_filters;
    boost::json::object autofill;
};
KeyScope key_scope(const std::string& options);

// The key as Keen's key API answers it: {"key"?, "name", "permitted",
// "options", "is_active"}. The key itself only when it was just made: only its
// hash is kept.
std::string describe_key(const KeyGrant& grant, const std::string& key_if_new);

}  // namespace lampi::cloud::analytics
