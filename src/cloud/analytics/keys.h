// The platform's analytics project and its keys, as an operator makes them.
//
// A key is 64 random hex digits, shown once and stored only as its hash (like
// API tokens): a write key records events, a read key queries, a master key
// does both.
#pragma once

#include <cstdint>
#include <string>

#include "analytics/event_store.h"

namespace lampi::cloud::analytics {

struct ProjectKeys {
    std::string project_id;
    std::string write_key;
    std::string read_key;
    std::string master_key;
};

// A new write, read and master key for the project (made if it does not exist).
Result<ProjectKeys> create_keys(EventStore& store, const std::string& name, std::int64_t now);

// Registers keys made elsewhere (a deployment that writes them into its own
// config first): the project is made with `given.project_id` unless one exists,
// which must then have that id. Keys already registered with the same kind are
// left as they are, so running it again changes nothing. Ids are 1 to 64
// letters and digits; keys at least 32 characters.
Result<ProjectKeys> register_keys(EventStore& store, const ProjectKeys& given, const std::string& name,
                                  std::int64_t now);

}  // namespace lampi::cloud::analytics
