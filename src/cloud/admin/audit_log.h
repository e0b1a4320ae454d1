// AuditLog: what operators did in the admin area, kept in the database (table
// admin_audit) so that it holds across processes and restarts, and shown there.
//
// Every admin action records one entry after it succeeded: who (the operator's
// username), when (Unix seconds), what (a short verb phrase such as "disabled
// user") and on what ("user alice", "lamp b827eb74663e"), with optional detail.
// Names are stored as text, not as ids, so an entry still reads the same after
// the accounts it names are gone. Entries are only ever added. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lampi/status.h"
#include "storage/sql.h"

namespace lampi::cloud::admin {

struct AuditEntry {
    std::int64_t id = 0;  // set by the database
    std::int64_t at = 0;
    std::string actor;
    std::string action;
    std::string target;
    std::string detail;
};

class AuditLog {
public:
    explicit AuditLog(storage::Database& db) : db_(db) {}

    Status record(const AuditEntry& entry);
    // The newest `limit` entries, newest first.
    Result<std::vector<AuditEntry>> recent(int limit);

private:
    storage::Database& db_;
};

}  // namespace lampi::cloud::admin
