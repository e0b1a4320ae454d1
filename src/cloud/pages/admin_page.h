// The operators' admin area, rendered on the server: users, lamps, a reset link
// just made, and the audit log. Plain HTML forms (every change a POST carrying
// the CSRF token), no script; laid out as lists of cards so a 375 px wide phone
// shows them without sideways scrolling. Every value from users or lamps is
// escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "admin/audit_log.h"
#include "storage/store.h"

namespace lampi::cloud::pages {

// What every admin page carries besides its list.
struct AdminFrame {
    std::string_view operator_name;  // who is looking
    std::string_view csrf;           // for the forms
    std::string_view message;        // a confirmation of the last action
    std::string_view error;          // why the last action failed
};

// /operator/admin/users/?q=: the search form and the users found, each with its
// disable or enable form and its reset link form.
std::string admin_users_page(const AdminFrame& frame, std::string_view query,
                             const std::vector<storage::UserSummary>& users);
// What the operator hands over: the reset link for `username`, shown once.
std::string admin_reset_link_page(const AdminFrame& frame, std::string_view username, std::string_view link,
                                  std::int64_t expires_at);
// /operator/admin/lamps/?q=: the search form and the lamps found, with owner,
// online state and last seen, each with its assign and release forms.
std::string admin_lamps_page(const AdminFrame& frame, std::string_view query, const std::vector<storage::Lamp>& lamps);
// /operator/admin/audit/: the newest entries first.
std::string admin_audit_page(const AdminFrame& frame, const std::vector<admin::AuditEntry>& entries);

}  // namespace lampi::cloud::pages
