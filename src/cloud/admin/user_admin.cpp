#include "admin/user_admin.h"

#include <fmt/core.h>

#include "accounts/crypto.h"
#include "lampi/log.h"

namespace lampi::cloud::admin {

Result<std::vector<storage::UserSummary>> UserAdmin::find(std::string_view text) {
    return store_.find_users(text, kListLimit);
}

Result<storage::User> UserAdmin::existing(std::string_view username) {
    auto user = store_.user_by_name(std::string(username));
    if (!user) return user.status();
    if (!*user) return Status::not_found(fmt::format("there is no user called \"{}\"", username));
    return **user;
}

Status UserAdmin::end_access(const storage::User& user) {
    if (Status s = store_.delete_user_credentials(user.id); !s) return s;
    if (Status s = store_.delete_broker_credentials(user.id); !s) return s;
    if (revocations_) revocations_->revoke_user(user.username);
    return Status::ok();
}

Status UserAdmin::record(const std::string& actor, const char* action, const std::string& username,
                         std::string detail) {
    Status s = audit_.record(AuditEntry{0, accounts_.now(), actor, action, "user " + username, std::move(detail)});
    // The action itself is done: a failed record is logged, never undone.
    if (!s) log::error("admin: cannot record that {} {} {}: {}", actor, action, username, s.message());
    return s;
}

Status UserAdmin::disable(const storage::User& actor, std::string_view username) {
    auto user = existing(username);
    if (!user) return user.status();
    if (user->id == actor.id)
        return Status::failed_precondition("you cannot disable your own account; ask another operator");
    if (user->disabled()) return Status::failed_precondition(fmt::format("{} is already disabled", user->username));
    if (Status s = store_.set_user_disabled(user->id, accounts_.now()); !s) return s;
    if (Status s = end_access(*user); !s) return s;
    log::info("admin: {} disabled user {}", actor.username, user->username);
    (void)record(actor.username, "disabled user", user->username);
    return Status::ok();
}

Status UserAdmin::enable(const storage::User& actor, std::string_view username) {
    auto user = existing(username);
    if (!user) return user.status();
    if (!user->disabled()) return Status::failed_precondition(fmt::format("{} is not disabled", user->username));
    if (Status s = store_.set_user_disabled(user->id, std::nullopt); !s) return s;
    log::info("admin: {} enabled user {}", actor.username, user->username);
    (void)record(actor.username, "enabled user", user->username);
    return Status::ok();
}

Result<NewResetLink> UserAdmin::force_password_reset(const storage::User& actor, std::string_view username) {
    auto user = existing(username);
    if (!user) return user.status();
    // No argon2 string starts with '!': the old password stops working at once.
    if (Status s = store_.set_password(user->id, "!reset-" + accounts::random_token()); !s) return s;
    if (Status s = end_access(*user); !s) return s;
    auto link = resets_.create(user->id, actor.username, accounts_.now());
    if (!link) return link.status();
    log::info("admin: {} made a password reset link for user {}", actor.username, user->username);
    (void)record(actor.username, "made a password reset link", user->username,
                 user->disabled() ? "the account stays disabled" : "");
    return link;
}

Result<std::string> UserAdmin::use_reset_link(std::string_view token, const std::string& new_password) {
    // Refuse a used or expired link before the password is even looked at.
    if (auto usable = resets_.check(token, accounts_.now()); !usable) return usable.status();
    // The slow hash first, so that a password the rules refuse leaves the link usable.
    auto hash = accounts_.hash_new_password(new_password);
    if (!hash) return hash.status();
    auto user_id = resets_.consume(token, accounts_.now());
    if (!user_id) return user_id.status();
    auto user = store_.user_by_id(*user_id);
    if (!user) return user.status();
    if (!*user) return Status::not_found("the account of this link no longer exists");
    if (Status s = store_.set_password((*user)->id, *hash); !s) return s;
    if (Status s = end_access(**user); !s) return s;
    log::info("user {} set a new password with a reset link", (*user)->username);
    (void)record((*user)->username, "used a password reset link", (*user)->username);
    return (*user)->username;
}

}  // namespace lampi::cloud::admin
