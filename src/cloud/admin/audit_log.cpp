#include "admin/audit_log.h"

namespace lampi::cloud::admin {

Status AuditLog::record(const AuditEntry& entry) {
    auto conn = db_.lease();
    auto rows = conn->query("INSERT INTO admin_audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
                            {entry.at, entry.actor, entry.action, entry.target, entry.detail});
    return rows ? Status::ok() : rows.status();
}

Result<std::vector<AuditEntry>> AuditLog::recent(int limit) {
    auto conn = db_.lease();
    auto rows =
        conn->query("SELECT id, at, actor, action, target, detail FROM admin_audit ORDER BY at DESC, id DESC LIMIT $1",
                    {std::int64_t{limit}});
    if (!rows) return rows.status();
    std::vector<AuditEntry> out;
    for (const storage::SqlRow& r : *rows)
        out.push_back(AuditEntry{storage::as_int(r.at(0)), storage::as_int(r.at(1)), storage::as_text(r.at(2)),
                                 storage::as_text(r.at(3)), storage::as_text(r.at(4)), storage::as_text(r.at(5))});
    return out;
}

}  // namespace lampi::cloud::admin
