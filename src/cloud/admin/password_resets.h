// PasswordResets: one-time links with which a user sets a new password, made by
// an operator (there is no mail server: the operator hands the link over).
//
// A link carries a random_token() value shown once to the operator; only its
// BLAKE2b hash is stored (table password_resets), like API tokens. A link lives
// kResetLinkSeconds and works once: consume() is the only way to use it, and of
// any number of concurrent uses, across processes, exactly one wins. A new link
// for a user ends that user's earlier unused ones. Failures say why in words
// safe to show to whoever holds the link. Thread-safe; times are Unix seconds
// from the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lampi/status.h"
#include "storage/sql.h"

namespace lampi::cloud::admin {

inline constexpr std::int64_t kResetLinkSeconds = std::int64_t{24} * 3600;

struct NewResetLink {
    std::string token;  // shown once, never stored
    std::int64_t expires_at = 0;
};

class PasswordResets {
public:
    explicit PasswordResets(storage::Database& db) : db_(db) {}

    // `created_by`: the operator's username, kept with the link.
    Result<NewResetLink> create(std::int64_t user_id, const std::string& created_by, std::int64_t now);
    // The user a link may still be used for, without using it: not_found (no
    // such link), failed_precondition (already used), expired.
    Result<std::int64_t> check(std::string_view token, std::int64_t now);
    // Uses the link: its user, or why not (as check()).
    Result<std::int64_t> consume(std::string_view token, std::int64_t now);

private:
    storage::Database& db_;
};

}  // namespace lampi::cloud::admin
