// UserAdmin: what an operator does to accounts in the admin area, each action
// recorded in the audit log once it is done.
//
// - disable: the user cannot log in, and at once their sessions and API tokens are
//   deleted (and would not be honoured anyway: the store skips disabled users),
//   their broker credentials deleted, and the broker told to cut their
//   connections (lampi/control/revoke, as a password change does). enable undoes
//   the block; what was ended stays ended.
// - force_password_reset: the current password stops working, sessions, tokens
//   and broker connections end as for a password change, and a one-time link
//   (password_resets.h) is made for the operator to hand over.
// - use_reset_link: the link's holder sets the new password, once.
// Failures are Statuses whose messages are safe to show to the operator (or, for
// use_reset_link, to the link's holder). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/accounts.h"
#include "admin/audit_log.h"
#include "admin/password_resets.h"
#include "lamps/broker_revocations.h"
#include "storage/store.h"

namespace lampi::cloud::admin {

// How many users or lamps a search lists at most.
inline constexpr int kListLimit = 100;

class UserAdmin {
public:
    // `revocations` may be null (no broker to tell).
    UserAdmin(storage::Store& store, accounts::Accounts& accounts, AuditLog& audit, PasswordResets& resets,
              lamps::BrokerRevocations* revocations)
        : store_(store), accounts_(accounts), audit_(audit), resets_(resets), revocations_(revocations) {}

    // Users whose name contains `text` (any case), by name, at most kListLimit.
    Result<std::vector<storage::UserSummary>> find(std::string_view text);
    // An operator cannot disable their own account (nobody would be left to undo it).
    Status disable(const storage::User& actor, std::string_view username);
    Status enable(const storage::User& actor, std::string_view username);
    Result<NewResetLink> force_password_reset(const storage::User& actor, std::string_view username);
    // Sets the password of the link's user; returns their username.
    Result<std::string> use_reset_link(std::string_view token, const std::string& new_password);

private:
    Result<storage::User> existing(std::string_view username);
    // Sessions, API tokens and broker credentials deleted, broker connections cut.
    Status end_access(const storage::User& user);
    Status record(const std::string& actor, const char* action, const std::string& username, std::string detail = {});

    storage::Store& store_;
    accounts::Accounts& accounts_;
    AuditLog& audit_;
    PasswordResets& resets_;
    lamps::BrokerRevocations* revocations_;
};

}  // namespace lampi::cloud::admin
