// LampAdmin: what an operator does to lamps in the admin area (find, assign to
// a user, release), each action recorded in the audit log once it is done.
//
// Ownership changes go through LampService::change_owner, which tells the lamp;
// whoever owned the lamp before has their broker connections cut
// (lampi/control/revoke, as when an owner removes a lamp), since their broker
// credential names the lamp. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/audit_log.h"
#include "lamps/broker_revocations.h"
#include "lamps/lamp_service.h"
#include "storage/store.h"

namespace lampi::cloud::admin {

class LampAdmin {
public:
    // `revocations` may be null (no broker to tell).
    LampAdmin(storage::Store& store, lamps::LampService& lamps, AuditLog& audit, Clock clock,
              lamps::BrokerRevocations* revocations)
        : store_(store), lamps_(lamps), audit_(audit), clock_(std::move(clock)), revocations_(revocations) {}

    // Lamps whose device id contains `text` (any case; spaces, dashes and colons
    // of a typed MAC address ignored), by id, at most kListLimit.
    Result<std::vector<storage::Lamp>> find(std::string_view text);
    Status assign(const storage::User& actor, std::string_view device_id, std::string_view username);
    Status release(const storage::User& actor, std::string_view device_id);

private:
    // Changes the owner, cuts the previous owner's broker connections, records it.
    Status give(const storage::User& actor, const std::string& device_id, std::optional<std::int64_t> owner,
                const char* action, const std::string& detail);

    storage::Store& store_;
    lamps::LampService& lamps_;
    AuditLog& audit_;
    Clock clock_;
    lamps::BrokerRevocations* revocations_;
};

}  // namespace lampi::cloud::admin
